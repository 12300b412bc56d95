# Платформенный бот: меню автора и управление трекерами.

cmd-platform-start = Главное меню
cmd-platform-help = Как это работает
cmd-tracker-start = Начать
cmd-tracker-help = Помощь

platform-help =
    Джипититор — платформа для нейро-трекеров.
    Создайте бота у @BotFather, пришлите сюда его токен — и ваш трекер заработает сразу.
    Клиенты оплачивают подписку прямо в Telegram, а маржа делится: платформа { $platform }%, автор { $author }%, партнёры { $levels } (по уровням приглашения; доли действуют сейчас и могут меняться).
    /start — главное меню.
platform-unknown = Не понял сообщение. Нажмите /start, чтобы открыть меню, или /help.
dialog-expired = Это меню устарело — открываю заново.

menu-title = Привет, { $first_name }! Это Джипититор — здесь живут ваши нейро-трекеры.
menu-no-trackers = У вас пока нет трекеров. Нажмите «Новый трекер», чтобы подключить бота.
menu-your-trackers = Ваши трекеры:
tracker-list-item = { $status ->
    [active] 🟢
    [paused] ⏸
   *[other] ⚠️
} { $name } (@{ $username })

btn-new-tracker = ➕ Новый трекер
btn-back = ← Назад
btn-to-list = ← К списку трекеров
btn-edit-name = ✏️ Название
btn-edit-description = 📝 Описание
btn-pause = ⏸ Приостановить
btn-resume = ▶️ Возобновить
btn-replace-token = 🔑 Заменить токен
btn-delete = 🗑 Удалить
btn-delete-yes = Да, удалить
btn-delete-no = Нет, оставить

new-tracker-howto =
    Как подключить трекер:
    1. Откройте @BotFather и отправьте /newbot (или /token для существующего бота).
    2. Скопируйте токен вида 123456789:AA… и пришлите его сюда сообщением.
    Сообщение с токеном я сразу удалю из чата.

token-not-a-token = Это не похоже на токен бота. Токен выглядит так: 123456789:AAH… — его выдаёт @BotFather.
token-rejected = Telegram не принял этот токен: он отозван или набран с ошибкой. Получите актуальный токен у @BotFather (/token).
token-platform-own = Это токен самого Джипититора. Создайте отдельного бота у @BotFather для своего трекера.
token-registered-yours = Бот @{ $username } уже подключён — он есть в вашем списке трекеров.
token-registered-other = Бот @{ $username } уже подключён другим автором. Создайте нового бота у @BotFather.
token-different-bot = Этот токен от другого бота. Пришлите новый токен именно для @{ $username } (@BotFather → /token).
token-telegram-unreachable = Не удалось связаться с Telegram, чтобы проверить токен. Попробуйте ещё раз через минуту.

tracker-created =
    🎉 Трекер @{ $username } запущен!
    Ваша ссылка для клиентов: { $link }
    Делитесь именно ею: клиент, пришедший по ней, приносит вам, кроме доли автора, и долю партнёра первого уровня.
tracker-card =
    { $name } (@{ $username })
    Ссылка, которой делиться: { $link }
    Статус: { $status ->
        [active] работает
        [paused] приостановлен — клиенты видят сообщение о паузе
        [revoked] токен отозван — пришлите новый токен
       *[other] { $status }
    }

    { $description }
tracker-no-description = Описание пока не задано.
tracker-not-found = Трекер не найден или принадлежит другому автору.
tracker-saved = Сохранено.
tracker-paused = Трекер приостановлен. Клиенты получат сообщение о паузе, ИИ отвечать не будет.
tracker-resumed = Трекер снова работает.
tracker-token-replaced = Токен заменён, бот переподключён.
tracker-needs-new-token = Токен @{ $username } отозван — сначала пришлите новый токен (кнопка «Заменить токен»).
tracker-deleted = Трекер удалён. История платежей и начислений сохранена.
tracker-ask-name = Пришлите новое название трекера (до 64 символов).
tracker-ask-description = Пришлите описание — его увидят клиенты в приветствии (до 512 символов).
tracker-ask-token = Пришлите новый токен для @{ $username } от @BotFather (/token). Старый перестанет работать.
tracker-name-invalid = Название должно быть непустым и не длиннее { $max } символов.
tracker-description-invalid = Описание должно быть непустым и не длиннее { $max } символов.
tracker-delete-confirm = Удалить трекер «{ $name }» (@{ $username })? Бот перестанет отвечать клиентам. История платежей и начислений останется.
tracker-token-revoked = ⚠️ Telegram отклонил токен трекера @{ $username } — бот остановлен. Откройте трекер в меню и нажмите «Заменить токен».
