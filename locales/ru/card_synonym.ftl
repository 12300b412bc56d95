# Payout cards through YooKassa's payout widget: the number goes to YooKassa only, the platform keeps its synonym and mask.

payouts-card-add =
    💳 Карта для выплат добавляется в мини-приложении: номер вы вводите в форму ЮKassa, к нам он не попадает — мы храним только маску карты.

    Нажмите «Добавить карту», введите номер, затем вернитесь сюда и нажмите «Готово».
payouts-card-current = Сейчас для выплат: карта { $masked }.
payouts-card-again = Номер карты, который вы присылали раньше, мы больше не храним и не используем. Добавьте карту заново.
payouts-card-missing = Карта ещё не добавлена. Откройте мини-приложение кнопкой «Добавить карту» и введите номер в форме ЮKassa.
payouts-card-no-webapp = Добавить карту сейчас нельзя: мини-приложение не настроено. Выберите СБП или кошелёк ЮMoney.
payouts-btn-add-card = 💳 Добавить карту
payouts-btn-change-card = 💳 Другая карта
payouts-btn-card-done = ✅ Готово
payouts-card-invalid = Данные карты не подошли. Добавьте карту ещё раз.
payouts-card-add-again = Карту, сохранённую раньше номером, мы больше не используем. Добавьте её заново в мини-приложении.
admin-payouts-card-add-again = Эта заявка — на карту, сохранённую номером до перехода на виджет ЮKassa: через ЮKassa по ней не выплатить. Отклоните её с причиной «добавьте карту заново» — получатель добавит карту и подаст новую заявку.
payouts-yookassa-reason = { $reason ->
    [insufficient_funds] на балансе выплат платформы не хватило денег, администратор пополнит его
    [payout_token] ЮKassa не приняла карту — добавьте её заново
    [one_time_limit_exceeded] сумма больше разового лимита выплаты на карту
    [periodic_limit_exceeded] превышен лимит выплат на эту карту за период
    [rejected_by_payee] банк получателя отклонил перевод
    [fraud_suspected] ЮKassa заподозрила мошенничество и остановила выплату
    [general_decline] ЮKassa отклонила выплату
   *[other] ЮKassa отменила выплату ({ $reason })
}

webapp-card-title = Карта для выплат
webapp-card-intro = Номер карты вы вводите в форму ЮKassa: платформа его не видит и не хранит, мы получим только маску карты.
webapp-card-saved = Карта сохранена:
webapp-card-back = Вернитесь в чат и нажмите «Готово».
webapp-card-off = Выплаты на карту сейчас недоступны.
webapp-card-failed = Не получилось сохранить карту. Попробуйте ещё раз.
