# Mini App pages the platform bot opens: the author's dashboard, "My partner programs"; a link's QR code.

## Buttons in the platform bot
tracker-btn-webapp-dashboard = 📈 Dashboard as a page
programs-btn-webapp = 📊 Programs as a page

## A link's QR code in the cabinet
webapp-qr = QR code
webapp-qr-alt = QR code of the link

## The author's dashboard
webapp-dash-title = Dashboard
webapp-dash-active = Active subscribers
webapp-dash-estimate = Test chat's estimate per month
webapp-dash-settled = Your earnings: accrued
webapp-dash-forecast = Forecast for open periods
webapp-dash-costs = Token cost per client this month
webapp-dash-clients = Clients with a cost
webapp-dash-median = Median
webapp-dash-p90 = 90th percentile
webapp-dash-top = The costliest clients
webapp-dash-no-top = No costs this month yet.
webapp-dash-client = Client
webapp-dash-cost = Cost
webapp-dash-months = By month
webapp-dash-new = New
webapp-dash-churned = Left
webapp-dash-revenue = Revenue
webapp-dash-tokens = Tokens
webapp-dash-margin = Margin
webapp-dash-chart = Revenue, token cost and margin by month

## My partner programs
webapp-programs-title = My partner programs
webapp-programs-empty = You do not promote any tracker yet. A tracker bot opens its partner cabinet to you after a payment, or through a "become my partner" link from its author or one of their partners.
webapp-programs-author = your tracker
webapp-programs-partner = partner
webapp-programs-paused = paused
webapp-programs-stopped = not running
webapp-programs-links = Links
webapp-programs-open = Cabinet as a page
webapp-programs-bot = Cabinet in the bot
webapp-programs-balance = Your balance on the platform (one for all trackers)
