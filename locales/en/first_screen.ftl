# A tracker's first screen (/start): the greeting, the plans, the partner cabinet; /help.

cmd-tracker-tz = My time zone
greeting-neutral = I am your AI tracker: I help you set goals, keep the pace and finish what you start. Tell me what you want to work on.
greeting-plans-title = Plans:
greeting-free-first = { $n ->
    [one] Your first message is free
   *[other] Your first { $left } messages are free
}: just write to me.
greeting-btn-subscribe = 💳 Subscribe: { $plan } — { $price } RUB
greeting-subscribed = ✅ Your subscription is active until { $until }. Details: /subscription.
greeting-cabinet-for-payers = 🤝 Invite friends with your own link and earn a share of what they pay: the partner cabinet (/partner or the button below).
