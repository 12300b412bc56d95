# Платформенный бот: администратор платформы (ставка мДж, цены моделей, комиссия, события, итоги, выгрузка).

admin-btn-open = 🛠 Администрирование
admin-btn-close = ← Закрыть
admin-menu =
    🛠 Администрирование платформы
    Ставка: { $rate } ₽ за мДж · моделей с ценой: { $models }
    Комиссия (платформа / автор{ $level_names }): { $shares } %
    Недоставленных событий: { $undelivered } · заявок на выплату: { $payouts }
admin-btn-rate = 💱 Ставка мДж
admin-btn-prices = 🧠 Цены моделей
admin-btn-commission = ➗ Комиссия
admin-btn-payouts = 💸 Заявки на выплату
admin-btn-events = 📮 Недоставленные события
admin-btn-totals = 📊 Итоги месяца и выгрузка

admin-rate =
    💱 Ставка: { $current } ₽ за мДж сейчас.
    Ставки (время { $tz }):
    { $history }
    Прошлое не меняется: новая ставка действует с момента, который вы укажете.
admin-rate-line = { $state ->
    [current] ▶️
    [future] 🕒
   *[past] ·
} с { $valid_from }: { $rate } ₽/мДж
admin-btn-rate-new = ➕ Новая ставка
admin-rate-ask =
    Пришлите новую ставку в рублях за мДж и, если не с этой минуты, дату и время начала ({ $tz }):
    1.75 — с этой минуты
    1.75 01.12.2026 — с начала дня
    1.75 01.12.2026 09:00
admin-rate-added = Ставка { $rate } ₽/мДж действует с { $valid_from }.

admin-prices = 🧠 Цены моделей в мДж за 1000 токенов (вход / выход). Авторы выбирают только активные модели.
admin-prices-none = 🧠 Цен моделей пока нет: ответы трекеров не тарифицируются. Добавьте модель.
admin-price-item = { $active ->
    [yes] 🟢
   *[no] ⛔
} { $model }: { $input } / { $output }
admin-btn-price-new = ➕ Добавить модель
admin-price =
    🧠 { $model }: { $input } мДж за 1000 входных, { $output } мДж за 1000 выходных токенов. { $status ->
        [yes] Активна.
       *[no] Отключена.
    }
    Чтобы изменить цену (и включить модель), пришлите два числа: вход выход, например 0.15 0.6
admin-btn-deactivate = ⛔ Отключить модель
admin-price-new-ask =
    Пришлите название модели и цены в мДж за 1000 входных и выходных токенов, например:
    gpt-4o-mini 0.15 0.6
admin-price-saved = Цена { $model } сохранена.
admin-price-deactivated = Модель { $model } отключена: авторы её больше не видят, ответы на ней не тарифицируются.
admin-price-missing = Такой модели нет.
admin-price-bad-format = Нужны два числа через пробел: цена входа и цена выхода, например 0.15 0.6
admin-price-new-bad-format = Нужны название модели (без пробелов) и два числа, например gpt-4o-mini 0.15 0.6

admin-commission =
    ➗ Комиссия сейчас: платформа { $platform_pct } %, автор { $author_pct } %, { $levels }.
    Период делится по схеме, действующей в момент его окончания. Схемы (время { $tz }):
    { $history }
admin-commission-line = { $state ->
    [future] 🕒
   *[past] ·
} с { $valid_from }: { $shares }
admin-commission-configured = · из настроек: { $shares }
admin-btn-commission-new = ➕ Новая схема
admin-commission-ask =
    Пришлите доли в процентах — платформа, автор и по одной на каждый уровень рефералов, от 0 до 6 уровней: L1, L2, … (в сумме 100) — и, если не с этой минуты, дату и время начала ({ $tz }):
    20 20 30 20 10
    15 20 30 20 10 5 01.12.2026 00:00
admin-commission-added = Новая схема действует с { $valid_from }.
admin-commission-bad-count = Нужны хотя бы две доли: платформа и автор, затем по одной на каждый уровень (L1, L2, …).
admin-commission-bad-number = «{ $value }» — не доля: нужно число от 0 до 100, не больше трёх знаков после запятой.
admin-commission-bad-total = Доли в сумме дают { $total }, а должны 100.

admin-date-in-past = Это время уже прошло. Прошлое не меняется: укажите будущее время или не указывайте дату (с этой минуты).
admin-date-not-after = Уже есть запись с { $latest }: новая должна начинаться позже.
admin-bad-date = Не понял дату: пишите ДД.ММ.ГГГГ или ДД.ММ.ГГГГ ЧЧ:ММ.
admin-bad-number = «{ $value }» — не подходит: нужно число, не больше шести знаков после запятой.

admin-events =
    📮 Недоставленных событий: { $total } (страница { $page } из { $pages }). Нажмите на номер, чтобы отправить событие ещё раз.
admin-events-none = 📮 Все события доставлены.
admin-event-line = #{ $id } { $kind } → { $chat }, попыток: { $attempts }, { $created }: { $error }
admin-btn-retry-all = 🔁 Повторить все
admin-events-retried = Снова в очереди: { $count }.
admin-events-gone = Это событие уже не ждёт повтора.

admin-totals =
    📊 Итоги за { $month } (периоды, рассчитанные в этом месяце, время { $tz })
    Периодов: { $periods }
    Выручка: { $revenue }
    Стоимость токенов: { $token_cost }
    Маржа: { $margin } (с убытками)
    Доли: платформа { $platform_role }, автор { $author_role }, { $level_roles }
    Из них свободные уровни (платформе): { $level_unheld }
    Убытки: { $losses }
    Платформе итого: { $platform_kept } · людям: { $to_people }
    Закончились в этом месяце и ждут расчёта: { $open_due }
    Другой месяц — кнопками или сообщением ММ.ГГГГ.
admin-btn-export = 📄 Выгрузить журнал (CSV)
admin-bad-month = Не понял месяц: пишите ММ.ГГГГ, например 11.2026.
admin-export-started = Готовлю выгрузку…
admin-export-too-big = Журнал за { $month } весит { $size } МБ — больше, чем Telegram принимает от бота (50 МБ).
admin-export-caption = Журнал за { $month } ({ $tz }): записей { $entries }.
