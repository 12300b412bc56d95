"""Settlement: every open period whose end has passed gets its token cost, margin and ledger entries.

For each due period (status open, ends_at <= now):

    token cost = sum of its subscriber's metered calls on its tracker inside [starts_at, ends_at)
                 that were charged to the subscription (usage_records.cost_ukop, millionths of a
                 kopeck), rounded half-up to kopecks once
    margin     = revenue - token cost
    entries    = billing.split.split_margin(margin, author, chain l1..l6), by the commission
                 schedule in force at the period's end (billing.commission; each batch is split
                 group by group, one group per schedule), computed in the database by
                 billing.split_sql

For a period whose money the author collected (Stars, their own shop: `collector`), one more entry
debits the author's account with its revenue (kind `collected`, source `collection`): the author's
balance then says what they owe. The period's own entries still add up to its margin.

The author comes from the tracker, l1..l6 from the period itself (as many of them as the schedule
has levels are paid): the chain as locked at the
payment (`referral.attribution.locked_chain`) is copied onto every period of the purchase, so
settlement neither recurses nor joins the memberships.

How it stays fast: periods are read in primary-key order in batches (5,000 by default), each batch
is one short transaction of raw set-based SQL through tortoise's connection (one UPDATE ...
RETURNING that marks the periods settled with their cost, a correlated aggregate, and margin, and
hands back what the split needs; one INSERT ... SELECT of the ledger rows per 1,000 periods that
makes the shares from those margins). The ORM would build a model object per row and is ~7x
slower (ARCHITECTURE.md); sending each share from Python as an executemany row cost about twice
the ledger insert itself.

Why it is exactly-once: the ledger rows and the "settled" mark are written in the same
transaction, the mark only applies to a period still open, and the ledger's unique key
(source_type, source_id, account, role, kind) refuses a second copy of any entry. So a rerun, a
crash half way (the open batch rolls back, committed ones stay settled) or a second settler at the
same time all end with each period accrued once. After downtime, the next run catches up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from billing import commission, dashboard_rollup, fraud, split_sql
from billing.accounts import platform_account_id, user_account_ids
from billing.ledger import INSERT_ENTRY
from billing.split import LEVEL_ROLES, ScheduleLike, Weights, split_margin
from models import summaries
from models.enums import Collector, EntryKind, Role, SourceType
from models.sql import bulk_writes, default_connection, is_postgres, parse_ts, sql, ts, write_first
from notify import events as notify_events

log = logging.getLogger(__name__)

UKOP_PER_KOPECK = 1_000_000
BATCH_SIZE = 5_000

# One statement per batch: the due periods (open, ended by `now`, in key order) are marked settled
# with their token cost and margin, and come back with what the split needs. The cost is the sum
# of the period's metered calls charged to the subscription, in millionths of a kopeck, rounded
# half-up to kopecks once ({kopecks}). The author comes from the tracker.
_SETTLE = """
UPDATE accounting_periods SET status = 'settled', token_cost_kopecks = due.cost,
       margin_kopecks = accounting_periods.revenue_kopecks - due.cost, settled_at = ?
FROM (SELECT p.id, {kopecks} AS cost
      FROM accounting_periods p
      WHERE p.status = 'open' AND p.id > ? AND p.ends_at <= ?
      ORDER BY p.id
      LIMIT ?{lock}) due
WHERE accounting_periods.id = due.id AND accounting_periods.status = 'open'
RETURNING accounting_periods.id, tracker_id, revenue_kopecks,
          (SELECT t.author_id FROM trackers t WHERE t.id = accounting_periods.tracker_id) AS author_id,
          l1_id, l2_id, l3_id, l4_id, l5_id, l6_id, margin_kopecks, ends_at, collector
