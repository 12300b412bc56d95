# Referral depth is part of the commission schedule (billing.split, billing.commission).
commission-level-pct = L{ $level } { $pct } %
commission-no-levels = no referral levels
commission-too-many-levels = That is { $levels } levels; at most { $most } are allowed: send the platform's and the author's shares and at most { $most } level shares.

# One part of a month's line in the partner cabinet: as many levels as the partner has earnings at.
partner-month-level = level { $level } — { $amount }
