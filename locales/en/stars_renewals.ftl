# Stars subscriptions cancelled when a tracker stops, renewals at the agreed price (issue 19)

tracker-pause-confirm =
    Pause the tracker { $name } (@{ $username })?

    Telegram keeps renewing Stars subscriptions until they are cancelled. For a long pause, cancel them: clients are told and can subscribe again when the tracker is back.
btn-pause-keep-stars = ⏸ Pause, keep subscriptions
btn-pause-cancel-stars = ⏸ Pause and cancel Stars subscriptions
stars-cancelled-tracker-deleted = The author closed the tracker “{ $name }”. Your Stars subscription is cancelled and will not be charged again; the time you paid for stays until it ends.
stars-cancelled-tracker-paused = The author paused the tracker “{ $name }”. Your Stars subscription is cancelled and will not be charged again. You can subscribe again when the tracker is back.
renew-reminder-auto-amount = ⏳ Your subscription to { $name } renews automatically on { $until }: { $amount } will be charged. Turn auto-renewal off: /subscription
renew-price-changed =
    💬 The author changed the price of { $name }: it was { $old_amount }, now it is { $amount }.

    Nothing is charged without your word: the automatic renewal on { $until } will not happen. To renew at the new price, press the button below, or renew by hand in /subscription.
btn-renew-at-new-price = ✅ Renew at { $amount }
renew-price-agreed = Done: your subscription to { $name } renews at { $amount }. The next charge is around { $until }.
renew-price-stale = The price has changed again since, or auto-renewal is off. The current terms are in /subscription.
