"""Running totals of each person's earnings: their ledger accruals folded into `EarningsRollup`.

Why: a partner's figures (per level, per month, per link) are sums over their ledger entries. A
big account has hundreds of thousands; even an index-only sum of 200,000 entries costs ~50 ms on
SQLite and 1,000,000 cost ~250 ms (benchmarks/README.md, "cabinet"). The ledger is append-only, so
each account's entries are folded once, in id order, into a handful of rows per
(tracker, own link, role, month). A cabinet read first folds what is new since the account's
cursor (usually nothing, or one settlement's worth), then reads those rows.

Exactly once: an account's fold batch and its cursor move in one transaction, and the cursor row
is read with FOR UPDATE on PostgreSQL, so two readers cannot fold the same entries. On
PostgreSQL ids are not committed in order, so the fold also takes a SHARE lock on the ledger
(it waits for writers in flight, so no id below the cursor can appear later). SQLite has one
writer at a time and needs neither.

The months are "YYYY-MM" in the time zone stored on the cursor. Figures that do not split by
month pass no zone and take the cursor's; asking for months in another zone refolds that account
from the start (so pass the platform's one zone, `settings.timezone`).

billing.ledger.balance reads these totals too: the sum of an account's rows is exactly its
accruals that carry a tracker with id <= the cursor (it adds the rest from the ledger). Keep that
true if the fold changes (what it takes, or when the rows and the cursor move).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models import sql as db
from models.enums import EntryKind, SourceType

DEFAULT_TIMEZONE = "Europe/Moscow"
BATCH = 20_000  # entries per fold transaction: keeps each transaction short (ARCHITECTURE.md)

# The account holder's entries after `id`, each with the subscriber's invite link when that link
# is the holder's own (0 otherwise): the holder's "earnings from this link".
_NEW_ENTRIES = """
SELECT e.id, e.tracker_id, e.role, e.created_at, e.amount_kopecks,
       CASE WHEN l.owner_id = ? THEN l.id ELSE 0 END
FROM ledger_entries e
LEFT JOIN accounting_periods p ON e.source_type = ? AND p.id = e.source_id
LEFT JOIN memberships m ON m.tracker_id = p.tracker_id AND m.user_id = p.user_id
LEFT JOIN invite_links l ON l.id = m.invite_link_id
WHERE e.account_id = ? AND e.kind = ? AND e.id > ? AND e.tracker_id IS NOT NULL
ORDER BY e.id
LIMIT ?
"""
_UPSERT = """
INSERT INTO earnings_rollup (account_id, tracker_id, link_id, role, month, amount_kopecks, entries)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (account_id, tracker_id, link_id, role, month) DO UPDATE SET
  amount_kopecks = earnings_rollup.amount_kopecks + excluded.amount_kopecks,
  entries = earnings_rollup.entries + excluded.entries
