"""The referral side of the partner cabinet: link funnels, the network, the author's list of
partners and the refund alert. No money from the ledger here: the partner's earnings, forecast
and balance are billing's (`billing.partner`), which adds them to these funnels.

Every figure is a fixed number of indexed aggregate queries (no recursion: the chain is on the
membership rows), and every partner-side function takes the partner's user id and filters by it.
Other people appear as counts and, for the first level, first names.

Definitions used throughout:
- a link's *starts* are the members attributed to it (`Membership.invite_link`), its *clicks* the
  distinct users who opened it (`InviteClick`);
- *paying* members are those who have paid on this tracker: the first payment locks their chain
  (`Membership.locked_at`), so it is an index-only count; *revenue* is the sum of their payments
  that were not refunded (`amount_kopecks`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from models import sql as db
from models.enums import Role
from referral.attribution import _author_id
from referral.errors import NOT_AUTHOR, ReferralError

# The chain's columns on memberships, level 1 first (referral.attribution.LEVEL_COLUMNS).
LEVEL_ROLES = (Role.L1, Role.L2, Role.L3, Role.L4, Role.L5, Role.L6)


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinkStats:
    link_id: int
    tracker_id: int
    owner_id: int
    code: str
    label: str
    makes_partner: bool
    archived: bool
    created_at: datetime | None
    clicks: int = 0  # distinct people who opened it
    starts: int = 0  # members it brought (their inviter is this link)
    paying: int = 0  # of those, who have paid here
    revenue_kopecks: int = 0  # their payments, refunds excluded
    earned_kopecks: int = 0  # the owner's accruals from their periods (filled in by billing.partner)


@dataclass(frozen=True, slots=True)
class NetworkLevel:
    level: int
    people: int
    paying: int


@dataclass(frozen=True, slots=True)
class Network:
    levels: tuple[NetworkLevel, ...]  # level 1 first, as many as asked for
    first_names: list[str]  # level 1, newest first, at most `names_limit`

    @property
    def people(self) -> int:
        return sum(level.people for level in self.levels)


@dataclass(frozen=True, slots=True)
class Partner:
    """Someone with links on a tracker or named a partner there, as the author sees them."""

    user_id: int
    first_name: str
    username: str | None
    is_partner: bool  # named by the author (as opposed to a payer who made links)
    members: int  # people who arrived through them (their level 1)
    subscribers: int  # of those, how many pay


@dataclass(frozen=True, slots=True)
class PartnerList:
    total: int
    partners: list[Partner]


@dataclass(frozen=True, slots=True)
class RefundAlert:
    partner_id: int
    first_name: str
    payments: int  # payments of their level-1 referrals on this tracker
    refunded: int

    @property
    def rate(self) -> Decimal:
        return Decimal(self.refunded) / Decimal(self.payments) if self.payments else Decimal(0)


@dataclass(frozen=True, slots=True)
class Window:
    """A calendar month or two of the cabinet's period filter: [since, until), and the same
    months as the earnings rollup names them ("YYYY-MM" in the zone they were cut in)."""

    since: datetime
    until: datetime
    first_month: str
    last_month: str


PERIODS = ("month", "last_month", "all")  # the cabinet's filter, in its order


def window_for(period: str, tz: str, now: datetime | None = None) -> Window | None:
    """This month or the last one, in the platform's zone; None for all time (or an unknown name)."""
    zone = ZoneInfo(tz)
    local = (now or datetime.now(UTC)).astimezone(zone)
    start = datetime(local.year, local.month, 1, tzinfo=zone)
    if period == "month":
        since, until = start, _next_month(start)
    elif period == "last_month":
        until = start
        since = _next_month(start, -1)
    else:
        return None
    label = since.strftime("%Y-%m")
    return Window(since.astimezone(UTC), until.astimezone(UTC), label, label)


