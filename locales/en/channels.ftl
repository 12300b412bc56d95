# Partner channels: connecting a channel to a tracker bot, events in the channel and their settings.

## Events (short posts in the partner's channel and messages in the private chat)
channel-someone = a client
channel-level = { $level ->
    [l1] level 1
    [l2] level 2
    [l3] level 3
    [l4] level 4
    [l5] level 5
    [l6] level 6
   *[author] you are the author
}
channel-plan = { $plan ->
    [day] day
    [month] month
    [quarter] quarter
   *[year] year
}
channel-ev-start = { $own ->
    [no] 👋 { $tracker }: { $name } opened the bot through a partner's link.
   *[yes] 👋 { $tracker }: { $name } opened the bot through your link.
}
channel-ev-subscriber = 💳 { $tracker }: new subscriber { $name } — { $plan }, { $amount } ({ $level }).
channel-ev-renewal = 🔁 { $tracker }: { $name } renewed — { $plan }, { $amount } ({ $level }).
channel-ev-refund = ↩️ { $tracker }: { $name }'s payment refunded — { $amount } ({ $level }). Unsettled periods are cancelled.
channel-ev-accrual = 💰 { $tracker }: { $amount } accrued for { $name }'s period ({ $level }).
channel-ev-accrual-digest = 📊 { $tracker }: { $amount } accrued on { $date } ({ $count } { $count ->
    [one] accrual
   *[other] accruals
}).
channel-ev-payout = { $status ->
    [requested] 🕓 Payout request for { $amount } received, the amount is reserved.
    [approved] ✅ Payout of { $amount } approved, on its way.
    [paid] 💸 Payout of { $amount } sent.
    [rejected] ❌ Payout request for { $amount } rejected, the money is back on your balance.
   *[failed] ⚠️ Payout of { $amount } failed, the money is back on your balance.
}
channel-ev-reason = Reason: { $reason }
channel-ev-test = ✅ Test post from { $tracker }: the channel is connected, events will appear here.

## Connecting a channel
channel-connected-owner =
    ✅ Channel “{ $title }” is connected to { $tracker }.
    Partner program events will appear there. Choose which in the cabinet: /partner → “📣 My channels”.
channel-connected-post = ✅ This channel is connected to { $tracker }: partner program events will appear here.
channel-no-rights-owner = ⚠️ { $tracker } is in “{ $title }” but may not post messages. Give it the “Post messages” right and the channel connects.
channel-disconnected-owner =
    ⚠️ Channel “{ $title }” is disconnected from { $tracker }: the bot can no longer post there.
    To connect it again, add the bot as a channel admin allowed to post messages.

## “My channels” in the partner cabinet
channel-btn-open = 📣 My channels
channels-title = 📣 Your event channels — { $tracker }
channels-line = { $status ->
    [connected] 🟢 { $title }
   *[disconnected] ⚪️ { $title } (disconnected)
}
channels-empty =
    📣 Event channels — { $tracker }

    Connect your Telegram channel and events will appear there: starts through your link, new subscribers, renewals, refunds, accruals and payouts.

    How to connect:
    1. Open the channel → “Administrators” → “Add admin”.
    2. Find the bot @{ $username } and keep its “Post messages” right.
    3. Save. The bot recognises the channel and confirms here.
channels-howto = To connect another channel, add the bot @{ $username } as an admin allowed to post.
channel-card =
    📣 { $title }
    Status: { $status ->
        [connected] connected
       *[disconnected] disconnected
    }
    Tap an event to turn it on or off.
channel-kind = { $kind ->
    [start] Starts through my link
    [subscriber] New subscribers
    [renewal] Renewals
    [refund] Refunds
    [accrual] Accruals
   *[payout] Payouts
}
channel-btn-kind = { $on ->
    [yes] ✅ { $label }
   *[no] ▫️ { $label }
}
channel-btn-digest = { $digest ->
    [yes] 📊 Accruals: daily digest
   *[no] 💰 Accruals: each one
}
channel-btn-test = 🧪 Test post
channel-btn-disconnect = 🔌 Disconnect channel
channel-btn-back = ⬅️ Back
channel-test-sent = Test post published.
channel-test-failed = Could not post: the bot may not post there. The channel is disconnected.
channel-test-try-later = Could not post: Telegram did not answer. The channel stays connected; try again later.
channel-disconnected-done = The channel is disconnected and the bot left it.
