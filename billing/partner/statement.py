"""A partner's statement on one tracker: each settled period they took a share of (which client,
which role, the period's margin, their share, when it was credited), page by page, and for the
CSV every movement of that money and their payouts.

The statement is the ledger itself, not the running totals: one line per accrual entry on the
person's account for this tracker (settlement writes one per period and role), so its count and
sum are the ledger's, and an archived link changes nothing (a line hangs on the period, not on
the link). Months and the cabinet's period filter follow the accrual's `created_at`, as the
earnings by month do (`billing.partner.earnings`), so the statement of a month adds up to that
month's earnings. Only the asking person's account is ever read, and people are named by their first
name alone, never by an id: the client of an author's or a level-1 share; for a level-2 or
level-3 share only the branch it came through, the person of the partner's own first level in
that chain, as the cabinet's network names only the first level.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from billing.partner import totals
from models import sql as db
from models.enums import EntryKind, Role, SourceType
from referral.stats import Window

PER_PAGE = 10
_ON_THE_LOOP = 1_000  # rows converted on the event loop; more go to a thread
# What the CSV lists besides the accruals: a refund taking back part of a settled share, and a
# flagged partner's share held and then released or forfeited (billing.holds).
MOVEMENTS = (EntryKind.ACCRUAL, EntryKind.CLAWBACK, EntryKind.HELD, EntryKind.UNHELD)


@dataclass(frozen=True, slots=True)
class StatementLine:
    entry_id: int
    kind: str  # an EntryKind value: "accrual" on the statement's screen
    role: str  # "author", "l1", "l2", "l3"
    # The subscriber's first name for the author's and a level-1 share ("" when they have none);
    # deeper, "" and `branch` instead (see the module's docstring).
    client: str
    branch: str  # for a level-N share (N >= 2): the first name of the partner's own level-1 person above the client
    period_id: int | None
    period_starts: datetime | None
    period_ends: datetime | None
    revenue_kopecks: int
    margin_kopecks: int
    amount_kopecks: int  # the person's share (a clawback's or an unhold's is negative)
    at: datetime  # when the ledger entry was written: the settlement, the refund, the release


@dataclass(frozen=True, slots=True)
class StatementPage:
    lines: list[StatementLine]
    count: int  # accruals in the whole statement (every page)
    total_kopecks: int  # their sum
    page: int  # 0-based, clamped to the last page
    pages: int  # at least 1


@dataclass(frozen=True, slots=True)
class PayoutLine:
    payout_id: int
    amount_kopecks: int
    status: str
    method: str
    at: datetime


# The period of an entry: its source for a share of a settled period (accrual, held, unheld), or
# the clawed-back period for a clawback.
_LINES = """
SELECT e.id, e.kind, e.role, u.first_name, b.first_name, p.id, p.starts_at, p.ends_at, p.revenue_kopecks,
       p.margin_kopecks, e.amount_kopecks, e.created_at
