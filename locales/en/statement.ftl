# Partner cabinet: the statement of settled periods and its CSV.

partner-btn-statement = 📜 Statement
statement-title = 📜 Statement of settled periods — { $name }
statement-summary = In all: { $count } { $count ->
    [one] accrual
   *[other] accruals
} for { $total }
statement-line =
    { $date } · { $client } · { $level ->
        [0] as the author
       *[other] level { $level }
    }
    period margin { $margin } → your share { $share }
statement-unnamed = a client without a name
statement-branch = a client in the “{ $name }” branch
statement-branch-unnamed = a client in your network
statement-page = Page { $page } of { $pages }
statement-empty = { $period ->
    [month] No settled periods with your share this month yet: a share is accrued when a client's paid period ends.
    [last_month] There were no settled periods with your share last month.
   *[all] No settled periods with your share yet: a share is accrued when the paid period of a client you invited ends.
}
statement-btn-csv = 📄 CSV
statement-csv-caption = 📄 Statement of “{ $name }” ({ $period ->
    [month] this month
    [last_month] last month
   *[all] all time
}): { $count } { $count ->
    [one] row
   *[other] rows
}. Amounts in roubles, dates as YYYY-MM-DD.
statement-csv-nothing = Nothing to export: you have no accruals or payouts in this period.
statement-csv-too-big = { $period ->
    [all] The all-time statement is over 50 MB, more than Telegram accepts. Choose a month, or export it through the API (/api/v1/trackers/…/periods).
   *[other] The chosen month's statement is over 50 MB, more than Telegram accepts. Export it through the API (/api/v1/trackers/…/periods).
}
