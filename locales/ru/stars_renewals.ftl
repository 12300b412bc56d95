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
