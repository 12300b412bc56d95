# The platform bot: the platform admin (mJ rate, model prices, commission, events, totals, export).

admin-btn-open = 🛠 Administration
admin-btn-close = ← Close
admin-menu =
    🛠 Platform administration
    Rate: { $rate } RUB per mJ · models with a price: { $models }
    Commission (platform / author{ $level_names }): { $shares } %
    Undelivered events: { $undelivered } · payout requests: { $payouts }
admin-btn-rate = 💱 mJ rate
admin-btn-prices = 🧠 Model prices
admin-btn-commission = ➗ Commission
admin-btn-payouts = 💸 Payout requests
admin-btn-events = 📮 Undelivered events
admin-btn-totals = 📊 Month totals and export

admin-rate =
    💱 Rate now: { $current } RUB per mJ.
    Rates ({ $tz } time):
    { $history }
    The past never changes: a new rate applies from the moment you give.
admin-rate-line = { $state ->
    [current] ▶️
    [future] 🕒
   *[past] ·
} from { $valid_from }: { $rate } RUB/mJ
admin-btn-rate-new = ➕ New rate
admin-rate-ask =
    Send the new rate in RUB per mJ and, unless it starts this minute, its start date and time ({ $tz }):
    1.75 — from this minute
    1.75 01.12.2026 — from the start of that day
    1.75 01.12.2026 09:00
admin-rate-added = The rate { $rate } RUB/mJ applies from { $valid_from }.

admin-prices = 🧠 Model prices in mJ per 1,000 tokens (input / output). Authors choose among active models only.
admin-prices-none = 🧠 No model prices yet: tracker answers are not metered. Add a model.
admin-price-item = { $active ->
    [yes] 🟢
   *[no] ⛔
} { $model }: { $input } / { $output }
admin-btn-price-new = ➕ Add a model
admin-price =
    🧠 { $model }: { $input } mJ per 1,000 input tokens, { $output } mJ per 1,000 output tokens. { $status ->
        [yes] Active.
       *[no] Switched off.
    }
    To change the price (and switch the model on), send two numbers: input output, e.g. 0.15 0.6
admin-btn-deactivate = ⛔ Switch the model off
admin-price-new-ask =
    Send the model's name and its prices in mJ per 1,000 input and output tokens, e.g.:
    gpt-4o-mini 0.15 0.6
admin-price-saved = The price of { $model } is saved.
admin-price-deactivated = The model { $model } is switched off: authors no longer see it and answers on it are not metered.
admin-price-missing = There is no such model.
admin-price-bad-format = Send two numbers separated by a space: the input price and the output price, e.g. 0.15 0.6
admin-price-new-bad-format = Send the model's name (no spaces) and two numbers, e.g. gpt-4o-mini 0.15 0.6

admin-commission =
    ➗ Commission now: platform { $platform_pct } %, author { $author_pct } %, { $levels }.
    A period is split by the schedule in force when it ends. Schedules ({ $tz } time):
    { $history }
admin-commission-line = { $state ->
    [future] 🕒
   *[past] ·
} from { $valid_from }: { $shares }
admin-commission-configured = · from the settings: { $shares }
admin-btn-commission-new = ➕ New schedule
admin-commission-ask =
    Send the shares in percent — platform, author, then one for each referral level, 0 to 6 levels: L1, L2, … (adding up to 100) — and, unless it starts this minute, its start date and time ({ $tz }):
    20 20 30 20 10
    15 20 30 20 10 5 01.12.2026 00:00
admin-commission-added = The new schedule applies from { $valid_from }.
admin-commission-bad-count = Send at least two shares: platform and author, then one for each level (L1, L2, …).
admin-commission-bad-number = "{ $value }" is not a share: a number from 0 to 100 with at most three decimals.
admin-commission-bad-total = The shares add up to { $total }, not 100.

admin-date-in-past = That time has passed. The past never changes: give a future time, or no date (from this minute).
admin-date-not-after = There is already one from { $latest }: a new one must start later.
admin-bad-date = I could not read the date: write DD.MM.YYYY or DD.MM.YYYY HH:MM.
admin-bad-number = "{ $value }" will not do: a number with at most six decimals.

admin-events =
    📮 Undelivered events: { $total } (page { $page } of { $pages }). Tap a number to send that event again.
admin-events-none = 📮 Every event was delivered.
admin-event-line = #{ $id } { $kind } → { $chat }, attempts: { $attempts }, { $created }: { $error }
admin-btn-retry-all = 🔁 Retry all
admin-events-retried = Queued again: { $count }.
admin-events-gone = This event no longer waits for a retry.

admin-totals =
    📊 Totals for { $month } (periods settled in that month, { $tz } time)
    Periods: { $periods }
    Revenue: { $revenue }
    Token cost: { $token_cost }
    Margin: { $margin } (losses included)
    Shares: platform { $platform_role }, author { $author_role }, { $level_roles }
    Of them unheld levels (to the platform): { $level_unheld }
    Losses: { $losses }
    The platform keeps: { $platform_kept } · people get: { $to_people }
    Ended this month, waiting for settlement: { $open_due }
    Another month: the buttons, or send MM.YYYY.
admin-btn-export = 📄 Export the ledger (CSV)
admin-bad-month = I could not read the month: write MM.YYYY, e.g. 11.2026.
admin-export-started = Preparing the export…
admin-export-too-big = The ledger for { $month } is { $size } MB: more than Telegram takes from a bot (50 MB).
admin-export-caption = Ledger for { $month } ({ $tz }): { $entries } { $entries ->
    [one] entry
   *[other] entries
}.
