"""The author's own LLM use, charged to the author's account, a day at a time.

An author's chats with their own tracker and their test chat are metered like any answer, as
usage records charged to "author" (billing.access, llm.records). Once a day (UTC) is over, what
each author used that day beyond the free quota (`CostPolicy.author_free_mj_per_day`, mJ) is
charged: two ledger entries of kind `usage`, the author's account minus the amount and the
platform's plus it, with the source (author_usage, the day's ordinal). The ledger's unique key
makes the charge once per author and day whatever runs it (a restart, two workers): idempotent
and crash-safe, and the ledger stays append-only.

The amount: the day's cost (each call at the rate of its moment, in millionths of a kopeck) times
the share of the day's mJ beyond the quota, rounded half-up to kopecks once. The quota in force
when the day is charged applies.

An author's balance may go negative (they used more than they earned). Nothing is taken from
anyone else: the next accruals fill it, and a payout asks for the available balance, which counts
the charges (billing.ledger), so the debt is recovered before any payout.

Days are charged from LOOKBACK_DAYS back (a worker that was down catches up) and only once they
ended GRACE ago (an answer metered just before midnight is in its day's sum).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tortoise.transactions import in_transaction

from billing.accounts import platform_account_id, user_account_ids
from billing.ledger import INSERT_ENTRY
from billing.policy import CostPolicy, load_policy
from billing.rates import CHARGED_TO_AUTHOR, MICRO
from models.enums import EntryKind, Role, SourceType
from models.sql import default_connection, sql, ts, utc

LOOKBACK_DAYS = 35
GRACE = timedelta(minutes=10)

_DAY_USE = (
    "SELECT user_id, SUM(mj_micro), SUM(cost_ukop) FROM usage_records"
    " WHERE charged_to = ? AND created_at >= ? AND created_at < ? GROUP BY user_id"
)
_CHARGED = "SELECT account_id FROM ledger_entries WHERE source_type = ? AND source_id = ? AND kind = ?"


@dataclass(frozen=True, slots=True)
class DayUse:
    user_id: int
    mj_micro: int
    cost_ukop: int


def day_charge_kopecks(mj_micro: int, cost_ukop: int, free_mj: Decimal) -> int:
    """What a day's use costs the author beyond the free quota, in kopecks (half-up)."""
    free_micro = Decimal(free_mj) * MICRO
    if mj_micro <= 0 or mj_micro <= free_micro:
        return 0
    charged_ukop = Decimal(cost_ukop) * (Decimal(mj_micro) - free_micro) / Decimal(mj_micro)
    return int((charged_ukop / MICRO).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


async def day_use(day: date) -> list[DayUse]:
    """Each author's use on `day` (UTC), from the usage records charged to authors."""
    conn = default_connection()
    start, end = day_bounds(day)
    _, rows = await conn.execute_query(sql(conn, _DAY_USE), [CHARGED_TO_AUTHOR, ts(conn, start), ts(conn, end)])
    return [DayUse(int(r[0]), int(r[1] or 0), int(r[2] or 0)) for r in rows]


async def charge_day(day: date, policy: CostPolicy) -> int:
    """Charge every author's use of `day` not charged yet; returns the kopecks charged now."""
    uses = [u for u in await day_use(day) if day_charge_kopecks(u.mj_micro, u.cost_ukop, policy.author_free_mj_per_day)]
    if not uses:
        return 0
    accounts = await user_account_ids([u.user_id for u in uses])
    platform = await platform_account_id()
    total = 0
    async with in_transaction() as conn:
        _, rows = await conn.execute_query(
            sql(conn, _CHARGED), [SourceType.AUTHOR_USAGE.value, day.toordinal(), EntryKind.USAGE.value]
        )
        done = {int(r[0]) for r in rows}
        now = ts(conn, datetime.now(UTC))
        entries: list[list[Any]] = []
        for use in uses:
            account = accounts[use.user_id]
            if account in done:
                continue
            amount = day_charge_kopecks(use.mj_micro, use.cost_ukop, policy.author_free_mj_per_day)
            usage = [EntryKind.USAGE.value, Role.NONE.value]
            # The author's side and the platform's, in the same transaction.
            entries.append([account, *usage, -amount, SourceType.AUTHOR_USAGE.value, day.toordinal(), None, now])
            entries.append([platform, *usage, amount, SourceType.AUTHOR_USAGE.value, _platform_source(day, account),
                            None, now])
            total += amount
        if entries:
            await conn.execute_many(sql(conn, INSERT_ENTRY), entries)
    return total


def _platform_source(day: date, account_id: int) -> int:
    """The platform's entry for one author's day: the day's ordinal and the author's account in
    one number, so each (author, day) credits the platform once and never collides with a day's
    ordinal (which stays below 10**6 for millennia)."""
    return account_id * 10**6 + day.toordinal()


async def charge_closed_days(now: datetime | None = None) -> int:
    """Charge every closed day of the last LOOKBACK_DAYS; returns the kopecks charged now."""
    now = utc(now or datetime.now(UTC))
    policy = await load_policy()
    last = (now - GRACE).date() - timedelta(days=1)
    total = 0
    for back in range(LOOKBACK_DAYS - 1, -1, -1):
        total += await charge_day(last - timedelta(days=back), policy)
    return total
