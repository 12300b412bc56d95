# Stars subscriptions cancelled when a tracker stops, renewals at the agreed price (issue 19)

tracker-pause-confirm =
    Приостановить трекер { $name } (@{ $username })?

    Telegram продолжит продлевать подписки за звёзды, пока их не отменить. На долгую паузу лучше отменить их: клиенты получат сообщение и смогут подписаться снова, когда трекер вернётся.
btn-pause-keep-stars = ⏸ Приостановить, подписки оставить
btn-pause-cancel-stars = ⏸ Приостановить и отменить подписки за звёзды
tracker-paused-stars-cancelled = Трекер приостановлен. Отменено подписок за звёзды: { $count }.
tracker-stars-cancelled = Отменено подписок за звёзды: { $count }.
stars-cancelled-tracker-deleted = Трекер «{ $name }» закрыт автором. Ваша подписка за звёзды отменена, больше списаний не будет; оплаченное время сохраняется до конца срока.
stars-cancelled-tracker-paused = Трекер «{ $name }» приостановлен автором. Ваша подписка за звёзды отменена, больше списаний не будет. Когда трекер вернётся, подписаться можно снова.
renew-reminder-auto-amount = ⏳ Подписка на { $name } продлится автоматически { $until }: спишем { $amount }. Отключить автопродление: /subscription
renew-price-changed =
    💬 Автор изменил цену подписки на { $name }: было { $old_amount }, стало { $amount }.

    Без вашего согласия мы ничего не спишем: автопродление { $until } не состоится. Чтобы продлевать по новой цене, нажмите кнопку ниже; или продлите вручную в /subscription.
btn-renew-at-new-price = ✅ Продлевать за { $amount }
renew-price-agreed = Готово: подписка на { $name } будет продлеваться за { $amount }. Следующее списание — около { $until }.
renew-price-stale = Цена с тех пор снова изменилась или автопродление выключено. Актуальные условия — в /subscription.
