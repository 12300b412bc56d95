# Someone else takes a bot's updates (services/takeover.py).

takeover-poller =
    ⚠️ Another program takes the updates of @{ $username }: it asks for them with the same token (Telegram answers 409 Conflict).
    Clients' messages and payments may not reach GPTitor. Stop that program, or get a new token from @BotFather and replace it in GPTitor.
takeover-webhook =
    ⚠️ @{ $username } has a webhook set to { $host }, which is not GPTitor, so clients' messages and payments go there.
    Delete that webhook (the deleteWebhook method), or get a new token from @BotFather and replace it in GPTitor.
