# LLM costs: the admin's settings (billing.policy) and refusals to the author (billing.cost_rules).

costs-btn-open = 🧮 LLM costs
costs-settings =
    🧮 LLM costs: platform settings
    { $settings }

    max_tokens: the most tokens an answer may have, sent with every call;
    max_free_messages: the most free messages an author may give a client (the platform pays for them);
    allow_unsafe_limits: allow a per-client mJ limit that costs more than the plan's price (yes/no);
    platform_cost_percent: the share of a plan's price never spent on tokens (acquiring, a margin of safety), %;
    author_free_mj_per_day: the author's free mJ a day; the rest is charged to their account;
    tracker_concurrency, global_concurrency: model calls at once per tracker and in all (the rest wait in a queue);
    fraud_fast_chain_minutes, fraud_fast_chain_links: a chain whose members joined within that many minutes of their inviter, that many links in a row, is held (0 minutes: off);
    fraud_refund_percent, fraud_refund_min_count: a partner whose referrals' payments are refunded at least this often (%), out of at least this many, is held.
    To change one, send its name and value, e.g.: max_tokens 2000
costs-setting-line = { $changed ->
    [yes] ✏️
   *[no] ·
} { $name } = { $value }
costs-saved = Setting { $name } saved.
costs-unknown-setting = There is no setting "{ $name }". Send a name from the list and a value after a space.
costs-bad-yes-no = "{ $value }" is not a yes or no. Send yes or no.
costs-bad-range = "{ $value }" will not do: a number from { $low } to { $high }, please.
costs-free-over-cap = The platform allows at most { $cap } free { $cap ->
    [one] message
   *[other] messages
} per client: it pays for them.
costs-limit-over-margin = A limit of { $limit } mJ costs { $cost } at today's rate, while your cheapest plan brings { $revenue } a period after the platform's costs: a client could cost more than they pay. The most you can set is { $most } mJ.
