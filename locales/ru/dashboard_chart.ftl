# Платформенный бот: график панели автора (services.dashboard_chart).

btn-dashboard-chart = 📊 График за 12 месяцев
dashboard-chart-title = Трекер «{ $name }»: выручка, токены и маржа по месяцам
dashboard-chart-revenue = Выручка
dashboard-chart-cost = Токены
dashboard-chart-margin = Маржа
dashboard-chart-caption = 📊 Трекер «{ $name }» за 12 месяцев: маржа { $margin }.
dashboard-chart-empty = За последние 12 месяцев у трекера ещё нет ни выручки, ни расходов на токены: рисовать пока нечего.
