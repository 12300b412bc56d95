# Бот-трекер: то, что видит клиент.

tracker-greeting =
    Здравствуйте, { $first_name }! Я { $name }.
    { $description }
tracker-help =
    { $name } — ваш нейро-трекер. Просто напишите сообщение — отвечу.
    { $commands }
tracker-is-paused = { $name } сейчас на паузе — автор скоро его возобновит. Ваши данные и подписка сохранены.
