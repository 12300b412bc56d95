"""The platform admin's figures: a month's totals and the ledger as CSV (for accounting and BI).

A month is a calendar month in the platform's time zone, and money belongs to the month it was
booked in: a period to the month it was settled in (`settled_at`), a ledger entry to the month it
was written in (`created_at`, which for a period's shares is the same moment). So the totals of a
month are exactly what that month's CSV export adds up to, and a month once over never changes.

    revenue, token cost, margin = sums over the periods settled in the month (margin = revenue -
                                  token cost, losses included)
    shares                      = the ledger entries of those periods by role, and of each level
                                  the part nobody held (it fell to the platform)
    losses                      = their LOSS entries (<= 0), borne by the platform

The CSV is read in primary-key order in chunks of `CHUNK_ROWS` and written chunk by chunk, so a
ledger of millions of rows never sits in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from billing.periods import DEFAULT_TIMEZONE
from billing.split import LEVEL_ROLES, ROLE_ORDER
from models.enums import AccountKind, EntryKind, PeriodStatus, SourceType
from models.sql import default_connection, parse_ts, sql, ts

CHUNK_ROWS = 5_000

CSV_COLUMNS = (
    "entry_id", "created_at", "account", "user_id", "role", "kind", "amount_rub",
    "source_type", "source_id", "tracker_id", "tracker",
)


class MonthError(ValueError):
    """Not a month written as MM.YYYY (or YYYY-MM)."""


def parse_month(text: str) -> tuple[int, int]:
    try:
        if "." in text:  # "11.2026", the way a person writes a month beside "01.11.2026"
            month, year = (int(part) for part in text.strip().split("."))
        else:
            year, month = (int(part) for part in text.strip().split("-"))
    except ValueError:
        raise MonthError(text) from None
    if not (2000 <= year <= 2999 and 1 <= month <= 12):
        raise MonthError(text)
    return year, month


def month_label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def shift_month(label: str, months: int) -> str:
    year, month = parse_month(label)
    y, m0 = divmod(month - 1 + months, 12)
    return month_label(year + y, m0 + 1)


def current_month(now: datetime, tz: str = DEFAULT_TIMEZONE) -> str:
    local = now.astimezone(ZoneInfo(tz))
    return month_label(local.year, local.month)


def month_bounds(label: str, tz: str = DEFAULT_TIMEZONE) -> tuple[datetime, datetime]:
    """[start, end) of the month in the platform's time zone, as aware datetimes."""
    year, month = parse_month(label)
    zone = ZoneInfo(tz)
    start = datetime(year, month, 1, tzinfo=zone)
    y, m0 = divmod(month, 12)
    return start, datetime(year + y, m0 + 1, 1, tzinfo=zone)


def rub_text(kopecks: int) -> str:
    """Kopecks as a plain decimal number of roubles for spreadsheets: 123456 -> "1234.56"."""
    sign = "-" if kopecks < 0 else ""
    rubles, kop = divmod(abs(int(kopecks)), 100)
    return f"{sign}{rubles}.{kop:02d}"


# --- totals ----------------------------------------------------------------------------------


@dataclass
class MonthTotals:
    month: str
    periods: int = 0
    revenue_kopecks: int = 0
    token_cost_kopecks: int = 0
    margin_kopecks: int = 0  # revenue - token cost: losses included
    loss_kopecks: int = 0  # <= 0
    # The default schedule's roles always; a deeper level (l4..l6) once a period paid it.
    by_role: dict[str, int] = field(default_factory=lambda: {r.value: 0 for r in ROLE_ORDER})
    unheld: dict[str, int] = field(default_factory=lambda: {r.value: 0 for r in ROLE_ORDER[2:]})
    open_due: int = 0  # periods that ended in the month and wait for settlement

    @property
    def accrued_kopecks(self) -> int:
        return sum(self.by_role.values())

    @property
    def platform_kopecks(self) -> int:
        """What the platform kept: its own share, the levels nobody held, minus the losses."""
        return self.by_role["platform"] + sum(self.unheld.values()) + self.loss_kopecks

    @property
    def paid_to_people_kopecks(self) -> int:
        return self.accrued_kopecks - self.by_role["platform"] - sum(self.unheld.values())


_LEVELS = frozenset(role.value for role in LEVEL_ROLES)

