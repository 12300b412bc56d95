"""A partner's money: settled earnings per role and month, the forecast of the open periods, and
the balance. Read from the running totals (`billing.partner.totals`) and the ledger.

- *earnings* are ledger accruals on the person's account, read from the running totals (exact:
  what is newer than the totals is added live);
- *forecast*: the open (not yet settled) periods where the person holds a role (as the author,
  or in the chain the period carries, as locked at payment), each valued at the person's share of
  the period's revenue under the commission schedule (`billing.split`). Token costs are not known
  before settlement, so it is an upper estimate;
- months are calendar months in the platform's time zone, by the ledger entry's `created_at` (the
  settlement time). Pass the platform's zone (`settings.timezone`) to the monthly figures: the
  running totals are cut in one zone, and another one makes them refold. Figures without months
  take `tz=None` (whatever zone the totals are in).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from billing.ledger import Balance
from billing.ledger import balance as account_balance
from billing.partner import totals
from billing.split import DEFAULT_LEVELS, LEVEL_ROLES, ScheduleLike, compile_schedule, role_amounts
from models import sql as db
from models.enums import EntryKind, PeriodStatus, Role

DEFAULT_TIMEZONE = totals.DEFAULT_TIMEZONE
_OPEN = PeriodStatus.OPEN.value


_ROLES = ("author", *(role.value for role in LEVEL_ROLES))


@dataclass(frozen=True, slots=True)
class LevelAmounts:
    """Kopecks per role. `author` is non-zero only for the tracker's author; levels 4..6 only
    under a schedule that deep."""

    author: int = 0
    l1: int = 0
    l2: int = 0
    l3: int = 0
    l4: int = 0
    l5: int = 0
    l6: int = 0

    @property
    def by_level(self) -> tuple[int, ...]:
        """Level 1 first, all six."""
        return (self.l1, self.l2, self.l3, self.l4, self.l5, self.l6)

    @property
    def total(self) -> int:
        return self.author + sum(self.by_level)

    @property
    def deepest(self) -> int:
        """The deepest level with money (0: none)."""
        return max((n for n, amount in enumerate(self.by_level, start=1) if amount), default=0)

    def levels(self, depth: int) -> list[tuple[int, int]]:
        """(level, kopecks) for levels 1..depth."""
        return list(enumerate(self.by_level[:depth], start=1))

    @classmethod
    def from_roles(cls, amounts: dict[str, int]) -> LevelAmounts:
        return cls(**{role: int(amounts.get(role, 0)) for role in _ROLES})


def shown_depth(*amounts: LevelAmounts) -> int:
    """How many levels a screen lists: the three of the default schedule, or as many as the
    partner has money at (the ledger's roles, the forecast's)."""
    return max((DEFAULT_LEVELS, *(a.deepest for a in amounts)))  # none given: the default


@dataclass(frozen=True, slots=True)
class Earnings:
    settled: LevelAmounts
    forecast: LevelAmounts


@dataclass(frozen=True, slots=True)
class MonthEarnings:
    month: str  # "YYYY-MM" in the platform's time zone
    amounts: LevelAmounts


def _tracker_filter(column: str, tracker_id: int | None) -> tuple[str, list[Any]]:
    return ("", []) if tracker_id is None else (f" AND {column} = ?", [tracker_id])


def by_role(earned: totals.Earned) -> LevelAmounts:
    sums: dict[str, int] = {}
    for (_, role, _), amount in earned.items():
        sums[role] = sums.get(role, 0) + amount
    return LevelAmounts.from_roles(sums)


async def settled_by_level(
    tracker_id: int | None, user_id: int, *, tz: str | None = None, using_db: BaseDBAsyncClient | None = None
) -> LevelAmounts:
    """The user's accruals per role, on one tracker or (tracker_id=None) on all of them."""
    return by_role(await totals.earned(user_id, tracker_id, tz=tz, using_db=using_db))


# The open periods where the user holds each role, grouped by revenue: a role's share depends only
# on the amount (billing.split), so a handful of (role, revenue, count) rows price them all exactly.
# The counts are kept by triggers (models/summaries.py, `open_period_totals`): a period counts at
# each level of the chain it carries (as locked at payment), holder 0 being nobody, and at level 0
# for its tracker. The role is a literal (an enum value): PostgreSQL cannot type a bare parameter
# in a select list.
_FORECAST_LEVEL = """
SELECT '{level}', o.revenue_kopecks, SUM(o.periods)
FROM open_period_totals o
WHERE o.holder_id = ? AND o.level = {n}{tracker}
GROUP BY o.revenue_kopecks
"""
_FORECAST_AUTHOR = """
SELECT '{role}', o.revenue_kopecks, SUM(o.periods)
FROM trackers t JOIN open_period_totals o ON o.holder_id = 0 AND o.level = {n} AND o.tracker_id = t.id
WHERE t.author_id = ?{tracker}
GROUP BY o.revenue_kopecks
"""