"""
_COST_UKOP = """COALESCE((SELECT SUM(u.cost_ukop) FROM usage_records u
                 WHERE u.tracker_id = p.tracker_id AND u.user_id = p.user_id
                   AND u.created_at >= p.starts_at AND u.created_at < p.ends_at
                   AND u.charged_to = 'subscription'), 0)"""
# Half-up to kopecks (costs are never negative). PostgreSQL's SUM of bigints is a numeric, which
# `/` would not truncate.
_KOPECKS_SQLITE = f"({_COST_UKOP} + {UKOP_PER_KOPECK // 2}) / {UKOP_PER_KOPECK}"
_KOPECKS_PG = f"CAST(div({_COST_UKOP} + {UKOP_PER_KOPECK // 2}, {UKOP_PER_KOPECK}) AS BIGINT)"
# PostgreSQL: two settlers at once split the work instead of waiting on each other.
_LOCK_PG = " FOR UPDATE OF p SKIP LOCKED"
_MARGIN, _ENDS_AT = 10, 11  # columns of _SETTLE's rows: the split's input, and what picks the schedule
_AUTHOR_COLLECTED = Collector.AUTHOR.value


# Plain text for the drivers: binding an enum member costs sqlite3 an adapter lookup per value
# (twice as slow for 5M rows); a dict lookup costs nothing.
_ROLE = {role: role.value for role in Role}
_KIND = {kind: kind.value for kind in EntryKind}
_COLLECTED, _AUTHOR_ROLE, _COLLECTION = EntryKind.COLLECTED.value, Role.AUTHOR.value, SourceType.COLLECTION.value
# Only the referral levels are held: the author's share is earned by the tracker, whoever invited.
_REFERRAL, _HELD = frozenset(LEVEL_ROLES), EntryKind.HELD.value


@dataclass
class SettlementResult:
    periods: int = 0
    margin_kopecks: int = 0  # net: losses included
    loss_kopecks: int = 0  # the sum of the negative margins (<= 0)
    entries: int = 0
    batches: int = 0


class SettlementInterrupted(RuntimeError):
    """Raised by the test seam `interrupt_after_batches` to simulate a crash half way."""


def token_cost_kopecks(cost_ukop: int) -> int:
    """Millionths of a kopeck to kopecks, half-up (costs are never negative)."""
    return (int(cost_ukop) + UKOP_PER_KOPECK // 2) // UKOP_PER_KOPECK


async def settle_due_periods(
    now: datetime | None = None,
    *,
    schedule: ScheduleLike = None,
    batch_size: int = BATCH_SIZE,
    interrupt_after_batches: int | None = None,
) -> SettlementResult:
    """Settle every open period that ended at or before `now` (default: the current time).

    Each period is split by the commission schedule in force at its `ends_at`: the latest dated
    CommissionRate from before it, or else `schedule`, the configured one (a
    `bot.config.CommissionSchedule`, a mapping of percents, or None for the defaults).
    `interrupt_after_batches` is for tests: after that many committed batches the next one
    raises SettlementInterrupted after writing its ledger rows, before its commit, as a crash would.
    """
    now = now or datetime.now(UTC)
    schedules = await commission.load(schedule)
    conn = default_connection()
    platform = await platform_account_id(conn)
    accounts: dict[int, int] = {}  # user id -> account id, only ids that are committed
    result = SettlementResult()
    last_id = 0
    async with bulk_writes(conn):
        while True:
            async with in_transaction() as tx:
                await write_first(tx, "accounting_periods")
                now_ts = ts(tx, now)
                # marked first: the split reads each period's margin from its row
                rows = await _settle_batch(tx, last_id, now_ts, batch_size)
                if not rows:
                    break
                new_accounts = await _accounts_for(tx, rows, accounts)
                by_schedule, outliers, batch = _compute(rows, schedules)
                held = await fraud.flagged_users(tx)  # read in the batch's transaction: no flag slips by
                for weights, period_ids in by_schedule.items():
                    batch.entries += await split_sql.write_entries(tx, period_ids, weights, platform, now_ts, held)
                if outliers:
                    entries = _split_in_python(outliers, platform, accounts | new_accounts, now_ts, held)
                    await tx.execute_many(sql(tx, INSERT_ENTRY), cast("list[list[Any]]", entries))
                    batch.entries += len(entries)
                if interrupt_after_batches is not None and result.batches >= interrupt_after_batches:
                    raise SettlementInterrupted(f"interrupted after {result.batches} batches")
                settled = [row[0] for row in rows]
                await dashboard_rollup.periods_settled(tx, settled)  # out of the forecasts
                await summaries.periods_closed(tx, settled)  # and out of the cabinet's open totals
                # the posts commit with the entries
                await notify_events.accruals_settled(tx, rows[0][0], rows[-1][0], now)
            # Committed: only now may the accounts created in this batch be trusted.
            accounts.update(new_accounts)
            last_id = rows[-1][0]
            result.batches += 1
            result.periods += batch.periods
            result.margin_kopecks += batch.margin_kopecks
            result.loss_kopecks += batch.loss_kopecks
            result.entries += batch.entries
            log.debug("settled batch %d: %d periods up to id %d", result.batches, batch.periods, last_id)
    if result.periods:
        log.info(
            "settled %d periods, margin %d kopecks, %d entries", result.periods, result.margin_kopecks, result.entries
        )
    return result


async def _settle_batch(tx: BaseDBAsyncClient, last_id: int, now_ts: Any, limit: int) -> list[Any]:
    """Marks the next batch of periods due at `now_ts` settled at it; their rows in key order."""
    pg = is_postgres(tx)
    query = _SETTLE.format(kopecks=_KOPECKS_PG if pg else _KOPECKS_SQLITE, lock=_LOCK_PG if pg else "")
    if pg:  # tortoise's asyncpg client answers a bare UPDATE with its count alone, never the rows
        query = f"WITH settled AS ({query}) SELECT * FROM settled"
    _, rows = await tx.execute_query(sql(tx, query), [now_ts, last_id, now_ts, limit])
    return sorted(rows, key=lambda row: row[0])  # RETURNING promises no order


async def _accounts_for(tx: BaseDBAsyncClient, rows: list[Any], known: dict[int, int]) -> dict[int, int]:
    """Account ids of this batch's beneficiaries that are not in `known` (created if missing)."""
    # The author and the chain l1..l6 (row[3:10]).
    wanted = {uid for row in rows for uid in row[3:10] if uid is not None and uid not in known}
    return await user_account_ids(wanted, tx) if wanted else {}


