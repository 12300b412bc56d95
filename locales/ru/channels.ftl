# Каналы партнёра: подключение канала к боту-трекеру, события в канале и их настройка.

## События (короткие посты в канале партнёра и сообщения в личном чате)
channel-someone = клиент
channel-level = { $level ->
    [l1] 1-й уровень
    [l2] 2-й уровень
    [l3] 3-й уровень
   *[author] вы автор
}
channel-plan = { $plan ->
    [day] день
    [month] месяц
    [quarter] квартал
   *[year] год
}
channel-ev-start = { $own ->
    [no] 👋 { $tracker }: { $name } открыл(а) бота по ссылке партнёра.
   *[yes] 👋 { $tracker }: { $name } открыл(а) бота по вашей ссылке.
}
channel-ev-subscriber = 💳 { $tracker }: новый подписчик { $name } — { $plan }, { $amount } ({ $level }).
channel-ev-renewal = 🔁 { $tracker }: { $name } продлил(а) подписку — { $plan }, { $amount } ({ $level }).
channel-ev-refund = ↩️ { $tracker }: возврат оплаты { $name } — { $amount } ({ $level }). Неначисленные периоды отменены.
channel-ev-accrual = 💰 { $tracker }: начислено { $amount } за период клиента { $name } ({ $level }).
channel-ev-accrual-digest = 📊 { $tracker }: за { $date } начислено { $amount } ({ $count } начисл.).
channel-ev-payout = { $status ->
    [requested] 🕓 Заявка на выплату { $amount } принята, сумма зарезервирована.
    [approved] ✅ Выплата { $amount } одобрена и скоро придёт.
    [paid] 💸 Выплата { $amount } отправлена.
    [rejected] ❌ Заявка на выплату { $amount } отклонена, деньги вернулись на баланс.
   *[failed] ⚠️ Выплата { $amount } не прошла, деньги вернулись на баланс.
}
channel-ev-reason = Причина: { $reason }
channel-ev-test = ✅ Тестовый пост от трекера «{ $tracker }»: канал подключён, события будут приходить сюда.

## Подключение канала
channel-connected-owner =
    ✅ Канал «{ $title }» подключён к трекеру «{ $tracker }».
    Сюда будут приходить события партнёрской программы. Выбрать, какие, — в кабинете: /partner → «📣 Мои каналы».
channel-connected-post = ✅ Канал подключён к трекеру «{ $tracker }»: здесь будут появляться события партнёрской программы.
channel-no-rights-owner = ⚠️ Бот трекера «{ $tracker }» в канале «{ $title }», но без права публиковать сообщения. Дайте ему право «Публикация сообщений», и канал подключится.
channel-disconnected-owner =
    ⚠️ Канал «{ $title }» отключён от трекера «{ $tracker }»: бот больше не может в нём публиковать.
    Чтобы подключить его снова, добавьте бота администратором канала с правом публикации.

## Окно «Мои каналы» в кабинете партнёра
channel-btn-open = 📣 Мои каналы
channels-title = 📣 Ваши каналы для событий — { $tracker }
channels-line = { $status ->
    [connected] 🟢 { $title }
   *[disconnected] ⚪️ { $title } (отключён)
}
channels-empty =
    📣 Каналы для событий — { $tracker }

    Подключите свой Telegram-канал, и в нём будут появляться события: старты по вашей ссылке, новые подписчики, продления, возвраты, начисления и выплаты.

    Как подключить:
    1. Откройте канал → «Администраторы» → «Добавить администратора».
    2. Найдите бота @{ $username } и оставьте ему право «Публикация сообщений».
    3. Сохраните. Бот сам узнает канал и пришлёт подтверждение сюда.
channels-howto = Чтобы подключить ещё один канал, добавьте бота @{ $username } администратором с правом публикации.
channel-card =
    📣 { $title }
    Статус: { $status ->
        [connected] подключён
       *[disconnected] отключён
    }
    Нажмите на событие, чтобы включить или выключить его.
channel-kind = { $kind ->
    [start] Старты по ссылке
    [subscriber] Новые подписчики
    [renewal] Продления
    [refund] Возвраты
    [accrual] Начисления
   *[payout] Выплаты
}
channel-btn-kind = { $on ->
    [yes] ✅ { $label }
   *[no] ▫️ { $label }
}
channel-btn-digest = { $digest ->
    [yes] 📊 Начисления: сводка за день
   *[no] 💰 Начисления: каждое
}
channel-btn-test = 🧪 Тестовый пост
channel-btn-disconnect = 🔌 Отключить канал
channel-btn-back = ⬅️ Назад
channel-test-sent = Тестовый пост опубликован.
channel-test-failed = Не удалось опубликовать: у бота нет права публикации. Канал отключён.
channel-test-try-later = Не удалось опубликовать: Telegram не ответил. Канал остаётся подключённым, попробуйте ещё раз позже.
channel-disconnected-done = Канал отключён, бот вышел из него.
