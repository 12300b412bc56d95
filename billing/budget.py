"""A subscriber's mJ budget for the accounting period that contains a moment.

The author may set a limit per period (`Tracker.period_mj_limit`, mJ). Without one, the limit is
what keeps the period's margin non-negative: the period's revenue in kopecks divided by the rate
in kopecks per mJ (a 2,000 RUB month at 1.5 RUB/mJ allows 1,333.333 mJ). What counts against it is
what settlement subtracts: the subscriber's usage on this tracker charged to the subscription in
the period's window. A new period starts from zero.

An author's own limit never goes beyond what keeps the margin non-negative either, unless the
admin allows it (`billing.policy`, `allow_unsafe_limits`): the limit applied is the smaller of
the two, the safe one computed from the revenue net of `platform_cost_percent`. So a limit set
before a plan got cheaper, or before the rate went up, cannot make a period lose money.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Literal

from tortoise.functions import Sum

from billing.policy import DEFAULTS, CostPolicy
from billing.rates import CHARGED_TO_SUBSCRIPTION, MICRO, rate_at
from models import MjRate, Tracker, UsageRecord
from models.sql import default_connection, parse_ts, sql, ts, utc

ALERT_LEVELS = (80, 100)  # percent of the budget at which the author hears of it, once a period


@dataclass(frozen=True, slots=True)
class Budget:
    period_id: int
    starts_at: datetime
    ends_at: datetime
    limit_micro: int  # millionths of an mJ
    spent_micro: int
    # The margin guard: what the period's tokens may cost in all (millionths of a kopeck, the
    # revenue net of the platform's costs) and what they cost so far; None when the admin allows
    # limits beyond the margin (or no rate is known). See `leaves_room`.
    safe_ukop: int | None = None
    spent_ukop: int = 0

    @property
    def exhausted(self) -> bool:
        return self.spent_micro >= self.limit_micro

    @property
    def percent(self) -> int:
        return 100 if self.limit_micro <= 0 else self.spent_micro * 100 // self.limit_micro

    def leaves_room(self, reserve_ukop: int) -> bool:
        """Whether an answer that may cost up to `reserve_ukop` keeps the margin non-negative.
        In kopecks, not mJ: what was spent was costed at the rate of its day, whatever the rate
        is now."""
        return self.safe_ukop is None or self.spent_ukop + reserve_ukop <= self.safe_ukop

    def crossed(self, before_micro: int) -> list[int]:
        """Alert levels crossed going from `before_micro` to `spent_micro`."""
        lim = self.limit_micro
        return [lvl for lvl in ALERT_LEVELS if before_micro * 100 < lvl * lim <= self.spent_micro * 100]


def default_limit_micro(revenue_kopecks: int, rub_per_mj: Decimal) -> int:
    """The mJ (in millionths) whose cost equals the period's revenue, rounded down."""
    kopecks_per_mj = Decimal(rub_per_mj) * 100
    return int((Decimal(revenue_kopecks) * MICRO / kopecks_per_mj).to_integral_value(rounding=ROUND_FLOOR))


async def spent_micro(tracker_id: int, user_id: int, starts_at: datetime, ends_at: datetime) -> int:
    row = (
        await UsageRecord.filter(
            tracker_id=tracker_id, user_id=user_id, charged_to=CHARGED_TO_SUBSCRIPTION,
            created_at__gte=starts_at, created_at__lt=ends_at,
        )
        .annotate(total=Sum("mj_micro"))
        .first()
        .values("total")
    )
    return int((row or {}).get("total") or 0)


_PERIOD_AND_SPENT = """
SELECT p.id, p.starts_at, p.ends_at, p.revenue_kopecks, p.user_id,
       COALESCE((SELECT SUM(u.mj_micro) FROM usage_records u
                 WHERE u.tracker_id = p.tracker_id AND u.user_id = p.user_id
                   AND u.created_at >= p.starts_at AND u.created_at < p.ends_at
                   AND u.charged_to = 'subscription'), 0),
       COALESCE((SELECT SUM(u.cost_ukop) FROM usage_records u
                 WHERE u.tracker_id = p.tracker_id AND u.user_id = p.user_id
                   AND u.created_at >= p.starts_at AND u.created_at < p.ends_at
                   AND u.charged_to = 'subscription'), 0)
FROM accounting_periods p
WHERE p.subscription_id = ? AND p.starts_at <= ? AND p.ends_at > ? AND p.status != 'cancelled'
ORDER BY p.seq LIMIT 1
"""


def safe_limit_micro(revenue_kopecks: int, rub_per_mj: Decimal, policy: CostPolicy = DEFAULTS) -> int:
    """The mJ (in millionths) a period's revenue pays for, net of the platform's costs."""
    return default_limit_micro(policy.net_revenue_kopecks(revenue_kopecks), rub_per_mj)


async def budget_for(
    tracker: Tracker, subscription_id: int, at: datetime | None = None, *, rate: MjRate | None | Literal[False] = False,
    policy: CostPolicy = DEFAULTS,
) -> Budget | None:
    """The budget of the subscription's period containing `at`; None when nothing limits it (no
    open period, or no limit set and no rate to derive one from). One query: the period and what
    was spent in it (the hot path of every message). `rate`: the rate in force, if the caller
    has it at hand (False: look it up)."""
    at = utc(at or datetime.now(UTC))
    conn = default_connection()
    _, rows = await conn.execute_query(sql(conn, _PERIOD_AND_SPENT), [subscription_id, ts(conn, at), ts(conn, at)])
    if not rows:
        return None
    period_id, starts_at, ends_at, revenue, _user_id, spent, spent_ukop = tuple(rows[0])
    if rate is False:
        rate = await rate_at(at)
    return budget_of(tracker, period_id, starts_at, ends_at, revenue, spent, rate or None, policy, int(spent_ukop))


def budget_of(
    tracker: Tracker, period_id: int, starts_at: datetime | str, ends_at: datetime | str, revenue_kopecks: int,
    spent: int,
    rate: MjRate | None,
    policy: CostPolicy = DEFAULTS,
    spent_ukop: int = 0,
) -> Budget | None:
    """The budget from a period row read by raw SQL (datetimes as the backend returns them) and
    what was spent in it; None when nothing limits it (no limit set and no rate to derive one).
    The author's limit is capped by the safe one unless the admin allows more."""
    safe = None if rate is None else safe_limit_micro(revenue_kopecks, rate.rub_per_mj, policy)
    if tracker.period_mj_limit is not None:
        limit = int(Decimal(tracker.period_mj_limit) * MICRO)
        if safe is not None and not policy.allow_unsafe_limits:
            limit = min(limit, safe)
    elif safe is None:
        return None
    else:
        limit = safe
    guard = None if rate is None or policy.allow_unsafe_limits else policy.net_revenue_kopecks(revenue_kopecks) * MICRO
    return Budget(period_id, parse_ts(starts_at), parse_ts(ends_at), limit, int(spent), guard, int(spent_ukop))
