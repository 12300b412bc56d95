# Platform bot: the author dashboard's chart (services.dashboard_chart).

btn-dashboard-chart = 📊 Chart of 12 months
dashboard-chart-title = Tracker “{ $name }”: revenue, tokens and margin by month
dashboard-chart-revenue = Revenue
dashboard-chart-cost = Tokens
dashboard-chart-margin = Margin
dashboard-chart-caption = 📊 Tracker “{ $name }” over 12 months: margin { $margin }.
dashboard-chart-empty = The tracker has had no revenue and no token cost in the last 12 months: nothing to draw yet.