def role_share(schedule: ScheduleLike) -> Callable[[str, int], int]:
    """`share(role, amount)`: the role's kopecks of `amount`, rounded exactly as settlement does."""
    weights = compile_schedule(schedule)
    index = {r.value: i for i, r in enumerate(weights.roles)}
    cache: dict[int, list[int]] = {}

    def share(role: str, amount: int) -> int:
        if amount <= 0 or role not in index:  # a level deeper than the schedule earns nothing
            return 0
        if amount not in cache:
            cache[amount] = role_amounts(amount, weights)
        return cache[amount][index[role]]

    return share


async def forecast_by_level(
    tracker_id: int | None, user_id: int, *, schedule: ScheduleLike = None, using_db: BaseDBAsyncClient | None = None
) -> LevelAmounts:
    """What the open periods would bring the user per role if their whole revenue were margin."""
    conn = db.conn_or_default(using_db)
    parts: list[str] = []
    params: list[Any] = []
    period_where, period_params = _tracker_filter("o.tracker_id", tracker_id)
    # Levels past the schedule's depth earn nothing: not even looked up.
    for n, role in enumerate(LEVEL_ROLES[: compile_schedule(schedule).depth], start=1):
        parts.append(_FORECAST_LEVEL.format(level=role.value, n=n, tracker=period_where))
        params += [user_id, *period_params]
    author_where, author_params = _tracker_filter("t.id", tracker_id)
    # Every open period of the author's trackers (level 0), and, under a schedule that gives the
    # author level 1 of clients nobody invited, those (nobody at level 1).
    parts.append(_FORECAST_AUTHOR.format(role=Role.AUTHOR.value, n=0, tracker=author_where))
    params += [user_id, *author_params]
    if compile_schedule(schedule).unattributed_to_author:
        parts.append(_FORECAST_AUTHOR.format(role=Role.L1.value, n=1, tracker=author_where))
        params += [user_id, *author_params]
    found = await db.rows(conn, " UNION ALL ".join(parts), params)
    share = role_share(schedule)
    sums: dict[str, int] = {}
    for role, revenue, count in found:
        sums[role] = sums.get(role, 0) + share(role, int(revenue)) * int(count)
    return LevelAmounts.from_roles(sums)


async def earnings(
    tracker_id: int | None,
    user_id: int,
    *,
    schedule: ScheduleLike = None,
    tz: str | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> Earnings:
    """Settled (ledger) and forecast (open periods) earnings per role."""
    return Earnings(
        settled=await settled_by_level(tracker_id, user_id, tz=tz, using_db=using_db),
        forecast=await forecast_by_level(tracker_id, user_id, schedule=schedule, using_db=using_db),
    )


def month_labels(months: int, now: datetime, tz: str) -> list[str]:
    """ "YYYY-MM" of the last `months` calendar months in `tz`, oldest first, the current one last."""
    local = now.astimezone(ZoneInfo(tz))
    labels = []
    for k in range(-(months - 1), 1):
        y, m0 = divmod(local.month - 1 + k, 12)
        labels.append(f"{local.year + y:04d}-{m0 + 1:02d}")
    return labels


async def monthly_earnings_by_level(
    tracker_id: int | None,
    user_id: int,
    months: int = 12,
    *,
    now: datetime | None = None,
    tz: str = DEFAULT_TIMEZONE,
    using_db: BaseDBAsyncClient | None = None,
) -> list[MonthEarnings]:
    """Accruals per role for each of the last `months` months (the current one included), oldest
    first, months without earnings included as zeros: ready for a chart."""
    if months < 1:
        raise ValueError("months must be >= 1")
    labels = month_labels(months, now or datetime.now(UTC), tz)
    per_month: dict[str, dict[str, int]] = {label: {} for label in labels}
    found = await totals.earned(user_id, tracker_id, tz=tz, since_month=labels[0], using_db=using_db)
    for (_, role, month), amount in found.items():
        if month in per_month:
            per_month[month][role] = per_month[month].get(role, 0) + amount
    return [MonthEarnings(label, LevelAmounts.from_roles(per_month[label])) for label in labels]


async def balance(user_id: int, *, using_db: BaseDBAsyncClient | None = None) -> Balance:
    """The user's balance over all trackers (accrued, reserved, paid, available, ...). All zeros
    for someone without an account; reading never creates one."""
    conn = db.conn_or_default(using_db)
    account = await totals.account_of(conn, user_id)
    if account is None:
        return Balance(accrued=0, losses=0, adjustments=0, reserved=0, paid=0, available=0, by_role={})
    await totals.refresh(user_id, using_db=conn)  # fold what is new, so the balance reads a short tail
    return await account_balance(account, conn)


async def latest_accrual(user_id: int, *, using_db: BaseDBAsyncClient | None = None) -> int:
    """The id of the newest accrual on the user's account (0: none yet). The ledger is append-only
    and every figure of the cabinet is a sum of accruals, so while this stays the same they do too:
    a cache of a rendered view keys on it. One index-only MAX on (account_id, kind, id)."""
    conn = db.conn_or_default(using_db)
    found = await db.rows(
        conn,
        "SELECT MAX(e.id) FROM accounts a JOIN ledger_entries e ON e.account_id = a.id AND e.kind = ? "
        "WHERE a.user_id = ?",
        [EntryKind.ACCRUAL.value, user_id],
    )
    return int(found[0][0] or 0) if found else 0
