# Stars in the field (issue 19): the Stars renewal reminder's amount, Stars cancellations in the background.
renew-reminder-auto-stars = ⏳ Подписка на трекер «{ $name }» продлится автоматически { $until }: Telegram спишет { $stars } { $stars_n ->
    [one] звезду
    [few] звезды
   *[many] звёзд
}. Отключить автопродление: /subscription
tracker-stars-cancelling = Подписки за звёзды отменяются: { $count }. Это идёт в фоне и может занять несколько минут; каждому клиенту придёт сообщение.
tracker-paused-stars-cancelling = Трекер приостановлен. Подписки за звёзды отменяются: { $count }. Это идёт в фоне и может занять несколько минут; каждому клиенту придёт сообщение.
stars-cancel-finished = Трекер «{ $name }»: отмена подписок за звёзды закончена. Отменено: { $cancelled }.{ $failed ->
    [0] {""}
   *[other] {" "}Не удалось отменить: { $failed } — Telegram отказал или токен бота отозван; такие подписки может отменить только владелец бота.
}
