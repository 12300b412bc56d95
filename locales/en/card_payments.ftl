# Card payments in a tracker: the tracker bot's own payment provider token.
plans-card-off = 💳 Card payments: not connected. Clients can pay with Stars or by link where those are on.
plans-card-on = 💳 Card payments: connected{ $collector ->
    [platform] , the money goes to the platform's shop.
   *[author] , the money goes to your shop.
}
btn-card-payments = 💳 Card payments
btn-card-disconnect = Turn card payments off
card-howto =
    Card payments in Telegram are connected for each bot separately.
    1. Open @BotFather → /mybots → @{ $username } → Bot Settings → Payments.
    2. Choose YooKassa and connect your shop (or a test one).
    3. Send here the token @BotFather gives you (like 123456:LIVE:…).
    Before that, open @{ $username } and press Start: the bot sends you a trial invoice to check the token.
    Card payments go to your shop; after each accounting period the platform's and the partners' shares are recorded as what you owe the platform.
card-token-not-a-token = That does not look like a payment token. Send the token from @BotFather, like 123456:LIVE:abc or 123456:TEST:abc.
card-token-rejected = Telegram did not accept this token for @{ $username }. A token is issued for one bot: get it in @BotFather for @{ $username } itself.
card-token-start-bot-first = Open @{ $username }, press Start and send the token again: the bot has to send you a trial invoice.
card-token-tracker-off = The tracker is not running. Resume it or replace its bot token, then connect payments.
card-connected = Card payments are connected: @{ $username } sent you a trial invoice. Clients will see the card payment button.
card-disconnected = Card payments are off. Subscriptions already paid run to their end.
card-preview-title = Trial invoice
card-preview-description = This is how clients of { $name } see a card payment. This invoice cannot be paid.
