# The earnings chart of the partner cabinet and "My partner programs" in the platform bot.

## Chart
partner-chart-currency = RUB
partner-chart-level = Level { $level }
partner-chart-empty = 📊 Nothing to draw yet: no earnings in the last 12 months. The chart appears after your first accrual.
partner-chart-wait = ⏳ The chart was sent a moment ago. Press again in { $seconds } { $seconds ->
    [one] second
   *[other] seconds
}.

## Partner cabinet: where the balance is
partner-balance-where = { $platform ->
    [none] 💸 Your balance over all trackers and withdrawals: the "💸 Balance and payouts" button below.
   *[other] 💸 Your balance over all trackers and withdrawals: the "💸 Balance and payouts" button below. Every tracker you promote is in the platform bot @{ $platform }, under "🤝 My partner programs".
}

## Platform bot: my partner programs
programs-btn-open = 🤝 My partner programs
programs-title = 🤝 My partner programs
programs-line =
    { $role ->
        [author] 🧭 { $name } (@{ $username }) — your tracker
       *[partner] 🤝 { $name } (@{ $username })
    }{ $status ->
        [active] {""}
        [paused] {" "}(paused)
       *[other] {" "}(not running)
    }
    Earned: { $settled }, expected: { $forecast }
    Invite links: { $links_text }
    Cabinet: { $url }
programs-empty =
    You do not promote any tracker yet.
    A tracker bot opens its partner cabinet to you after a payment, or through a "become my partner" link from its author or one of their partners.
programs-balance = {""}
    💸 Your balance on the platform (one for all trackers):
    Accrued: { $accrued }
    Reserved for payouts: { $reserved }
    Paid out: { $paid }
    Available: { $available }