def _by_schedule(rows: list[Any], schedules: commission.Schedules) -> dict[Weights, list[Any]]:
    """The batch's rows grouped by the commission schedule in force at each period's end."""
    if not schedules:  # no dated schedule: the configured one for every period
        return {schedules.fallback: rows}
    groups: dict[Weights, list[Any]] = {}
    for row in rows:
        groups.setdefault(schedules.weights_at(parse_ts(row[_ENDS_AT])), []).append(row)
    return groups


def _compute(
    rows: list[Any], schedules: commission.Schedules
) -> tuple[dict[Weights, list[int]], list[tuple[Any, Weights]], SettlementResult]:
    """A batch's period ids by schedule for the split in the database, and the rare periods whose
    margin is too large for the database's integers (billing.split_sql.fits), each with its
    schedule, for the split in Python."""
    by_schedule: dict[Weights, list[int]] = {}
    outliers: list[tuple[Any, Weights]] = []
    batch = SettlementResult()
    for weights, group in _by_schedule(rows, schedules).items():
        for row in group:
            period_id, margin = row[0], int(row[_MARGIN])
            if split_sql.fits(margin, weights):
                by_schedule.setdefault(weights, []).append(period_id)
            else:
                outliers.append((row, weights))
            batch.periods += 1
            batch.margin_kopecks += margin
            if margin < 0:
                batch.loss_kopecks += margin
    return by_schedule, outliers, batch


def _split_in_python(
    outliers: list[tuple[Any, Weights]], platform: int, accounts: dict[int, int], now_ts: Any,
    held: set[int] | frozenset[int] = frozenset(),
) -> list[tuple]:
    """The ledger rows of periods the database cannot split exactly, by `split_margin` itself. A
    referral share of a partner in `held` (flagged, billing.fraud) is written as `held`, not
    `accrual`: the same amount, out of the available balance until an admin decides
    (billing.holds). Their `collected` entries are the database's (billing.split_sql)."""
    source = SourceType.PERIOD.value
    entries: list[tuple] = []
    for (period_id, tracker_id, _revenue, author, *rest), weights in outliers:
        chain, margin = rest[:6], int(rest[6])
        for share in split_margin(margin, author=author, chain=chain, schedule=weights):
            account = platform if share.beneficiary is None else accounts[share.beneficiary]
            kind = _KIND[share.kind]
            if held and share.beneficiary in held and share.role in _REFERRAL:
                kind = _HELD
            entries.append((account, kind, _ROLE[share.role], share.amount, source, period_id, tracker_id, now_ts))
    return entries
