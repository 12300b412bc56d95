"""The ledger: append-only entries, balances as sums, and the payout primitives.

Every money step is one or more `LedgerEntry` rows. Entries are never edited; the unique key
(source_type, source_id, account, role, kind) means the same step can be written only once, which
is what makes settlement and payouts idempotent.

Signs, as they count towards an account's available balance:

    accrual    +  a share of a settled period's margin
    loss       -  a period whose margin was <= 0 (platform only)
    adjustment +/- a correction by the admin
    clawback   +/- a refund after settlement takes shares back (billing.refunds); the balance may
                  go below zero, and later accruals make it up before anything can be paid out
    reserve    -  a payout request holds money
    release    +  a rejected or failed payout gives it back
    collected  -  an author collected a settled period's revenue themselves (Stars, their shop)
    repaid     +  the author paid the platform back of what they collected
    payout     +  the reserved money was paid out: recorded for the "paid" figure, NOT part of
                  the available balance (the reserve already took the money out)
    held       +  a flagged partner's referral share (billing.fraud): NOT available
    unheld     -  an admin ended that hold (billing.holds): NOT available either; the same step
                  writes the share as an `accrual` of the partner (released) or the platform (forfeited)

So  available = sum of every entry except `payout`, `held` and `unheld`,
    held      = sum of `held` and `unheld`   (shares waiting for the admin),
    paid      = sum of `payout`,
    reserved  = -(reserve) - release - paid   (held for requests not yet paid or released).

Each figure is a GROUP BY over the covering index (account_id, kind, role, amount_kopecks), except
the accruals, which come from billing.partner.totals's running totals plus the entries not folded yet
(see `_BALANCE`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from billing.accounts import platform_account_id, user_account_id
from billing.split import ScheduleLike, compile_schedule
from models.enums import EntryKind, PeriodStatus, Role, SourceType
from models.sql import default_connection, is_postgres, sql, ts

INSERT_ENTRY = (
    "INSERT INTO ledger_entries "
    "(account_id, kind, role, amount_kopecks, source_type, source_id, tracker_id, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (source_type, source_id, account_id, role, kind) DO NOTHING"
)


@dataclass(frozen=True, slots=True)
class Balance:
    accrued: int  # accruals (shares of settled margins)
    losses: int  # <= 0, the platform's losses on periods with a negative margin
    adjustments: int
    reserved: int  # held for payout requests that are neither paid nor released
    paid: int  # paid out
    available: int  # what can be asked for now
    by_role: dict[str, int]  # accruals per role: author, l1, l2, l3, platform
    clawed_back: int = 0  # <= 0 in practice: shares taken back by refunds after settlement
    collected: int = 0  # <= 0: money an author collected for settled periods (Stars, their own shop)
    repaid: int = 0  # what the author has paid the platform back of it
    held: int = 0  # referral shares held while the partner is flagged (billing.holds): not available
    usage: int = 0  # <= 0: the author's own LLM use charged to them (billing.author_usage)

    @property
    def owed(self) -> int:
        """What this person owes the platform (an author who collected more than their shares)."""
        return max(0, -self.available)

    @property
    def earned(self) -> int:
        return self.accrued + self.losses + self.adjustments + self.clawed_back


# An account's balance in one statement (one snapshot, so the running totals and their cursor agree
# with the ledger tail read beside them):
# - accruals up to the cursor: billing.partner.totals's running totals (`earnings_rollup`, folded from
#   the ledger in id order together with the cursor, in one transaction), a few rows however big
#   the account. The fold takes only accruals that carry a tracker; any without one are read
#   directly (index on account_id, tracker_id, kind: none in practice);
# - accruals after the cursor (not folded yet): the ledger, a range on (account_id, kind, id);
# - every other kind (reserve, release, payout, loss, adjustment: few per account): the ledger,
#   two ranges on the covering index either side of 'accrual' (so any kind counts, known or not).
# The cursor is a one-row derived table joined in (CROSS JOIN: first), so SQLite seeks the id range
# on (account_id, kind, id) instead of summing the whole account on the covering index.
# The literal 'accrual' is EntryKind.ACCRUAL (PostgreSQL cannot type a bare parameter in a select list).
# Exact: equal to the plain SUM over the account's entries (tests/billing/test_ledger.py).
_BALANCE = """
SELECT 'accrual', role, SUM(amount_kopecks) FROM earnings_rollup WHERE account_id = ? GROUP BY role
UNION ALL
SELECT e.kind, e.role, SUM(e.amount_kopecks)
FROM (SELECT COALESCE(MAX(last_entry_id), 0) AS cur FROM earnings_cursors WHERE account_id = ?) c
CROSS JOIN ledger_entries e
WHERE e.account_id = ? AND e.kind = ? AND e.id > c.cur
GROUP BY e.kind, e.role
UNION ALL
SELECT e.kind, e.role, SUM(e.amount_kopecks)
FROM (SELECT COALESCE(MAX(last_entry_id), 0) AS cur FROM earnings_cursors WHERE account_id = ?) c
CROSS JOIN ledger_entries e
WHERE e.account_id = ? AND e.tracker_id IS NULL AND e.kind = ? AND e.id <= c.cur
GROUP BY e.kind, e.role
UNION ALL
SELECT kind, role, SUM(amount_kopecks) FROM ledger_entries WHERE account_id = ? AND kind < ? GROUP BY kind, role
UNION ALL
SELECT kind, role, SUM(amount_kopecks) FROM ledger_entries WHERE account_id = ? AND kind > ? GROUP BY kind, role
"""


_NOT_AVAILABLE = frozenset((EntryKind.PAYOUT.value, EntryKind.HELD.value, EntryKind.UNHELD.value))


async def balance(account_id: int, conn: BaseDBAsyncClient | None = None) -> Balance:
    """The account's balance, exact up to the last committed entry. Reads billing.partner.totals's running
    totals as they are and never folds (it runs inside payout transactions); the partner cabinet
    folds before it asks (billing.partner.balance), so the ledger tail it adds stays short."""
    conn = conn or default_connection()
    accrual = EntryKind.ACCRUAL.value
    _, rows = await conn.execute_query(
        sql(conn, _BALANCE),
        [account_id,
         account_id, account_id, accrual,
         account_id, account_id, accrual,
         account_id, accrual,
         account_id, accrual],
    )  # fmt: skip
    by_kind: dict[str, int] = {}
    by_role: dict[str, int] = {}
    for kind, role, amount in rows:
        if amount is None:
            continue
        by_kind[kind] = by_kind.get(kind, 0) + int(amount)
        if kind == EntryKind.ACCRUAL:
            by_role[role] = by_role.get(role, 0) + int(amount)
    paid = by_kind.get(EntryKind.PAYOUT, 0)
    available = sum(v for k, v in by_kind.items() if k not in _NOT_AVAILABLE)
    return Balance(
        accrued=by_kind.get(EntryKind.ACCRUAL, 0),
        losses=by_kind.get(EntryKind.LOSS, 0),
        adjustments=by_kind.get(EntryKind.ADJUSTMENT, 0),
        reserved=-by_kind.get(EntryKind.RESERVE, 0) - by_kind.get(EntryKind.RELEASE, 0) - paid,
        paid=paid,
        available=available,
        by_role=by_role,
        collected=by_kind.get(EntryKind.COLLECTED, 0),
        repaid=by_kind.get(EntryKind.REPAID, 0),
        clawed_back=by_kind.get(EntryKind.CLAWBACK, 0),
        held=by_kind.get(EntryKind.HELD, 0) + by_kind.get(EntryKind.UNHELD, 0),
        usage=by_kind.get(EntryKind.USAGE, 0),
    )


async def user_balance(user_id: int) -> Balance:
    return await balance(await user_account_id(user_id))


async def platform_balance() -> Balance:
    return await balance(await platform_account_id())


async def settled_total(conn: BaseDBAsyncClient | None = None) -> tuple[int, int]:
    """(sum of settled periods' margins, sum of the ledger entries they produced): always equal."""
    conn = conn or default_connection()
    _, margin = await conn.execute_query(
        sql(conn, "SELECT COALESCE(SUM(margin_kopecks), 0) FROM accounting_periods WHERE status = ?"),
        [PeriodStatus.SETTLED.value],
    )
    _, ledger = await conn.execute_query(
        sql(conn, "SELECT COALESCE(SUM(amount_kopecks), 0) FROM ledger_entries WHERE source_type = ?"),
        [SourceType.PERIOD.value],
    )
    return int(margin[0][0]), int(ledger[0][0])


# --- forecast -------------------------------------------------------------------------------

# Estimated margin of each open period, in millionths of a kopeck: its revenue minus the token
# cost metered in its window so far, never below zero (a loss accrues nothing to anyone).
_OPEN_MARGIN = """
SELECT COALESCE(SUM(CASE WHEN est > 0 THEN est ELSE 0 END), 0) FROM (
  SELECT p.revenue_kopecks * 1000000 - COALESCE((
      SELECT SUM(u.cost_ukop) FROM usage_records u
      WHERE u.tracker_id = p.tracker_id AND u.user_id = p.user_id
        AND u.created_at >= p.starts_at AND u.created_at < p.ends_at
        AND u.charged_to = 'subscription'), 0) AS est
  FROM accounting_periods p {join}
  WHERE p.status = 'open' {where}
) open_periods
"""
_BY_ROLE = {
    Role.AUTHOR: ("JOIN trackers t ON t.id = p.tracker_id", "AND t.author_id = ?"),
    Role.L1: ("JOIN memberships m ON m.tracker_id = p.tracker_id AND m.user_id = p.user_id", "AND m.l1_id = ?"),
    Role.L2: ("JOIN memberships m ON m.tracker_id = p.tracker_id AND m.user_id = p.user_id", "AND m.l2_id = ?"),
    Role.L3: ("JOIN memberships m ON m.tracker_id = p.tracker_id AND m.user_id = p.user_id", "AND m.l3_id = ?"),
}
_MEMBER = "LEFT JOIN memberships m ON m.tracker_id = p.tracker_id AND m.user_id = p.user_id"


async def forecast(
    user_id: int | None, schedule: ScheduleLike = None, conn: BaseDBAsyncClient | None = None
) -> dict[str, int]:
    """What the open (not yet settled) periods would bring this user, per role, in kopecks, if
    they settled now: each role's percent of the sum of the open periods' estimated margins
    (revenue minus the token cost metered so far, a negative estimate counted as zero).

    It is an estimate, not a promise: the cost of the rest of each period is not known yet,
    periods paid for months ahead are counted in full, and it is rounded once per role rather
    than once per period. `user_id=None` gives the platform's forecast (its own role plus the
    levels nobody holds). One indexed aggregate query per role, no recursion.
    """
    conn = conn or default_connection()
    weights = compile_schedule(schedule)
    out: dict[str, int] = {}
    if user_id is None:
        queries: dict[Role, tuple[str, str, list[Any]]] = {
            Role.PLATFORM: ("", "", []),
            Role.L1: (_MEMBER, "AND m.l1_id IS NULL", []),
            Role.L2: (_MEMBER, "AND m.l2_id IS NULL", []),
            Role.L3: (_MEMBER, "AND m.l3_id IS NULL", []),
        }
    else:
        queries = {role: (join, where, [user_id]) for role, (join, where) in _BY_ROLE.items()}
    for role, (join, where, params) in queries.items():
        _, rows = await conn.execute_query(sql(conn, _OPEN_MARGIN.format(join=join, where=where)), params)
        est_ukop = Decimal(int(rows[0][0]))
        share = est_ukop * weights.weight(role) / weights.total / 1_000_000
        out[role.value] = int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return out


# --- payouts --------------------------------------------------------------------------------


class InsufficientFunds(Exception):
    """A payout asks for more than the account's available balance."""


class PayoutStateError(Exception):
    """A payout step that contradicts an earlier one (release after paid, paid after release)."""


async def _payout_entries(conn: BaseDBAsyncClient, payout_id: int) -> dict[str, tuple[int, int]]:
    _, rows = await conn.execute_query(
        sql(
            conn,
            "SELECT kind, account_id, amount_kopecks FROM ledger_entries WHERE source_type = ? AND source_id = ?",
        ),
        [SourceType.PAYOUT.value, payout_id],
    )
    return {row[0]: (row[1], int(row[2])) for row in rows}


async def _write(conn: BaseDBAsyncClient, account_id: int, kind: EntryKind, amount: int, payout_id: int) -> None:
    # Callers look first (a row count after ON CONFLICT is not reported alike by every backend);
    # the unique key still stops a concurrent second write.
    await conn.execute_query(
        sql(conn, INSERT_ENTRY),
        [
            account_id,
            kind.value,
            Role.NONE.value,
            amount,
            SourceType.PAYOUT.value,
            payout_id,
            None,
            ts(conn, datetime.now(UTC)),
        ],
    )


async def reserve_payout(payout_id: int, account_id: int, amount_kopecks: int) -> bool:
    """Hold `amount_kopecks` of the account's available balance for payout request `payout_id`.

    True if reserved now, False if this request was reserved before (idempotent). Raises
    InsufficientFunds when the available balance is smaller.
    """
    if amount_kopecks <= 0:
        raise ValueError("a payout must be positive")
    async with in_transaction() as conn:
        if is_postgres(conn):  # serialise concurrent requests of one account
            # NO KEY UPDATE, not UPDATE: every new payout request's foreign key already holds a
            # KEY SHARE lock on this row, which FOR UPDATE would wait for: two requests deadlocked.
            await conn.execute_query(sql(conn, "SELECT id FROM accounts WHERE id = ? FOR NO KEY UPDATE"), [account_id])
        if EntryKind.RESERVE.value in await _payout_entries(conn, payout_id):
            return False
        if (await balance(account_id, conn)).available < amount_kopecks:
            raise InsufficientFunds(f"account {account_id}: less than {amount_kopecks} kopecks available")
        await _write(conn, account_id, EntryKind.RESERVE, -amount_kopecks, payout_id)
        return True


async def release_payout(payout_id: int) -> bool:
    """Give a rejected or failed request's reservation back. True if released now."""
    return await _finish(payout_id, EntryKind.RELEASE, forbidden=EntryKind.PAYOUT)


async def mark_payout_paid(payout_id: int) -> bool:
    """Record that a reserved request was paid out. True if recorded now."""
    return await _finish(payout_id, EntryKind.PAYOUT, forbidden=EntryKind.RELEASE)


async def _finish(payout_id: int, kind: EntryKind, *, forbidden: EntryKind) -> bool:
    async with in_transaction() as conn:
        entries = await _payout_entries(conn, payout_id)
        if EntryKind.RESERVE.value not in entries:
            raise PayoutStateError(f"payout {payout_id} was never reserved")
        if forbidden.value in entries:
            raise PayoutStateError(f"payout {payout_id} already has a {forbidden.value} entry")
        if kind.value in entries:
            return False
        account_id, reserved = entries[EntryKind.RESERVE.value]
        await _write(conn, account_id, kind, -reserved, payout_id)
        return True
