# Growing the partner network: partners' "become my partner" links, the nudge after the first
# payment, events in the private chat.

## Partner cabinet: the "become my partner" link
partner-btn-recruit-link = 🤝 "Become my partner" link
partner-recruit-share-text = Become a partner of { $name }, an AI tracker in Telegram: invite people and get a share of what they pay.

## Platform bot: the tracker card
btn-partners-recruit = { $partners_recruit ->
    [yes] ✅ Partners recruit partners
   *[no] ▫️ Partners recruit partners
}
tracker-partners-recruit-on = Partners can make their own "become my partner" links again.
tracker-partners-recruit-off = "Become my partner" links are yours alone now: partners' links no longer make new partners, though they still invite clients as usual.

## The nudge after the first payment (right after "✅ Payment received!")
payment-earn-nudge =
    🤝 You can now earn with { $name }: share your link. You get a share of every payment from the people who come through it, and a share of what the people they bring pay.

    Your link: { $url }

    Links, their statistics and your earnings are in the partner cabinet: /partner

## Events in the private chat (for those without a channel)
private-ev-accruals = 💰 { $tracker }: { $amount } accrued for { $count } { $count ->
    [one] client period
   *[other] client periods
}.

## The "Events in this chat" screen of the partner cabinet
private-btn-open = 🔔 Events in this chat
private-events-title =
    🔔 Events in this chat — { $tracker }

    The bot writes to you here about starts through your links, new subscribers and renewals in your network, refunds, accruals and payouts. Tap an event to turn it on or off.
private-events-channel = You have a channel connected now: events go there, and only payout statuses come here.

## Cabinet: conversion, period, archived links
partner-conversion = to start { $to_start } · to paying { $to_pay }
partner-links-period = { $period ->
    [month] 📅 This month
    [last_month] 📅 Last month
   *[all] 📅 All time
}
partner-period-btn = { $on ->
    [yes] • { $period ->
        [month] This month
        [last_month] Last month
       *[all] All time
    } •
   *[no] { $period ->
        [month] This month
        [last_month] Last month
       *[all] All time
    }
}
partner-links-total =
    Σ All links{ $archived ->
        [0] {""}
       *[other] , archived ones included ({ $archived })
    }: { $clicks } → { $starts } → { $paying } → { $revenue } → { $earned }
    { $conversion }