"""

Key = tuple[int, int, str, str]  # tracker id, own link id (0: none), role, month
Earned = dict[tuple[int, str, str], int]  # (own link id or 0, role, month) -> kopecks


class _Months:
    """created_at (as stored) -> "YYYY-MM" in a zone. Settlement stamps a whole batch with one
    time, so a small cache turns 200,000 conversions into a few dozen."""

    def __init__(self, tz: str) -> None:
        self.zone = ZoneInfo(tz)
        self.cache: dict[Any, str] = {}

    def __call__(self, value: Any) -> str:
        month = self.cache.get(value)
        if month is None:
            if len(self.cache) > 10_000:
                self.cache.clear()
            month = self.cache[value] = db.parse_ts(value).astimezone(self.zone).strftime("%Y-%m")
        return month


def aggregate(rows: Iterable[Any], months: _Months) -> dict[Key, list[int]]:
    """Rows of _NEW_ENTRIES summed per key: key -> [kopecks, entries]."""
    sums: dict[Key, list[int]] = {}
    for _, tracker_id, role, created_at, amount, link_id in rows:
        key = (int(tracker_id), int(link_id), str(role), months(created_at))
        acc = sums.get(key)
        if acc is None:
            sums[key] = [int(amount), 1]
        else:
            acc[0] += int(amount)
            acc[1] += 1
    return sums


async def account_of(conn: BaseDBAsyncClient, user_id: int) -> int | None:
    # Read only: someone who never earned has no account yet, and a cabinet view must not make one.
    found = await db.rows(conn, "SELECT id FROM accounts WHERE user_id = ?", [user_id])
    return int(found[0][0]) if found else None


def _chunks(ids: list[int], size: int = 200) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):  # stay under every backend's parameter limit
        yield ids[start : start + size]


async def _new_entries(conn: BaseDBAsyncClient, account_id: int, user_id: int, after: int, limit: int) -> list[Any]:
    return await db.rows(
        conn, _NEW_ENTRIES, [user_id, SourceType.PERIOD.value, account_id, EntryKind.ACCRUAL.value, after, limit]
    )


async def _fold_batch(conn: BaseDBAsyncClient, account_id: int, user_id: int, tz: str) -> tuple[int, bool]:
    """Fold one batch in one transaction. Returns (cursor, more to fold)."""
    async with in_transaction(conn.connection_name) as tx:
        now = db.ts(tx, datetime.now(UTC))
        await tx.execute_query(
            db.sql(tx, "INSERT INTO earnings_cursors (account_id, last_entry_id, timezone, updated_at) "
                         "VALUES (?, 0, ?, ?) ON CONFLICT (account_id) DO NOTHING"),
            [account_id, tz, now],
        )  # fmt: skip
        lock = " FOR UPDATE" if db.is_postgres(tx) else ""
        (cursor, cursor_tz), *_ = await db.rows(
            tx, f"SELECT last_entry_id, timezone FROM earnings_cursors WHERE account_id = ?{lock}", [account_id]
        )
        cursor = int(cursor)
        if cursor_tz != tz:  # months were cut in another zone: start over
            await tx.execute_query(db.sql(tx, "DELETE FROM earnings_rollup WHERE account_id = ?"), [account_id])
            cursor = 0
        if db.is_postgres(tx):
            await tx.execute_query("LOCK TABLE ledger_entries IN SHARE MODE")
        rows = await _new_entries(tx, account_id, user_id, cursor, BATCH)
        if rows:
            sums = aggregate(rows, _Months(tz))
            await tx.execute_many(
                db.sql(tx, _UPSERT),
                [[account_id, t, link, role, month, amount, n] for (t, link, role, month), (amount, n) in sums.items()],
            )
            cursor = int(rows[-1][0])
        await tx.execute_query(
            db.sql(
                tx, "UPDATE earnings_cursors SET last_entry_id = ?, timezone = ?, updated_at = ? WHERE account_id = ?"
            ),
            [cursor, tz, now, account_id],
        )
    return cursor, len(rows) == BATCH


# Each account's cursor and its newest accrual (an index-only MAX on (account_id, kind, id)).
_STATE = """
SELECT a.user_id, a.id, c.last_entry_id, c.timezone,
       (SELECT MAX(e.id) FROM ledger_entries e WHERE e.account_id = a.id AND e.kind = ?)
