# Партнёрская программа: кабинет партнёра в боте-трекере и партнёры автора в боте платформы.

cmd-tracker-partner = Кабинет партнёра
partner-btn-open = 🤝 Кабинет партнёра
partner-welcome =
    🤝 Теперь вы партнёр трекера «{ $name }»!
    Приглашайте людей своими ссылками и получайте долю с каждой их оплаты — на трёх уровнях.
    Кабинет партнёра открывается командой /partner или кнопкой ниже.

## Главное окно кабинета
partner-main =
    🤝 Кабинет партнёра — { $name }

    Заработано в этом трекере: { $settled }
    Ожидается с оплаченных, ещё не закрытых периодов: { $forecast }
partner-not-allowed =
    🤝 Партнёрская программа трекера «{ $name }»

    Приглашать людей и получать долю с их оплат могут клиенты трекера и партнёры автора.
    Чтобы стать партнёром:
    • оплатите любой тариф (месяц — { $price }), и кабинет откроется сам;
    • или попросите автора (или его партнёра) прислать вам ссылку «стать партнёром».
partner-not-allowed-short = Ссылки-приглашения доступны клиентам трекера и партнёрам автора. Подробности — в главном окне кабинета.
partner-btn-links = 🔗 Мои ссылки
partner-btn-earnings = 💰 Мой заработок
partner-btn-network = 👥 Моя сеть
partner-btn-chart = 📊 График за 12 месяцев
partner-btn-howto = ❓ Как делятся деньги
partner-btn-close = ✖️ Закрыть
partner-btn-back = ⬅️ Назад

## Ссылки
partner-links-title = 🔗 Ваши ссылки (переходы → старты → платят → выручка → ваш заработок):
partner-link-line =
    { $kind ->
        [partner] 🤝 { $label } (ссылка «стать партнёром»)
       *[client] 🔗 { $label }
    }
    { $clicks } → { $starts } → { $paying } → { $revenue } → { $earned }
    { $conversion }
    { $url }
partner-links-empty =
    У вас пока нет ни одной ссылки.
    Создайте первую — например, отдельную для каждого канала или кампании, — и делитесь ею: каждый, кто придёт по ней и оплатит, принесёт вам долю.
partner-link-no-label = без названия
partner-btn-new-link = ➕ Создать ссылку
partner-ask-label = Как назвать ссылку? Пришлите название (например, канал или кампанию, до 64 символов) или нажмите «Без названия».
partner-btn-no-label = Без названия
partner-ask-rename = Пришлите новое название ссылки (до 64 символов).
partner-link-card =
    { $kind ->
        [partner] 🤝 { $label } (ссылка «стать партнёром»)
       *[client] 🔗 { $label }
    }
    Переходов: { $clicks }
    Стартов: { $starts }
    Платят: { $paying }
    Выручка: { $revenue }
    Ваш заработок: { $earned }
    Конверсия: { $conversion }

    { $url }
partner-btn-share = 📤 Поделиться
partner-btn-qr = 🔳 QR-код
partner-btn-rename = ✏️ Переименовать
partner-btn-archive = 🗄 В архив
partner-link-created = Ссылка создана.
partner-link-renamed = Название сохранено.
partner-link-archived = Ссылка в архиве: новых людей она больше не приводит, её цифры сохранены.
partner-share-text = Попробуйте { $name } — нейро-трекер в Telegram.
partner-qr-caption = QR-код вашей ссылки: { $url }

## Заработок
partner-earnings =
    💰 Ваш заработок в этом трекере

    Начислено: { $settled_total }
    { $settled_levels }

    Ожидается по оплаченным, ещё не закрытым периодам: { $forecast_total }
    { $forecast_levels }

    По месяцам:
    { $months_text }
partner-level-author = Как автор: { $amount }
partner-level-n = Уровень { $level }: { $amount }
partner-month-line = { $month }: { $total } ({ $levels })
partner-month-author = , как автор { $author }
partner-months-empty = пока начислений не было
partner-chart-title = { $name }: заработок по месяцам
partner-chart-author = Как автор
partner-chart-caption = 📊 Заработок за 12 месяцев по уровням, всего { $total }.

## Сеть
partner-network =
    👥 Ваша сеть: { $people } чел.

    { $levels }

    Пришли по вашим ссылкам: { $names }
# One line per level the commission schedule pays (1 to 6).
partner-network-level = Уровень { $level }: { $people }, платят { $paying }
partner-network-empty =
    👥 В вашей сети пока никого нет.
    Поделитесь своей ссылкой — здесь появятся те, кто придёт по ней, и те, кого приведут уже они.

## Как делятся деньги
partner-howto =
    ❓ Как делятся деньги в трекере «{ $name }»

    Месяц подписки стоит { $price }. Из оплаты вычитается стоимость работы ИИ, остаток делится так:
    • платформа — { $platform_pct }% (до { $platform_amount });
    • автор трекера — { $author_pct }% (до { $author_amount });
    { $levels }
    Если какого-то уровня нет, его доля достаётся платформе.
    Приглашающий закрепляется за клиентом по первой ссылке, которую тот открыл, и навсегда — с первой оплаты. Пригласить самого себя нельзя.
    Деньги начисляются, когда оплаченный период заканчивается.
partner-howto-no-price =
    ❓ Как делятся деньги в трекере «{ $name }»

    Из каждой оплаты вычитается стоимость работы ИИ, остаток делится: платформа — { $platform_pct }%, автор — { $author_pct }%, { $levels_inline }. Доля отсутствующего уровня достаётся платформе.
    Автор пока не назначил цену подписки.

## Ошибки домена
referral-not-allowed = Создавать ссылки могут автор, клиенты, оплатившие подписку, и партнёры автора.
referral-partner-link-author-only = Ссылку «стать партнёром» может создать только автор трекера.
referral-not-author = Это не ваш трекер.
referral-link-not-found = Ссылка не найдена.
referral-tracker-not-found = Трекер не найден.
referral-label-too-long = Название слишком длинное: не больше 64 символов.
referral-too-many-links = Слишком много активных ссылок: отправьте ненужные в архив.

## Бот платформы: партнёры автора
btn-partners = 🤝 Партнёры
btn-partner-link = ➕ Ссылка «стать партнёром»
partners-title =
    🤝 Партнёры трекера «{ $name }» (@{ $username }): { $total }

    Ваш заработок здесь:
    как автор — { $as_author }
    как партнёр (по своим ссылкам) — { $as_partner }
    ожидается по открытым периодам — { $forecast }
    Клиентов по вашим ссылкам: { $own_clients }
partners-partner =
    { $kind ->
        [named] 🤝 { $first_name } (партнёр)
       *[client] 👤 { $first_name } (клиент)
    }: привели { $members }, платят { $subscribers }, заработали { $total }
    { $levels }
partners-link-line = 🔗 { $label }: { $clicks } → { $starts } → { $paying } → { $revenue }
partners-empty = Партнёров пока нет. Создайте ссылку «стать партнёром» и отправьте её тем, кто будет продвигать трекер.
partners-more = …и ещё { $more }.
partners-link-label = стать партнёром
partners-link-created =
    Ссылка «стать партнёром» для трекера «{ $name }»:
    { $new_link }
    Отправьте её своему представителю: открыв её, он станет вашим партнёром, а вы — его пригласившим.
partner-refund-alert =
    ⚠️ { $name } (@{ $username }): у клиентов партнёра { $partner } необычно много возвратов — { $refunded } из { $payments } оплат ({ $percent }%). Проверьте, не накрутка ли это.