def _next_month(start: datetime, step: int = 1) -> datetime:
    """The first day of the month `step` (1 or -1) months from `start`, itself a first day."""
    index = start.year * 12 + start.month - 1 + step
    return start.replace(year=index // 12, month=index % 12 + 1)


# --- helpers ----------------------------------------------------------------------------------


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):  # stay under every backend's parameter limit
        yield ids[start : start + size]


# --- links ------------------------------------------------------------------------------------

_LINK_COLUMNS = "l.id, l.tracker_id, l.owner_id, l.code, l.label, l.makes_partner, l.archived, l.created_at"

# Over all time: the running totals the triggers keep (models/summaries.py), one row a link.
_TOTALS = "SELECT link_id, clicks, starts, paying, revenue_kopecks FROM link_totals WHERE link_id IN ({ids})"

# Only payers can have payments, so only they are looked up (covering index on payments).
_REVENUE = """
SELECT m.invite_link_id, SUM(p.amount_kopecks)
FROM memberships m
JOIN payments p ON p.tracker_id = m.tracker_id AND p.user_id = m.user_id AND p.refunded = ?
WHERE m.invite_link_id IN ({ids}) AND m.locked_at IS NOT NULL
GROUP BY m.invite_link_id
"""


# The same inside a window: opened, joined, first paid and paid (a payment's record) in it.
_CLICKS_IN = (
    "SELECT link_id, COUNT(*) FROM invite_clicks WHERE created_at >= ? AND created_at < ? AND link_id IN ({ids}) "
    "GROUP BY link_id"
)
_STARTS_IN = (
    "SELECT invite_link_id, SUM(CASE WHEN created_at >= ? AND created_at < ? THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN locked_at >= ? AND locked_at < ? THEN 1 ELSE 0 END) "
    "FROM memberships WHERE invite_link_id IN ({ids}) GROUP BY invite_link_id"
)
_REVENUE_IN = _REVENUE.replace("AND p.refunded = ?", "AND p.refunded = ? AND p.created_at >= ? AND p.created_at < ?")


def _queries(conn: BaseDBAsyncClient, window: Window) -> tuple[tuple[str, str, list[Any]], ...]:
    span = [db.ts(conn, window.since), db.ts(conn, window.until)]
    return ("clicks", _CLICKS_IN, span), ("starts", _STARTS_IN, span * 2), ("revenue", _REVENUE_IN, [False, *span])


async def _funnel(conn: BaseDBAsyncClient, links: list[Any], window: Window | None = None) -> list[LinkStats]:
    """The funnel of each link row (columns as _LINK_COLUMNS): over all time one read of the
    links' running totals, inside `window` three grouped queries over the base tables."""
    counts: dict[str, dict[int, Any]] = {"clicks": {}, "starts": {}, "revenue": {}}
    ids = [int(row[0]) for row in links]
    for chunk in _chunks(ids):
        marks = db.marks(len(chunk))
        if window is None:
            for link_id, clicks, starts, paying, revenue in await db.rows(conn, _TOTALS.format(ids=marks), chunk):
                counts["clicks"][int(link_id)] = (clicks,)
                counts["starts"][int(link_id)] = (starts, paying)
                counts["revenue"][int(link_id)] = (revenue,)
            continue
        for key, query, params in _queries(conn, window):
            for row in await db.rows(conn, query.format(ids=marks), [*params, *chunk]):
                counts[key][int(row[0])] = row[1:]
    out = []
    for row in links:
        link_id = int(row[0])
        starts, paying = counts["starts"].get(link_id, (0, 0))
        out.append(
            LinkStats(
                link_id=link_id,
                tracker_id=int(row[1]),
                owner_id=int(row[2]),
                code=row[3],
                label=row[4],
                makes_partner=bool(row[5]),
                archived=bool(row[6]),
                created_at=db.parse_ts(row[7]),
                clicks=int(counts["clicks"].get(link_id, (0,))[0]),
                starts=int(starts),
                paying=int(paying),
                revenue_kopecks=int(counts["revenue"].get(link_id, (0,))[0] or 0),
            )
        )
    return out


