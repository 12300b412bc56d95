# Подписки и оплата: витрина тарифов, способы оплаты, /subscription, продления и возвраты.

plan-name = { $kind ->
    [day] День
    [month] Месяц
    [quarter] Квартал
   *[year] Год
}
plan-for = { $kind ->
    [day] на день
    [month] на месяц
    [quarter] на квартал
   *[year] на год
}
plan-gives = { $kind ->
    [day] 24 часа работы с трекером
    [month] календарный месяц работы с трекером
    [quarter] три месяца работы с трекером
   *[year] двенадцать месяцев работы с трекером
}

cmd-tracker-subscription = Моя подписка

paywall-title = Чтобы продолжить работу с трекером «{ $name }», оформите подписку:
paywall-extend-title = Продлить подписку на трекер «{ $name }»:
paywall-plan-line = • { $plan } — { $price } ₽: { $plan_gives }
paywall-nothing-on-sale = { $name } пока не продаёт подписку — автор ещё не назначил цены. Загляните позже.
paywall-free-left = Бесплатных сообщений осталось: { $left } из { $total }.
btn-plan = { $plan } — { $price } ₽
paywall-choose-method = { $plan } — { $price } ₽. Как удобнее оплатить?
btn-pay-telegram = 💳 Картой в Telegram — { $price } ₽
btn-pay-stars = ⭐ { $stars } { $stars ->
    [one] звезда
    [few] звезды
   *[many] звёзд
}
btn-pay-stars-monthly = ⭐ { $stars } { $stars ->
    [one] звезда
    [few] звезды
   *[many] звёзд
} в месяц (продлевается сама)
btn-pay-yookassa = 🔗 Ссылка ЮKassa — { $price } ₽
btn-pay-yookassa-auto = 🔁 ЮKassa с автопродлением — { $price } ₽
payments-not-configured = Оплата пока не подключена на платформе. Загляните позже — данные и доступ сохранятся.

invoice-title = Подписка { $plan_for }
invoice-description = { $name }: подписка { $plan_for }. Доступ откроется сразу после оплаты.
stars-subscription-offer = Подписка за { $stars } ⭐ в месяц: Telegram будет списывать звёзды каждые 30 дней, отменить можно в любой момент в /subscription.
btn-pay-link-stars = Оплатить { $stars } ⭐
yookassa-link-offer = Подписка { $plan_for } за { $price } ₽. Нажмите кнопку, чтобы оплатить на странице ЮKassa, затем вернитесь в чат — я пришлю подтверждение.
yookassa-link-offer-auto = Подписка { $plan_for } за { $price } ₽ с автопродлением: карта сохранится в ЮKassa, и подписка будет продлеваться сама. Отключить можно в любой момент в /subscription.
btn-pay-link = Оплатить { $price } ₽
yookassa-unavailable = Платёжный сервис ЮKassa сейчас не отвечает. Деньги не списаны. Попробуйте ещё раз через минуту — та же кнопка создаст ту же оплату, а не вторую.

payment-error-invalid = Этот счёт выставлен не вам или был изменён. Откройте /subscription и выберите тариф заново.
payment-error-tracker-paused = { $name } сейчас на паузе, поэтому оплата не принимается. Деньги не списаны.
payment-error-not-on-sale = Тариф «{ $plan }» больше не продаётся. Деньги не списаны, выберите другой тариф в /subscription.
payment-error-price-changed = Цена тарифа «{ $plan }» изменилась. Деньги не списаны — откройте /subscription и оплатите по новой цене.
payment-error-amount = Сумма платежа не совпадает со счётом. Деньги не списаны — выберите тариф заново в /subscription.
payment-not-recognized = Платёж получен, но я не смог его распознать. Напишите автору трекера — деньги не потеряются.

payment-success = ✅ Оплата прошла! Подписка на трекер «{ $name }» активна до { $until }.
payment-renewed = 🔁 Подписка на трекер «{ $name }» продлена до { $until }.
payment-refunded = ↩️ Платёж { $amount } возвращён, подписка на трекер «{ $name }» завершена.
payment-method-name = { $method ->
    [telegram] картой в Telegram
    [stars] звёздами
    [yookassa] через ЮKassa
   *[other] { $method }
}

subscription-none = У вас нет активной подписки на трекер «{ $name }».
subscription-status =
    Подписка на трекер «{ $name }»: { $plan }
    Активна до { $until }
subscription-renewal-card-on = Автопродление: включено ({ $card }).
subscription-renewal-card-off = Автопродление: выключено.
subscription-renewal-stars-on = Автопродление: звёздами Telegram каждые 30 дней.
subscription-renewal-stars-off = Автопродление звёздами отменено — подписка закончится в срок.
subscription-renewal-manual = Автопродления нет: продлите подписку сами, когда придёт напоминание.
subscription-history-title = История платежей:
subscription-history-line = { $date } — { $plan }, { $amount } { $method }{ $refunded ->
    [yes] (возвращён)
   *[no] {""}
}
btn-auto-renew-off = Отключить автопродление
btn-auto-renew-on = Включить автопродление
btn-extend = ➕ Продлить
auto-renew-turned-off = Автопродление отключено. Подписка действует до { $until } и больше не будет списываться.
auto-renew-turned-on = Автопродление снова включено.
auto-renew-change-failed = Не получилось изменить автопродление. Попробуйте ещё раз через минуту.

renew-reminder = ⏳ Подписка на трекер «{ $name }» закончится { $until } (через { $days ->
    [one] { $days } день
    [few] { $days } дня
   *[many] { $days } дней
}). Продлить: /subscription
renew-reminder-auto = ⏳ Подписка на трекер «{ $name }» продлится автоматически { $until }. Отключить автопродление: /subscription
renew-failed = ⚠️ Не удалось автоматически продлить подписку на трекер «{ $name }»: платёж отклонён. Подписка действует до { $until }; продлить можно вручную в /subscription.

btn-plans = 💰 Тарифы и цены
plans-title =
    Тарифы трекера «{ $name }». Тариф без цены не продаётся.
    Подсказка: месяц обычно стоит примерно как один час работы живого специалиста (например, 2 000–5 000 ₽).
plans-line = { $plan }: { $price ->
    [none] не продаётся
   *[other] { $price } ₽
}
plans-ask-price =
    Цена тарифа «{ $plan }» сейчас: { $price ->
        [none] не продаётся
       *[other] { $price } ₽
    }.
    Пришлите новую цену в рублях, например 2000, 2 000 или 2000.50.
plans-price-not-a-number = Это не похоже на цену. Пришлите число рублей, например 2000 или 2000.50.
plans-price-not-positive = Цена должна быть больше нуля. Чтобы снять тариф с продажи, нажмите «Снять с продажи».
plans-price-kopecks = В цене не больше двух знаков после точки (копейки), например 2000.50.
plans-price-too-small = Слишком маленькая цена: минимум { $min } ₽.
plans-price-too-large = Слишком большая цена: не больше { $max } ₽ за тариф. Проверьте, нет ли лишних нулей.
plans-saved = Цена сохранена, тариф в продаже.
plans-stopped = Тариф снят с продажи. Уже оплаченные подписки действуют до конца.
btn-plan-stop-selling = Снять с продажи
btn-plans-edit = { $plan }: { $price ->
    [none] —
   *[other] { $price } ₽
}