_PERIODS = """
SELECT COUNT(*), COALESCE(SUM(revenue_kopecks), 0), COALESCE(SUM(token_cost_kopecks), 0),
       COALESCE(SUM(margin_kopecks), 0)
FROM accounting_periods WHERE status = ? AND settled_at >= ? AND settled_at < ?
"""
_SHARES = """
SELECT e.kind, e.role, a.kind, SUM(e.amount_kopecks)
FROM accounting_periods p
JOIN ledger_entries e ON e.source_type = ? AND e.source_id = p.id
JOIN accounts a ON a.id = e.account_id
WHERE p.status = ? AND p.settled_at >= ? AND p.settled_at < ?
GROUP BY e.kind, e.role, a.kind
"""
# A share held for a flagged partner is still that role's share (billing.holds); released, it is
# the partner's accrual, forfeited the platform's, and `unheld` cancels the held entry either way.
_SHARE_KINDS = (EntryKind.ACCRUAL.value, EntryKind.HELD.value, EntryKind.UNHELD.value)
_OPEN_DUE = "SELECT COUNT(*) FROM accounting_periods WHERE status = ? AND ends_at >= ? AND ends_at < ?"


async def month_totals(label: str, tz: str = DEFAULT_TIMEZONE) -> MonthTotals:
    conn = default_connection()
    start, end = month_bounds(label, tz)
    window = [ts(conn, start), ts(conn, end)]
    settled = PeriodStatus.SETTLED.value
    totals = MonthTotals(month=month_label(*parse_month(label)))
    _, rows = await conn.execute_query(sql(conn, _PERIODS), [settled, *window])
    count, revenue, cost, margin = rows[0]
    totals.periods, totals.revenue_kopecks = int(count), int(revenue)
    totals.token_cost_kopecks, totals.margin_kopecks = int(cost), int(margin)
    _, rows = await conn.execute_query(sql(conn, _SHARES), [SourceType.PERIOD.value, settled, *window])
    for kind, role, account_kind, amount in rows:
        if kind == EntryKind.LOSS.value:
            totals.loss_kopecks += int(amount)
        elif kind in _SHARE_KINDS:
            totals.by_role[role] = totals.by_role.get(role, 0) + int(amount)
            if role in _LEVELS and account_kind == AccountKind.PLATFORM.value:
                totals.unheld[role] = totals.unheld.get(role, 0) + int(amount)
    _, rows = await conn.execute_query(sql(conn, _OPEN_DUE), [PeriodStatus.OPEN.value, *window])
    totals.open_due = int(rows[0][0])
    return totals


# --- the ledger as CSV -----------------------------------------------------------------------

_ENTRIES = """
SELECT e.id, e.created_at, a.key, a.user_id, e.role, e.kind, e.amount_kopecks, e.source_type,
       e.source_id, e.tracker_id, t.username
FROM ledger_entries e
JOIN accounts a ON a.id = e.account_id
LEFT JOIN trackers t ON t.id = e.tracker_id
WHERE e.id > ? AND e.created_at >= ? AND e.created_at < ?
ORDER BY e.id
LIMIT ?
"""


def _csv_text(rows: Iterable[Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


async def ledger_csv_chunks(
    start: datetime, end: datetime, *, chunk_rows: int = CHUNK_ROWS
) -> AsyncIterator[tuple[str, int]]:
    """The ledger entries written in [start, end) as CSV text with the number of entries in it:
    the header (0), then one piece per `chunk_rows` entries, in id order. Each chunk is its own
    short query (no transaction is held while the caller writes), continuing after the last id."""
    conn = default_connection()
    window = [ts(conn, start), ts(conn, end)]
    yield _csv_text([CSV_COLUMNS]), 0
    last_id = 0
    while True:
        _, rows = await conn.execute_query(sql(conn, _ENTRIES), [last_id, *window, chunk_rows])
        if not rows:
            return
        yield _csv_text(
            (entry_id, parse_ts(created).isoformat(), key, user_id if user_id is not None else "", role, kind,
             rub_text(amount), source_type, source_id, tracker_id if tracker_id is not None else "", tracker or "")
            for entry_id, created, key, user_id, role, kind, amount, source_type, source_id, tracker_id, tracker in rows
        ), len(rows)
        last_id = rows[-1][0]
        if len(rows) < chunk_rows:
            return


async def write_ledger_csv(out: IO[bytes], label: str, tz: str = DEFAULT_TIMEZONE, *,
                           chunk_rows: int = CHUNK_ROWS) -> int:
    """Write the month's ledger as UTF-8 CSV into `out`; returns how many entries were written."""
    start, end = month_bounds(label, tz)
    written = 0
    async for chunk, entries in ledger_csv_chunks(start, end, chunk_rows=chunk_rows):
        out.write(chunk.encode("utf-8"))
        written += entries
    return written
