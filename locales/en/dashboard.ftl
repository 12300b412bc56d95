# The platform bot: the author's dashboard on the tracker card (billing.dashboard).

btn-dashboard = 📈 Dashboard
dashboard =
    📈 { $name }: dashboard
    Active subscribers: { $active }

    { $this }

    { $last }

    Token cost per client this month (clients with a cost: { $clients }): median { $median }, 90th percentile { $p90 }; the test chat's estimate: { $estimate } a month.
    The dearest clients:
    { $top }

    Your earnings on this tracker: settled { $settled }, forecast from the open periods { $forecast }.
dashboard-month =
    { $month }: new { $new }, churned { $churned }
    revenue { $revenue } − tokens { $cost } = margin { $margin }
dashboard-top-line = • { $name }: { $cost }
