# Страницы Mini App, которые открывает бот платформы: показатели автора, «Мои партнёрские программы»; QR-код ссылки.

## Кнопки в боте платформы
tracker-btn-webapp-dashboard = 📈 Показатели на странице
programs-btn-webapp = 📊 Программы на странице

## QR-код ссылки в кабинете
webapp-qr = QR-код
webapp-qr-alt = QR-код ссылки

## Показатели автора
webapp-dash-title = Показатели
webapp-dash-active = Активных подписчиков
webapp-dash-estimate = Оценка тестового чата в месяц
webapp-dash-settled = Ваш заработок: начислено
webapp-dash-forecast = Прогноз по открытым периодам
webapp-dash-costs = Расход токенов на клиента в этом месяце
webapp-dash-clients = Клиентов с расходом
webapp-dash-median = Медиана
webapp-dash-p90 = 90-й перцентиль
webapp-dash-top = Самые дорогие клиенты
webapp-dash-no-top = В этом месяце расходов пока нет.
webapp-dash-client = Клиент
webapp-dash-cost = Расход
webapp-dash-months = По месяцам
webapp-dash-new = Новых
webapp-dash-churned = Ушло
webapp-dash-revenue = Выручка
webapp-dash-tokens = Токены
webapp-dash-margin = Маржа
webapp-dash-chart = График выручки, расхода токенов и маржи по месяцам

## Мои партнёрские программы
webapp-programs-title = Мои партнёрские программы
webapp-programs-empty = Вы пока не продвигаете ни одного трекера. Бот трекера открывает кабинет партнёра после оплаты или по ссылке «стать партнёром» от автора или его партнёров.
webapp-programs-author = ваш трекер
webapp-programs-partner = партнёр
webapp-programs-paused = на паузе
webapp-programs-stopped = не работает
webapp-programs-links = Ссылок
webapp-programs-open = Кабинет на странице
webapp-programs-bot = Кабинет в боте
webapp-programs-balance = Баланс на платформе (один на все трекеры)
