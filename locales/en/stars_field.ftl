# Stars in the field (issue 19): the Stars renewal reminder's amount, Stars cancellations in the background.
renew-reminder-auto-stars = ⏳ Your subscription to { $name } renews automatically on { $until }: Telegram will charge { $stars } { $stars_n ->
    [one] Star
   *[other] Stars
}. Turn auto-renewal off: /subscription
tracker-stars-cancelling = Stars subscriptions being cancelled: { $count }. This runs in the background and may take a few minutes; each client gets a message.
tracker-paused-stars-cancelling = The tracker is paused. Stars subscriptions being cancelled: { $count }. This runs in the background and may take a few minutes; each client gets a message.
stars-cancel-finished = Tracker “{ $name }”: cancelling its Stars subscriptions is finished. Cancelled: { $cancelled }.{ $failed ->
    [0] {""}
   *[other] {" "}Could not be cancelled: { $failed } (Telegram refused, or the bot's token was revoked); only the bot's owner can cancel those.
}
