# Subscriptions and payments: the plans, the ways to pay, /subscription, renewals and refunds.

plan-name = { $kind ->
    [day] Day
    [month] Month
    [quarter] Quarter
   *[year] Year
}
plan-for = { $kind ->
    [day] for a day
    [month] for a month
    [quarter] for a quarter
   *[year] for a year
}
plan-gives = { $kind ->
    [day] 24 hours with the tracker
    [month] a calendar month with the tracker
    [quarter] three months with the tracker
   *[year] twelve months with the tracker
}

cmd-tracker-subscription = My subscription

paywall-title = To go on with { $name }, choose a subscription:
paywall-extend-title = Extend your subscription to { $name }:
paywall-plan-line = • { $plan } — { $price } RUB: { $plan_gives }
paywall-nothing-on-sale = { $name } does not sell subscriptions yet: its author has not set prices. Please come back later.
paywall-free-left = Free messages left: { $left } of { $total }.
btn-plan = { $plan } — { $price } RUB
paywall-choose-method = { $plan } — { $price } RUB. How would you like to pay?
btn-pay-telegram = 💳 Card in Telegram — { $price } RUB
btn-pay-stars = ⭐ { $stars } { $stars ->
    [one] Star
   *[other] Stars
}
btn-pay-stars-monthly = ⭐ { $stars } { $stars ->
    [one] Star
   *[other] Stars
} a month (renews itself)
btn-pay-yookassa = 🔗 YooKassa link — { $price } RUB
btn-pay-yookassa-auto = 🔁 YooKassa with auto-renewal — { $price } RUB
payments-not-configured = Payments are not set up on the platform yet. Please come back later; your data and access are kept.

invoice-title = Subscription { $plan_for }
invoice-description = { $name }: subscription { $plan_for }. Access opens right after the payment.
stars-subscription-offer = A subscription for { $stars } ⭐ a month: Telegram charges the Stars every 30 days; cancel any time in /subscription.
btn-pay-link-stars = Pay { $stars } ⭐
yookassa-link-offer = Subscription { $plan_for } for { $price } RUB. Press the button to pay on the YooKassa page, then come back: I will confirm here.
yookassa-link-offer-auto = Subscription { $plan_for } for { $price } RUB with auto-renewal: YooKassa keeps the card and the subscription renews itself. Turn it off any time in /subscription.
btn-pay-link = Pay { $price } RUB
yookassa-unavailable = The YooKassa payment service is not answering right now. Nothing was charged. Please try again in a minute: the same button makes the same payment, not a second one.

payment-error-invalid = This invoice is not for you or was changed. Open /subscription and choose a plan again.
payment-error-tracker-paused = { $name } is paused, so payments are not accepted now. Nothing was charged.
payment-error-not-on-sale = The { $plan } plan is no longer on sale. Nothing was charged; choose another plan in /subscription.
payment-error-price-changed = The price of the { $plan } plan has changed. Nothing was charged: open /subscription and pay the new price.
payment-error-amount = The amount does not match the invoice. Nothing was charged: choose a plan again in /subscription.
payment-not-recognized = The payment arrived but I could not recognise it. Please write to the tracker's author; the money will not be lost.

payment-success = ✅ Payment received! Your subscription to { $name } is active until { $until }.
payment-renewed = 🔁 Your subscription to { $name } is renewed until { $until }.
payment-refunded = ↩️ The payment of { $amount } was refunded and your subscription to { $name } has ended.
payment-method-name = { $method ->
    [telegram] by card in Telegram
    [stars] in Stars
    [yookassa] via YooKassa
   *[other] { $method }
}

subscription-none = You have no active subscription to { $name }.
subscription-status =
    Subscription to { $name }: { $plan }
    Active until { $until }
subscription-renewal-card-on = Auto-renewal: on ({ $card }).
subscription-renewal-card-off = Auto-renewal: off.
subscription-renewal-stars-on = Auto-renewal: Telegram Stars every 30 days.
subscription-renewal-stars-off = The Stars auto-renewal is cancelled: the subscription ends on time.
subscription-renewal-manual = No auto-renewal: renew yourself when the reminder comes.
subscription-history-title = Payment history:
subscription-history-line = { $date } — { $plan }, { $amount } { $method }{ $refunded ->
    [yes] (refunded)
   *[no] {""}
}
btn-auto-renew-off = Turn off auto-renewal
btn-auto-renew-on = Turn on auto-renewal
btn-extend = ➕ Extend
auto-renew-turned-off = Auto-renewal is off. Your subscription is valid until { $until } and nothing more will be charged.
auto-renew-turned-on = Auto-renewal is on again.
auto-renew-change-failed = Could not change the auto-renewal. Please try again in a minute.

renew-reminder = ⏳ Your subscription to { $name } ends on { $until } (in { $days ->
    [one] { $days } day
   *[other] { $days } days
}). Renew: /subscription
renew-reminder-auto = ⏳ Your subscription to { $name } renews automatically on { $until }. Turn auto-renewal off: /subscription
renew-failed = ⚠️ Could not renew your subscription to { $name } automatically: the payment was declined. It is valid until { $until }; renew by hand in /subscription.

btn-plans = 💰 Plans and prices
plans-title =
    Plans of { $name }. A plan with no price is not on sale.
    Hint: a month usually costs about one hour of a live specialist (e.g. 2,000–5,000 RUB).
plans-line = { $plan }: { $price ->
    [none] not on sale
   *[other] { $price } RUB
}
plans-ask-price =
    The { $plan } plan now: { $price ->
        [none] not on sale
       *[other] { $price } RUB
    }.
    Send the new price in roubles, e.g. 2000, 2 000 or 2000.50.
plans-price-not-a-number = That does not look like a price. Send a number of roubles, e.g. 2000 or 2000.50.
plans-price-not-positive = The price must be above zero. To stop selling the plan, press "Stop selling".
plans-price-kopecks = At most two digits after the point (kopecks), e.g. 2000.50.
plans-price-too-small = Too low: at least { $min } RUB.
plans-price-too-large = Too high: at most { $max } RUB for a plan. Check for extra zeros.
plans-saved = Price saved, the plan is on sale.
plans-stopped = The plan is off sale. Subscriptions already paid run to their end.
btn-plan-stop-selling = Stop selling
btn-plans-edit = { $plan }: { $price ->
    [none] —
   *[other] { $price } RUB
}
