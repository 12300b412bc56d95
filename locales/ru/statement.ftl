# Кабинет партнёра: выписка по закрытым периодам и её CSV.

partner-btn-statement = 📜 Выписка
statement-title = 📜 Выписка по закрытым периодам — { $name }
statement-summary = Всего: { $count } { $count ->
    [one] начисление
    [few] начисления
   *[many] начислений
} на { $total }
statement-line =
    { $date } · { $client } · { $level ->
        [0] как автор
       *[other] уровень { $level }
    }
    маржа периода { $margin } → ваша доля { $share }
statement-unnamed = клиент без имени
statement-branch = клиент в ветке «{ $name }»
statement-branch-unnamed = клиент в вашей сети
statement-page = Страница { $page } из { $pages }
statement-empty = { $period ->
    [month] В этом месяце закрытых периодов с вашей долей пока нет: доля начисляется, когда оплаченный период клиента заканчивается.
    [last_month] В прошлом месяце закрытых периодов с вашей долей не было.
   *[all] Закрытых периодов с вашей долей пока нет: доля начисляется, когда оплаченный период приглашённого вами клиента заканчивается.
}
statement-btn-csv = 📄 CSV
statement-csv-caption = 📄 Выписка трекера «{ $name }» ({ $period ->
    [month] этот месяц
    [last_month] прошлый месяц
   *[all] всё время
}): { $count } { $count ->
    [one] строка
    [few] строки
   *[many] строк
}. Суммы — в рублях, даты — в виде ГГГГ-ММ-ДД.
statement-csv-nothing = Выгружать нечего: за этот период у вас нет ни начислений, ни выплат.
statement-csv-too-big = { $period ->
    [all] Выписка за всё время больше 50 МБ — столько Telegram не принимает. Выберите месяц или выгрузите её через API (/api/v1/trackers/…/periods).
   *[other] Выписка за выбранный месяц больше 50 МБ — столько Telegram не принимает. Выгрузите её через API (/api/v1/trackers/…/periods).
}
