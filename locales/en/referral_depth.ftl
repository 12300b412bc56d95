# Referral depth is part of the commission schedule (billing.split, billing.commission).
commission-level-pct = L{ $level } { $pct } %
commission-no-levels = no referral levels
commission-too-many-levels = That is { $levels } levels; at most { $most } are allowed: send the platform's and the author's shares and at most { $most } level shares.

# One part of a month's line in the partner cabinet: as many levels as the partner has earnings at.
partner-month-level = level { $level } — { $amount }

# "How the money is split" in the partner cabinet: one line per level of the schedule in force.
partner-howto-level = { $level ->
    [1] • whoever invited the client (level 1) — { $pct }% (up to { $amount });
    [2] • whoever invited the inviter (level 2) — { $pct }% (up to { $amount });
   *[other] • level { $level } — { $pct }% (up to { $amount });
}
partner-howto-level-inline = { $level ->
    [1] level 1 (the client's inviter) { $pct }%
   *[other] level { $level } { $pct }%
}
partner-howto-no-levels = • there are no referral levels now: partners earn nothing for inviting;

# The admin's month totals: one level's share (levels 4 to 6 only when the month paid them).
admin-totals-level = L{ $level } { $amount }

# The web cabinet: levels 4..6, shown only when the partner has money there.
webapp-level-4 = Level 4
webapp-level-5 = Level 5
webapp-level-6 = Level 6
