# Someone else takes a bot's updates (services/takeover.py).

takeover-poller =
    ⚠️ Обновления бота @{ $username } забирает другая программа: она запрашивает их с тем же токеном (Telegram отвечает 409 Conflict).
    Сообщения и платежи клиентов могут не доходить до GPTitor. Остановите ту программу или выпустите новый токен в @BotFather и замените его в GPTitor.
takeover-webhook =
    ⚠️ У бота @{ $username } установлен вебхук на { $host } — не GPTitor, поэтому сообщения и платежи клиентов уходят туда.
    Удалите этот вебхук (метод deleteWebhook) или выпустите новый токен в @BotFather и замените его в GPTitor.