async def link_funnel(partner_id: int, link_id: int, *, using_db: BaseDBAsyncClient | None = None) -> LinkStats | None:
    """One link's funnel, or None if there is no such link or it is not `partner_id`'s."""
    conn = db.conn_or_default(using_db)
    links = await db.rows(
        conn, f"SELECT {_LINK_COLUMNS} FROM invite_links l WHERE l.id = ? AND l.owner_id = ?", [link_id, partner_id]
    )
    return (await _funnel(conn, links))[0] if links else None


async def links_funnel(
    tracker_id: int,
    user_id: int,
    *,
    include_archived: bool = False,
    window: Window | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> list[LinkStats]:
    """The funnel of each of the user's links on a tracker, newest first, over all time or inside
    `window`. [] when they have none."""
    conn = db.conn_or_default(using_db)
    archived = "" if include_archived else " AND l.archived = ?"
    links = await db.rows(
        conn,
        f"SELECT {_LINK_COLUMNS} FROM invite_links l WHERE l.tracker_id = ? AND l.owner_id = ?{archived} "
        "ORDER BY l.id DESC",
        [tracker_id, user_id] + ([] if include_archived else [False]),
    )
    return await _funnel(conn, links, window)


async def owners_links_funnel(tracker_id: int, owner_ids: Sequence[int], conn: BaseDBAsyncClient) -> list[LinkStats]:
    """The funnels of all links of these owners on a tracker, newest first."""
    links = await db.rows(
        conn,
        f"SELECT {_LINK_COLUMNS} FROM invite_links l WHERE l.tracker_id = ? "
        f"AND l.owner_id IN ({db.marks(len(owner_ids))}) "
        "ORDER BY l.id DESC",
        [tracker_id, *owner_ids],
    )
    return await _funnel(conn, links)


# --- network ----------------------------------------------------------------------------------


async def network(
    tracker_id: int, user_id: int, *, depth: int = 3, names_limit: int = 50,
    using_db: BaseDBAsyncClient | None = None,
) -> Network:
    """How many people the user has at each of the first `depth` levels on this tracker (1 to 6:
    callers pass the commission schedule's depth, at least 1) and how many of them have paid, and
    the first names of their level 1 (newest first)."""
    conn = db.conn_or_default(using_db)
    depth = min(max(depth, 1), len(LEVEL_ROLES))
    # The counts per level the triggers keep (models/summaries.py): a row a level.
    found = {
        int(n): (int(people), int(paying))
        for n, people, paying in await db.rows(
            conn,
            "SELECT level, people, paying FROM network_totals WHERE holder_id = ? AND tracker_id = ? AND level <= ?",
            [user_id, tracker_id, depth],
        )
    }
    names = await db.rows(
        conn,
        "SELECT u.first_name FROM memberships m JOIN users u ON u.id = m.user_id "
        "WHERE m.l1_id = ? AND m.tracker_id = ? ORDER BY m.id DESC LIMIT ?",
        [user_id, tracker_id, names_limit],
    )
    levels = tuple(NetworkLevel(n, *found.get(n, (0, 0))) for n in range(1, depth + 1))
    return Network(levels=levels, first_names=[row[0] for row in names])


# --- the author's side ------------------------------------------------------------------------


async def _require_author(conn: BaseDBAsyncClient, tracker_id: int, author_id: int) -> None:
    if await _author_id(tracker_id, conn) != author_id:
        raise ReferralError(NOT_AUTHOR)


async def partners(
    tracker_id: int,
    author_id: int,
    *,
    limit: int = 20,
    offset: int = 0,
    using_db: BaseDBAsyncClient | None = None,
) -> PartnerList:
    """The tracker's partners (everyone with a link here, and everyone the author named a partner;
    not the author), in user id order, with the people and payers they brought. Only for the
    tracker's author (`referral-not-author` otherwise)."""
    conn = db.conn_or_default(using_db)
    await _require_author(conn, tracker_id, author_id)
    # The roster the triggers keep (models/summaries.py): link owners and named partners, one row
    # each, walked in user id order on its (tracker_id, user_id) key.
    base = [tracker_id, author_id]
    total = int(
        (await db.rows(conn, "SELECT COUNT(*) FROM partner_roster WHERE tracker_id = ? AND user_id <> ?", base))[0][0]
    )
    page = await db.rows(
        conn,
        "SELECT u.id, u.first_name, u.username, COALESCE(m.is_partner, ?) "
        "FROM (SELECT user_id AS uid FROM partner_roster WHERE tracker_id = ? AND user_id <> ? "
        "ORDER BY user_id LIMIT ? OFFSET ?) p "
        "JOIN users u ON u.id = p.uid LEFT JOIN memberships m ON m.tracker_id = ? AND m.user_id = p.uid "
        "ORDER BY u.id",
        [False, *base, limit, offset, tracker_id],
    )
    ids = [int(row[0]) for row in page]
    if not ids:
        return PartnerList(total, [])
    brought = {
        int(row[0]): (int(row[1]), int(row[2]))
        for row in await db.rows(
            conn,
            "SELECT holder_id, people, paying FROM network_totals "
            f"WHERE holder_id IN ({db.marks(len(ids))}) AND level = 1 AND tracker_id = ?",
            [*ids, tracker_id],
        )
    }
    people = []
    for uid, first_name, username, is_partner in page:
        members, subscribers = brought.get(int(uid), (0, 0))
        people.append(Partner(int(uid), first_name, username, bool(is_partner), members, subscribers))
    return PartnerList(total, people)


async def refund_rate_by_partner(
    tracker_id: int,
    *,
    min_refunds: int = 3,
    min_rate: Decimal | str = Decimal("0.3"),
    since: datetime | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> list[RefundAlert]:
    """Partners whose level-1 referrals refund unusually often: at least `min_refunds` refunded
    payments that make at least `min_rate` of their payments (since `since`, if given). For an
    alert to the author; the author's own referrals are not listed. Worst first."""
    conn = db.conn_or_default(using_db)
    author_id = await _author_id(tracker_id, conn)
    if since is None:
        # The counts the triggers keep (models/summaries.py), read only where refunds are enough.
        found = await db.rows(
            conn,
            "SELECT r.partner_id, u.first_name, r.payments, r.refunded FROM refund_totals r "
            "JOIN users u ON u.id = r.partner_id "
            "WHERE r.tracker_id = ? AND r.refunded >= ? AND r.payments > 0 AND r.partner_id <> ?",
            [tracker_id, min_refunds, author_id],
        )
    else:
        found = await db.rows(
            conn,
            "SELECT m.l1_id, u.first_name, COUNT(*), SUM(CASE WHEN p.refunded = ? THEN 1 ELSE 0 END) AS refunds "
            "FROM payments p "
            "JOIN memberships m ON m.tracker_id = p.tracker_id AND m.user_id = p.user_id "
            "JOIN users u ON u.id = m.l1_id "
            "WHERE p.tracker_id = ? AND m.l1_id IS NOT NULL AND m.l1_id <> ? AND p.created_at >= ? "
            "GROUP BY m.l1_id, u.first_name HAVING SUM(CASE WHEN p.refunded = ? THEN 1 ELSE 0 END) >= ?",
            [True, tracker_id, author_id, db.ts(conn, since), True, min_refunds],
        )
    rate = Decimal(str(min_rate))
    alerts = [
        RefundAlert(int(uid), name, int(total), int(refunds))
        for uid, name, total, refunds in found
        if Decimal(int(refunds)) >= rate * int(total)
    ]
    return sorted(alerts, key=lambda a: (-a.rate, -a.refunded, a.partner_id))
