# Платформенный бот: панель автора на карточке трекера (billing.dashboard).

btn-dashboard = 📈 Показатели
dashboard =
    📈 { $name }: показатели
    Активных подписчиков: { $active }

    { $this }

    { $last }

    Расход токенов на клиента в этом месяце (клиентов с расходом: { $clients }): медиана { $median }, 90-й перцентиль { $p90 }; оценка тестового чата: { $estimate } в месяц.
    Самые дорогие клиенты:
    { $top }

    Ваш заработок на этом трекере: начислено { $settled }, прогноз по открытым периодам { $forecast }.
dashboard-month =
    { $month }: новых { $new }, ушло { $churned }
    выручка { $revenue } − токены { $cost } = маржа { $margin }
dashboard-top-line = • { $name } — { $cost }
