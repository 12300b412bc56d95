# Выплаты: баланс, заявка на вывод (кабинет партнёра и платформенный бот), очередь выплат админа.

payouts-btn-open = 💸 Баланс и выплаты
payouts-main =
    💸 Баланс и выплаты

    Начислено: { $accrued }
    В резерве под выплаты: { $reserved }
    Выплачено: { $paid }
    Доступно к выплате: { $available }

    Минимальная выплата — { $minimum }.
payouts-main-too-little = Вывести деньги можно, когда доступно не меньше { $minimum }.
payouts-btn-withdraw = 💳 Вывести деньги
payouts-btn-history = 📋 Мои заявки
payouts-btn-back = ← Назад
payouts-btn-close = ← Назад
payouts-btn-cancel = ✖️ Отмена
payouts-ask-amount =
    Сколько вывести? Доступно { $available }, минимум { $minimum }.
    Напишите сумму в рублях, например 1500, или нажмите «Всё».
payouts-btn-all = Всё, что доступно
payouts-ask-method = Куда перевести { $amount }?
payouts-method = { $method ->
    [card] 💳 Банковская карта
    [sbp] ⚡ СБП по номеру телефона
   *[yoomoney] 👛 Кошелёк ЮMoney
}
payouts-ask-phone = Пришлите номер телефона, к которому подключена СБП, например +7 912 345-67-89.
payouts-ask-bank = В какой банк перевести по СБП? Напишите название банка.
payouts-ask-wallet = Пришлите номер кошелька ЮMoney (начинается с 4100).
payouts-confirm =
    Проверьте заявку:

    Сумма: { $amount }
    Куда: { $method_name }, { $masked }

    Сумма сразу уйдёт в резерв, пока администратор проверяет заявку. О каждом шаге я напишу.
payouts-btn-confirm = ✅ Отправить заявку
payouts-sent = Заявка №{ $id } на { $amount } отправлена, деньги зарезервированы.
payouts-history-title = Ваши заявки на выплату:
payouts-history-empty = Заявок на выплату пока нет.
payouts-line =
    №{ $id } от { $date }: { $amount }, { $method_name } { $masked }
    { $status_name }
payouts-status = { $status ->
    [requested] ⏳ ждёт проверки
    [approved] 🔄 выплачивается
    [paid] ✅ выплачено
    [rejected] ❌ отклонено
    [failed] ⚠️ выплата не прошла
   *[other] { $status }
}
payouts-line-reason = Причина: { $reason }
payouts-line-reference = Платёж: { $reference }

payouts-bad-amount = Не понял сумму. Напишите число в рублях, например 1500 или 1500,50.
payouts-below-minimum = Минимальная сумма выплаты — { $minimum }.
payouts-not-enough = На балансе недостаточно денег: доступно { $available }.
payouts-bad-phone = Не похоже на российский номер телефона. Пример: +7 912 345-67-89.
payouts-bad-bank = Напишите название банка (от 2 до 64 символов).
payouts-bad-wallet = Номер кошелька ЮMoney — от 11 до 20 цифр и начинается с 4100.
payouts-bad-method = Выберите способ выплаты кнопкой.
payouts-not-found = Заявка не найдена.
payouts-reason-empty = Напишите причину отказа — её увидит получатель.
payouts-reference-empty = Пришлите номер или ссылку платежа.
payouts-no-yookassa = Эту заявку нельзя выплатить через ЮKassa (выплаты не настроены или способ — СБП). Выплатите вручную.

admin-payouts-title = 💸 Заявки на выплату ({ $total }):
admin-payouts-empty = 💸 Заявок на выплату нет.
admin-payouts-line = №{ $id } · { $amount } · { $who } · { $method_name } { $masked } · { $status_name }
admin-payouts-card =
    💸 Заявка №{ $id }

    Сумма: { $amount }
    Получатель: { $who }, id { $user_id }
    Откуда заявка: { $source }
    Способ: { $method_name }
    Реквизиты: { $full }
    Статус: { $status_name }
    Создана: { $date }
admin-payouts-source-platform = платформенный бот
admin-payouts-btn-yookassa = 💳 Выплатить через ЮKassa
admin-payouts-btn-paid = ✍️ Выплачено вручную
admin-payouts-btn-reject = ❌ Отклонить
admin-payouts-btn-check = 🔄 Проверить статус в ЮKassa
admin-payouts-btn-queue = ← К заявкам
admin-payouts-ask-reference = Переведите { $amount } по реквизитам заявки №{ $id } и пришлите номер или ссылку платежа — он сохранится в заявке.
admin-payouts-ask-reason = Почему отклоняете заявку №{ $id }? Причину увидит получатель, деньги вернутся на его баланс.
admin-payouts-done-paid = Заявка №{ $id } отмечена выплаченной.
admin-payouts-done-rejected = Заявка №{ $id } отклонена, { $amount } вернулись на баланс.
admin-payouts-yk-paid = ЮKassa выплатила { $amount } по заявке №{ $id }.
admin-payouts-yk-pending = ЮKassa приняла выплату по заявке №{ $id }; статус проверяется автоматически.
admin-payouts-yk-failed = Выплата по заявке №{ $id } не прошла: { $reason }. Деньги вернулись на баланс.
admin-payouts-already = Заявка №{ $id } уже решена (статус: { $status }) — ничего не изменено.

# Одобренная заявка, застрявшая в ЮKassa: администратор закрывает её вручную.
admin-payouts-btn-close-failed = ⛔ Закрыть как неуспешную
admin-payouts-btn-close-paid = ✍️ Отметить выплаченной вручную
admin-payouts-stuck-no-gateway = ⚠️ Выплаты через ЮKassa сейчас выключены — сама эта заявка не завершится. Закройте её: неуспешной (деньги вернутся на баланс) или выплаченной вручную.
admin-payouts-stuck-no-answer = ⚠️ ЮKassa так и не ответила на создание выплаты, а повторять запрос с тем же ключом уже нельзя (прошло больше 23 часов). Проверьте выплату в личном кабинете ЮKassa и закройте заявку: неуспешной (деньги вернутся на баланс) или выплаченной вручную.
admin-payouts-stuck-not-found = ⚠️ ЮKassa отвечает, что такой выплаты у неё нет. Закройте заявку: неуспешной (деньги вернутся на баланс) или выплаченной вручную.
admin-payouts-check-pending = ЮKassa ещё проводит выплату по заявке №{ $id }; статус проверяется автоматически.
admin-payouts-check-no-answer = ЮKassa не ответила о заявке №{ $id }. Попробуйте позже: пока статус не известен, закрыть заявку вручную нельзя.
admin-payouts-check-stuck = Заявка №{ $id } не завершится сама — её можно закрыть вручную.
admin-payouts-not-stuck = ЮKassa ещё может провести эту выплату (или не ответила), поэтому закрыть заявку вручную сейчас нельзя. Проверьте статус позже.
admin-payouts-ask-close-reason = Почему выплата по заявке №{ $id } не прошла? Причину увидит получатель, { $amount } вернутся на его баланс.
admin-payouts-ask-close-reference = Если вы перевели { $amount } по заявке №{ $id } сами, пришлите номер или ссылку платежа — он сохранится в заявке.
admin-payouts-done-closed-failed = Заявка №{ $id } закрыта как неуспешная, { $amount } вернулись на баланс.

# Администраторам: новая заявка на выплату.
admin-payouts-new-request = 💸 Новая заявка на выплату №{ $payout }: { $amount }, { $name }.
admin-payouts-btn-open = Открыть заявку