FROM accounts a LEFT JOIN earnings_cursors c ON c.account_id = a.id
WHERE a.user_id IN ({ids})
"""


async def refresh_many(
    user_ids: Iterable[int], *, tz: str | None = None, using_db: BaseDBAsyncClient | None = None
) -> dict[int, tuple[int, int, str]]:
    """Fold the users' new ledger entries: {user id: (account id, cursor, zone)} for those who
    have an account. `tz=None` keeps each account's zone (DEFAULT_TIMEZONE for a first fold).
    Cheap when there is nothing new: one indexed query for all of them. The scheduler may call it
    for the beneficiaries of a settlement so that no cabinet view waits for a big fold."""
    conn = db.conn_or_default(using_db)
    states: dict[int, tuple[int, int, str]] = {}
    for chunk in _chunks(sorted(set(user_ids))):
        for user_id, account_id, cursor, cursor_tz, newest in await db.rows(
            conn, _STATE.format(ids=db.marks(len(chunk))), [EntryKind.ACCRUAL.value, *chunk]
        ):
            cursor = int(cursor or 0)
            zone = tz or cursor_tz or DEFAULT_TIMEZONE
            if cursor_tz != zone or (newest is not None and int(newest) > cursor):
                more = True
                while more:
                    cursor, more = await _fold_batch(conn, int(account_id), int(user_id), zone)
            states[int(user_id)] = (int(account_id), cursor, zone)
    return states


async def refresh_all(*, tz: str | None = None, using_db: BaseDBAsyncClient | None = None) -> int:
    """`refresh_many` for every account holder: run after each settlement and at start-up (the
    settle job's first run) so that no cabinet view waits for a big fold. Returns how many
    accounts there are. Nothing new costs one index-only MAX per account."""
    conn = db.conn_or_default(using_db)
    users = [int(row[0]) for row in await db.rows(conn, "SELECT user_id FROM accounts WHERE user_id IS NOT NULL", [])]
    return len(await refresh_many(users, tz=tz, using_db=conn))


async def refresh(
    user_id: int, *, tz: str | None = None, using_db: BaseDBAsyncClient | None = None
) -> tuple[int, int, str] | None:
    """`refresh_many` for one user: (account id, cursor, zone), or None without an account."""
    return (await refresh_many([user_id], tz=tz, using_db=using_db)).get(user_id)


async def earned_many(
    user_ids: Iterable[int],
    tracker_id: int | None = None,
    *,
    tz: str | None = None,
    since_month: str | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> dict[int, Earned]:
    """Each user's accruals as {user id: {(own link id or 0, role, month): kopecks}}, on one
    tracker or all, exact up to the last committed entry (entries after the cursor are added
    live). A fixed number of queries however many users."""
    conn = db.conn_or_default(using_db)
    users = sorted(set(user_ids))
    out: dict[int, Earned] = {uid: {} for uid in users}
    states = await refresh_many(users, tz=tz, using_db=conn)
    if not states:
        return out
    user_of = {account_id: uid for uid, (account_id, _, _) in states.items()}
    where = ""
    params: list[Any] = []
    if tracker_id is not None:
        where, params = " AND tracker_id = ?", [tracker_id]
    if since_month is not None:
        where, params = where + " AND month >= ?", params + [since_month]
    for chunk in _chunks(sorted(user_of)):
        for account_id, link_id, role, month, amount in await db.rows(
            conn,
            "SELECT account_id, link_id, role, month, SUM(amount_kopecks) FROM earnings_rollup "
            f"WHERE account_id IN ({db.marks(len(chunk))}){where} GROUP BY account_id, link_id, role, month",
            [*chunk, *params],
        ):
            out[user_of[int(account_id)]][(int(link_id), str(role), str(month))] = int(amount)
    # Whatever was committed after these folds (a settlement batch in between) counts too.
    for uid, (account_id, cursor, zone) in states.items():
        late = await _new_entries(conn, account_id, uid, cursor, 1_000_000_000)
        for (t, link_id, role, month), (amount, _) in aggregate(late, _Months(zone)).items():
            if (tracker_id is None or t == tracker_id) and (since_month is None or month >= since_month):
                totals = out[uid]
                totals[(link_id, role, month)] = totals.get((link_id, role, month), 0) + amount
    return out


async def earned(
    user_id: int,
    tracker_id: int | None = None,
    *,
    tz: str | None = None,
    since_month: str | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> Earned:
    """`earned_many` for one user."""
    found = await earned_many([user_id], tracker_id, tz=tz, since_month=since_month, using_db=using_db)
    return found[user_id]


async def counted(
    user_id: int,
    tracker_id: int,
    *,
    tz: str | None = None,
    first_month: str | None = None,
    last_month: str | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> tuple[int, int]:
    """How many accruals the user has on the tracker and their sum, over all months or those from
    `first_month` to `last_month`, exact like `earned_many`: a partner's statement counts a big
    account's lines without reading them."""
    conn = db.conn_or_default(using_db)
    state = await refresh(user_id, tz=tz, using_db=conn)
    if state is None:
        return 0, 0
    account_id, cursor, zone = state
    where, params = "", []
    if first_month is not None:
        where, params = " AND month >= ?", [first_month]
    if last_month is not None:
        where, params = where + " AND month <= ?", [*params, last_month]
    found = await db.rows(
        conn,
        "SELECT COALESCE(SUM(entries), 0), COALESCE(SUM(amount_kopecks), 0) FROM earnings_rollup "
        f"WHERE account_id = ? AND tracker_id = ?{where}",
        [account_id, tracker_id, *params],
    )
    entries, kopecks = (int(found[0][0]), int(found[0][1])) if found else (0, 0)
    late = await _new_entries(conn, account_id, user_id, cursor, 1_000_000_000)
    for (t, _, _, month), (amount, n) in aggregate(late, _Months(zone)).items():
        if t == tracker_id and (first_month or month) <= month <= (last_month or month):
            entries, kopecks = entries + n, kopecks + amount
    return entries, kopecks


async def earned_by_tracker(
    user_id: int, *, tz: str | None = None, using_db: BaseDBAsyncClient | None = None
) -> dict[int, dict[str, int]]:
    """The user's accruals on every tracker at once, {tracker id: {role: kopecks}}, exact like
    `earned_many` (entries after the fold are added live): the overview of all their programs."""
    conn = db.conn_or_default(using_db)
    state = await refresh(user_id, tz=tz, using_db=conn)
    if state is None:
        return {}
    account_id, cursor, zone = state
    out: dict[int, dict[str, int]] = {}
    for tracker_id, role, amount in await db.rows(
        conn,
        "SELECT tracker_id, role, SUM(amount_kopecks) FROM earnings_rollup WHERE account_id = ? "
        "GROUP BY tracker_id, role",
        [account_id],
    ):
        out.setdefault(int(tracker_id), {})[str(role)] = int(amount)
    late = await _new_entries(conn, account_id, user_id, cursor, 1_000_000_000)
    for (tracker_id, _, role, _), (amount, _) in aggregate(late, _Months(zone)).items():
        roles = out.setdefault(tracker_id, {})
        roles[role] = roles.get(role, 0) + amount
    return out