FROM ledger_entries e
LEFT JOIN clawbacks c ON e.source_type = ? AND c.id = e.source_id
LEFT JOIN accounting_periods p ON p.id = CASE WHEN e.source_type = ? THEN e.source_id ELSE c.period_id END
LEFT JOIN users u ON u.id = p.user_id
LEFT JOIN users b ON b.id = CASE e.role WHEN 'l2' THEN p.l1_id WHEN 'l3' THEN p.l2_id END
WHERE e.account_id = ? AND e.tracker_id = ? AND e.kind IN ({kinds}){window}
ORDER BY e.id DESC
"""
_WINDOW = " AND e.created_at >= ? AND e.created_at < ?"
_PAYOUTS = """
SELECT id, amount_kopecks, status, method, created_at FROM payout_requests
WHERE account_id = ?{window}
ORDER BY id DESC
"""


def _window(conn: BaseDBAsyncClient, window: Window | None, column: str = "e.created_at") -> tuple[str, list[Any]]:
    if window is None:
        return "", []
    return _WINDOW.replace("e.created_at", column), [db.ts(conn, window.since), db.ts(conn, window.until)]


# The shares whose subscriber the holder knows by name: the author's own clients and a partner's
# level 1 (whom they invited themselves).
_NAMED_ROLES = frozenset((Role.AUTHOR.value, Role.L1.value))


def _line(row: Any) -> StatementLine:
    entry_id, kind, role, first_name, branch, period_id, starts, ends, revenue, margin, amount, at = row
    named = str(role) in _NAMED_ROLES
    return StatementLine(
        entry_id=int(entry_id), kind=str(kind), role=str(role), client=(first_name or "") if named else "",
        branch="" if named else branch or "",
        period_id=int(period_id) if period_id is not None else None,
        period_starts=db.parse_ts(starts), period_ends=db.parse_ts(ends),
        revenue_kopecks=int(revenue or 0), margin_kopecks=int(margin or 0),
        amount_kopecks=int(amount), at=db.parse_ts(at),
    )  # fmt: skip


async def _lines(
    conn: BaseDBAsyncClient, account: int, tracker_id: int, kinds: tuple[EntryKind, ...], window: Window | None,
    limit: int | None = None, offset: int = 0, before: int | None = None,
) -> list[StatementLine]:
    where, span = _window(conn, window)
    if before is not None:
        where, span = where + " AND e.id < ?", [*span, before]
    query = _LINES.format(kinds=db.marks(len(kinds)), window=where)
    params: list[Any] = [SourceType.CLAWBACK.value, SourceType.PERIOD.value, account, tracker_id,
                         *(k.value for k in kinds), *span]
    if limit is not None:
        query += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    found = await db.rows(conn, query, params)
    if len(found) <= _ON_THE_LOOP:
        return [_line(row) for row in found]
    # A whole account for the CSV: ~15 µs a row of parsing, which would hold the event loop (and
    # every bot on it) for seconds on a big one.
    return await asyncio.to_thread(lambda: [_line(row) for row in found])


async def settled_page(
    tracker_id: int,
    user_id: int,
    *,
    window: Window | None = None,
    page: int = 0,
    per_page: int = PER_PAGE,
    tz: str | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> StatementPage:
    """One page of the person's accruals on the tracker, newest first, over all time or inside
    `window` (referral.window_for, its months cut in `tz`: pass the platform's zone, as for every
    monthly figure); a page past the end gives the last one."""
    conn = db.conn_or_default(using_db)
    account = await totals.account_of(conn, user_id)
    if account is None:
        return StatementPage([], 0, 0, 0, 1)
    # The count and the sum from the running totals: summing a million entries would take a second.
    count, total = await totals.counted(user_id, tracker_id, tz=tz, using_db=conn,
                                        first_month=window.first_month if window else None,
                                        last_month=window.last_month if window else None)
    pages = max(1, -(-count // per_page))
    page = min(max(page, 0), pages - 1)
    lines = await _lines(conn, account, tracker_id, (EntryKind.ACCRUAL,), window, per_page, page * per_page)
    return StatementPage(lines, count, total, page, pages)


async def settled_lines(
    tracker_id: int,
    user_id: int,
    *,
    window: Window | None = None,
    before: int | None = None,
    limit: int = PER_PAGE,
    using_db: BaseDBAsyncClient | None = None,
) -> list[StatementLine]:
    """The same lines as `settled_page`, by cursor: those with an entry id below `before` (the
    API's pages, which must not shift when a settlement adds lines on top)."""
    conn = db.conn_or_default(using_db)
    account = await totals.account_of(conn, user_id)
    if account is None:
        return []
    return await _lines(conn, account, tracker_id, (EntryKind.ACCRUAL,), window, limit, before=before)


async def movements(
    tracker_id: int, user_id: int, *, window: Window | None = None, using_db: BaseDBAsyncClient | None = None
) -> list[StatementLine]:
    """Every accrual, clawback, hold and release on the person's account for the tracker, newest
    first: the statement's lines and what later changed them."""
    conn = db.conn_or_default(using_db)
    account = await totals.account_of(conn, user_id)
    if account is None:
        return []
    return await _lines(conn, account, tracker_id, MOVEMENTS, window)


async def payouts(
    user_id: int, *, window: Window | None = None, using_db: BaseDBAsyncClient | None = None
) -> list[PayoutLine]:
    """The person's payout requests, newest first. The balance is one over all trackers, so these
    are all of them, wherever they were asked for."""
    conn = db.conn_or_default(using_db)
    account = await totals.account_of(conn, user_id)
    if account is None:
        return []
    where, span = _window(conn, window, "created_at")
    found = await db.rows(conn, _PAYOUTS.format(window=where), [account, *span])
    return [PayoutLine(int(i), int(amount), str(status), str(method), db.parse_ts(at))
            for i, amount, status, method, at in found]
