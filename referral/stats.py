"""The partner cabinet's numbers, and the author's view of a tracker's partners.

Every figure is a fixed number of indexed aggregate queries (no recursion: the chain is on the
membership rows, and copied onto each accounting period), and every partner-side function takes
the partner's user id and filters by it, so a partner only ever sees their own money. Other people
appear as counts and, for the first level, first names.

Definitions used throughout:
- a link's *starts* are the members attributed to it (`Membership.invite_link`), its *clicks* the
  distinct users who opened it (`InviteClick`);
- *paying* members are those who have paid on this tracker: the first payment locks their chain
  (`Membership.locked_at`), so it is an index-only count; *revenue* is the sum of their payments
  that were not refunded (`amount_kopecks`);
- *earnings* are ledger accruals on the person's account, read from the running totals of
  `referral.rollup` (exact: what is newer than the totals is added live); from a link: the
  accruals whose source period belongs to a member attributed to that link (any role);
- *forecast*: the open (not yet settled) periods where the person holds a role (as the author,
  or in the chain the period carries: the membership's, as locked at payment), each valued at the
  person's share of the period's revenue under the commission schedule (`billing.split`). Token
  costs are not known before settlement, so it is an upper estimate;
- months are calendar months in the platform's time zone, by the ledger entry's `created_at` (the
  settlement time). Pass the platform's zone (`settings.timezone`) to the monthly figures: the
  running totals are cut in one zone, and another one makes them refold. Figures without months
  take `tz=None` (whatever zone the totals are in).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from models.enums import PeriodStatus, Role
from models import sql as db
from referral import rollup
from referral.attribution import _author_id
from referral.errors import NOT_AUTHOR, ReferralError

DEFAULT_TIMEZONE = rollup.DEFAULT_TIMEZONE
LEVEL_ROLES = (Role.L1, Role.L2, Role.L3)
_OPEN = PeriodStatus.OPEN.value


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LevelAmounts:
    """Kopecks per role. `author` is non-zero only for the tracker's author."""

    author: int = 0
    l1: int = 0
    l2: int = 0
    l3: int = 0

    @property
    def total(self) -> int:
        return self.author + self.l1 + self.l2 + self.l3

    @classmethod
    def from_roles(cls, amounts: dict[str, int]) -> LevelAmounts:
        return cls(**{role: int(amounts.get(role, 0)) for role in ("author", "l1", "l2", "l3")})


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
    earned_kopecks: int = 0  # the owner's accruals from their periods


@dataclass(frozen=True, slots=True)
class Earnings:
    settled: LevelAmounts
    forecast: LevelAmounts


@dataclass(frozen=True, slots=True)
class MonthEarnings:
    month: str  # "YYYY-MM" in the platform's time zone
    amounts: LevelAmounts


@dataclass(frozen=True, slots=True)
class NetworkLevel:
    level: int
    people: int
    paying: int


@dataclass(frozen=True, slots=True)
class Network:
    levels: tuple[NetworkLevel, NetworkLevel, NetworkLevel]
    first_names: list[str]  # level 1, newest first, at most `names_limit`

    @property
    def people(self) -> int:
        return sum(level.people for level in self.levels)


@dataclass(frozen=True, slots=True)
class PartnerSummary:
    user_id: int
    first_name: str
    username: str | None
    is_partner: bool  # named by the author (as opposed to a payer who made links)
    members: int  # people who arrived through them (their level 1)
    subscribers: int  # of those, how many pay
    earnings: LevelAmounts  # their accruals on this tracker
    links: list[LinkStats] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PartnersPage:
    total: int
    partners: list[PartnerSummary]


@dataclass(frozen=True, slots=True)
class RefundAlert:
    partner_id: int
    first_name: str
    payments: int  # payments of their level-1 referrals on this tracker
    refunded: int

    @property
    def rate(self) -> Decimal:
        return Decimal(self.refunded) / Decimal(self.payments) if self.payments else Decimal(0)


# --- helpers ----------------------------------------------------------------------------------


def _tracker_filter(column: str, tracker_id: int | None) -> tuple[str, list[Any]]:
    return ("", []) if tracker_id is None else (f" AND {column} = ?", [tracker_id])


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):  # stay under every backend's parameter limit
        yield ids[start : start + size]


# --- links ------------------------------------------------------------------------------------

_LINK_COLUMNS = "l.id, l.tracker_id, l.owner_id, l.code, l.label, l.makes_partner, l.archived, l.created_at"

_CLICKS = "SELECT link_id, COUNT(*) FROM invite_clicks WHERE link_id IN ({ids}) GROUP BY link_id"
# Starts and payers: index-only on (invite_link_id, tracker_id, user_id, locked_at).
_STARTS = (
    "SELECT invite_link_id, COUNT(*), COUNT(locked_at) FROM memberships WHERE invite_link_id IN ({ids}) "
    "GROUP BY invite_link_id"
)
# Only payers can have payments, so only they are looked up (covering index on payments).
_REVENUE = """
SELECT m.invite_link_id, SUM(p.amount_kopecks)
FROM memberships m
JOIN payments p ON p.tracker_id = m.tracker_id AND p.user_id = m.user_id AND p.refunded = ?
WHERE m.invite_link_id IN ({ids}) AND m.locked_at IS NOT NULL
GROUP BY m.invite_link_id
"""


Earned = dict[tuple[int, str, str], int]  # rollup.earned: (own link id, role, month) -> kopecks


async def _funnel(
    conn: BaseDBAsyncClient, links: list[Any], tz: str | None, earned_by_owner: dict[int, Earned] | None = None
) -> list[LinkStats]:
    """The funnel of each link row (columns as _LINK_COLUMNS): three grouped queries, and the
    owners' running totals for the earnings (given, or read here)."""
    counts: dict[str, dict[int, Any]] = {"clicks": {}, "starts": {}, "revenue": {}}
    ids = [int(row[0]) for row in links]
    for chunk in _chunks(ids):
        marks = db.marks(len(chunk))
        for key, query, params in (("clicks", _CLICKS, []), ("starts", _STARTS, []), ("revenue", _REVENUE, [False])):
            for row in await db.rows(conn, query.format(ids=marks), [*params, *chunk]):
                counts[key][int(row[0])] = row[1:]
    if earned_by_owner is None:
        earned_by_owner = {}
        for tracker_id in {int(row[1]) for row in links}:
            owners = {int(row[2]) for row in links if int(row[1]) == tracker_id}
            earned_by_owner.update(await rollup.earned_many(owners, tracker_id, tz=tz, using_db=conn))
    # A link's earnings are its owner's money from the people it brought; an ancestor's L2/L3
    # share from the same people belongs to the ancestor, not to this link.
    owner_of = {int(row[0]): int(row[2]) for row in links}
    earned: dict[int, int] = {}
    for owner_id, totals in earned_by_owner.items():
        for (link_id, _, _), amount in totals.items():
            if link_id and owner_of.get(link_id) == owner_id:
                earned[link_id] = earned.get(link_id, 0) + amount
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
                earned_kopecks=earned.get(link_id, 0),
            )
        )
    return out


async def link_stats(
    partner_id: int, link_id: int, *, tz: str | None = None, using_db: BaseDBAsyncClient | None = None
) -> LinkStats | None:
    """One link's funnel, or None if there is no such link or it is not `partner_id`'s."""
    conn = db.conn_or_default(using_db)
    links = await db.rows(
        conn, f"SELECT {_LINK_COLUMNS} FROM invite_links l WHERE l.id = ? AND l.owner_id = ?", [link_id, partner_id]
    )
    return (await _funnel(conn, links, tz))[0] if links else None


async def links_stats(
    tracker_id: int,
    user_id: int,
    *,
    include_archived: bool = False,
    tz: str | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> list[LinkStats]:
    """The funnel of each of the user's links on a tracker, newest first. [] when they have none."""
    conn = db.conn_or_default(using_db)
    archived = "" if include_archived else " AND l.archived = ?"
    links = await db.rows(
        conn,
        f"SELECT {_LINK_COLUMNS} FROM invite_links l WHERE l.tracker_id = ? AND l.owner_id = ?{archived} "
        "ORDER BY l.id DESC",
        [tracker_id, user_id] + ([] if include_archived else [False]),
    )
    return await _funnel(conn, links, tz)


# --- earnings ---------------------------------------------------------------------------------


async def settled_by_level(
    tracker_id: int | None, user_id: int, *, tz: str | None = None, using_db: BaseDBAsyncClient | None = None
) -> LevelAmounts:
    """The user's accruals per role, on one tracker or (tracker_id=None) on all of them."""
    return _by_role(await rollup.earned(user_id, tracker_id, tz=tz, using_db=using_db))


def _by_role(earned: Earned) -> LevelAmounts:
    totals: dict[str, int] = {}
    for (_, role, _), amount in earned.items():
        totals[role] = totals.get(role, 0) + amount
    return LevelAmounts.from_roles(totals)


# The open periods where the user holds each role, grouped by revenue: a role's share depends only
# on the amount (billing.split), so a handful of (role, revenue, count) rows price them all exactly.
# A period carries its subscriber's chain as locked at payment (billing.subscriptions), so each
# level is one range of the (lN_id, status, tracker_id, revenue_kopecks) index, read index-only.
# The role is a literal (an enum value): PostgreSQL cannot type a bare parameter in a select list.
_FORECAST_LEVEL = """
SELECT '{level}', p.revenue_kopecks, COUNT(*)
FROM accounting_periods p
WHERE p.{level}_id = ? AND p.status = ?{tracker}
GROUP BY p.revenue_kopecks
"""
_FORECAST_AUTHOR = """
SELECT 'author', p.revenue_kopecks, COUNT(*)
FROM trackers t JOIN accounting_periods p ON p.tracker_id = t.id AND p.status = ?
WHERE t.author_id = ?{tracker}
GROUP BY p.revenue_kopecks
"""


def _role_share(schedule: Any) -> Any:
    """`share(role, amount)`: the role's kopecks of `amount`, rounded exactly as settlement does."""
    # Imported here: billing imports referral (the lock at payment), and this is the only place the
    # referral side needs billing's rules. split.py is pure, so it is cheap to reuse.
    from billing.split import ROLE_ORDER, compile_schedule, role_amounts

    weights = compile_schedule(schedule)
    cache: dict[int, list[int]] = {}

    def share(role: str, amount: int) -> int:
        if amount <= 0:
            return 0
        if amount not in cache:
            cache[amount] = role_amounts(amount, weights)
        return cache[amount][ROLE_ORDER.index(Role(role))]

    return share


async def forecast_by_level(
    tracker_id: int | None, user_id: int, *, schedule: Any = None, using_db: BaseDBAsyncClient | None = None
) -> LevelAmounts:
    """What the open periods would bring the user per role if their whole revenue were margin."""
    conn = db.conn_or_default(using_db)
    parts: list[str] = []
    params: list[Any] = []
    period_where, period_params = _tracker_filter("p.tracker_id", tracker_id)
    for role in LEVEL_ROLES:
        parts.append(_FORECAST_LEVEL.format(level=role.value, tracker=period_where))
        params += [user_id, _OPEN, *period_params]
    author_where, author_params = _tracker_filter("t.id", tracker_id)
    parts.append(_FORECAST_AUTHOR.format(tracker=author_where))
    params += [_OPEN, user_id, *author_params]
    found = await db.rows(conn, " UNION ALL ".join(parts), params)
    share = _role_share(schedule)
    totals: dict[str, int] = {}
    for role, revenue, count in found:
        totals[role] = totals.get(role, 0) + share(role, int(revenue)) * int(count)
    return LevelAmounts.from_roles(totals)


async def earnings(
    tracker_id: int | None,
    user_id: int,
    *,
    schedule: Any = None,
    tz: str | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> Earnings:
    """Settled (ledger) and forecast (open periods) earnings per role."""
    return Earnings(
        settled=await settled_by_level(tracker_id, user_id, tz=tz, using_db=using_db),
        forecast=await forecast_by_level(tracker_id, user_id, schedule=schedule, using_db=using_db),
    )


def month_labels(months: int, now: datetime, tz: str) -> list[str]:
    """"YYYY-MM" of the last `months` calendar months in `tz`, oldest first, the current one last."""
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
    found = await rollup.earned(user_id, tracker_id, tz=tz, since_month=labels[0], using_db=using_db)
    for (_, role, month), amount in found.items():
        if month in per_month:
            per_month[month][role] = per_month[month].get(role, 0) + amount
    return [MonthEarnings(label, LevelAmounts.from_roles(per_month[label])) for label in labels]


# --- network ----------------------------------------------------------------------------------

# Index-only on (lN_id, tracker_id, locked_at, user_id): people, and payers (locked = has paid).
_NETWORK_LEVEL = "SELECT {n}, COUNT(*), COUNT(m.locked_at) FROM memberships m WHERE m.{level}_id = ? AND m.tracker_id = ?"


async def network(
    tracker_id: int, user_id: int, *, names_limit: int = 50, using_db: BaseDBAsyncClient | None = None
) -> Network:
    """How many people the user has at each level on this tracker and how many of them have paid,
    and the first names of their level 1 (newest first)."""
    conn = db.conn_or_default(using_db)
    parts, params = [], []
    for n, role in enumerate(LEVEL_ROLES, start=1):
        parts.append(_NETWORK_LEVEL.format(n=n, level=role.value))
        params += [user_id, tracker_id]
    found = {int(n): (int(people), int(paying)) for n, people, paying in await db.rows(conn, " UNION ALL ".join(parts), params)}
    names = await db.rows(
        conn,
        "SELECT u.first_name FROM memberships m JOIN users u ON u.id = m.user_id "
        "WHERE m.l1_id = ? AND m.tracker_id = ? ORDER BY m.id DESC LIMIT ?",
        [user_id, tracker_id, names_limit],
    )
    levels = tuple(NetworkLevel(n, *found.get(n, (0, 0))) for n in (1, 2, 3))
    return Network(levels=levels, first_names=[row[0] for row in names])  # type: ignore[arg-type]


# --- balance ----------------------------------------------------------------------------------


async def balance(user_id: int, *, using_db: BaseDBAsyncClient | None = None) -> Any:
    """The user's balance over all trackers: `billing.ledger.Balance` (accrued, reserved, paid,
    available, ...). All zeros for someone without an account; reading never creates one."""
    from billing.ledger import Balance, balance as account_balance  # see _role_share on the import

    conn = db.conn_or_default(using_db)
    account = await rollup.account_of(conn, user_id)
    if account is None:
        return Balance(accrued=0, losses=0, adjustments=0, reserved=0, paid=0, available=0, by_role={})
    await rollup.refresh(user_id, using_db=conn)  # fold what is new, so the balance reads a short tail
    return await account_balance(account, conn)


# --- the author's side ------------------------------------------------------------------------


async def _require_author(conn: BaseDBAsyncClient, tracker_id: int, author_id: int) -> None:
    if await _author_id(tracker_id, conn) != author_id:
        raise ReferralError(NOT_AUTHOR)


async def tracker_partners(
    tracker_id: int,
    author_id: int,
    *,
    limit: int = 20,
    offset: int = 0,
    tz: str | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> PartnersPage:
    """The tracker's partners (everyone with a link here, and everyone the author named a partner;
    not the author), in user id order, with their links' funnels, the people and payers they
    brought and their earnings per level on this tracker. Only for the tracker's author
    (`referral-not-author` otherwise)."""
    conn = db.conn_or_default(using_db)
    await _require_author(conn, tracker_id, author_id)
    # Both sides of the union walk an index in user id order, so the page stops after `limit` rows
    # instead of sorting every partner; the count is index-only.
    partners_sql = (
        "SELECT uid FROM (SELECT owner_id AS uid FROM invite_links WHERE tracker_id = ? "
        "UNION SELECT user_id FROM memberships WHERE tracker_id = ? AND is_partner = ?) p WHERE uid <> ?"
    )
    base = [tracker_id, tracker_id, True, author_id]
    total = int((await db.rows(conn, f"SELECT COUNT(*) FROM ({partners_sql}) c", base))[0][0])
    page = await db.rows(
        conn,
        f"SELECT u.id, u.first_name, u.username, COALESCE(m.is_partner, ?) "
        f"FROM ({partners_sql} ORDER BY uid LIMIT ? OFFSET ?) p "
        "JOIN users u ON u.id = p.uid LEFT JOIN memberships m ON m.tracker_id = ? AND m.user_id = p.uid "
        "ORDER BY u.id",
        [False, *base, limit, offset, tracker_id],
    )
    ids = [int(row[0]) for row in page]
    if not ids:
        return PartnersPage(total, [])
    marks = db.marks(len(ids))
    brought = {
        int(row[0]): (int(row[1]), int(row[2]))
        for row in await db.rows(
            conn,
            "SELECT l1_id, COUNT(*), COUNT(locked_at) FROM memberships "
            f"WHERE l1_id IN ({marks}) AND tracker_id = ? GROUP BY l1_id",
            [*ids, tracker_id],
        )
    }
    earned = await rollup.earned_many(ids, tracker_id, tz=tz, using_db=conn)
    links = await _funnel(
        conn,
        await db.rows(
            conn,
            f"SELECT {_LINK_COLUMNS} FROM invite_links l WHERE l.tracker_id = ? AND l.owner_id IN ({marks}) "
            "ORDER BY l.id DESC",
            [tracker_id, *ids],
        ),
        tz,
        earned,
    )
    by_owner: dict[int, list[LinkStats]] = {}
    for link in links:
        by_owner.setdefault(link.owner_id, []).append(link)
    partners = []
    for uid, first_name, username, is_partner in page:
        uid = int(uid)
        partners.append(
            PartnerSummary(
                user_id=uid,
                first_name=first_name,
                username=username,
                is_partner=bool(is_partner),
                members=brought.get(uid, (0, 0))[0],
                subscribers=brought.get(uid, (0, 0))[1],
                earnings=_by_role(earned[uid]),
                links=by_owner.get(uid, []),
            )
        )
    return PartnersPage(total, partners)


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
    where, params = ("", []) if since is None else (" AND p.created_at >= ?", [db.ts(conn, since)])
    found = await db.rows(
        conn,
        "SELECT m.l1_id, u.first_name, COUNT(*), SUM(CASE WHEN p.refunded = ? THEN 1 ELSE 0 END) AS refunds "
        "FROM payments p "
        "JOIN memberships m ON m.tracker_id = p.tracker_id AND m.user_id = p.user_id "
        "JOIN users u ON u.id = m.l1_id "
        f"WHERE p.tracker_id = ? AND m.l1_id IS NOT NULL AND m.l1_id <> ?{where} "
        "GROUP BY m.l1_id, u.first_name HAVING SUM(CASE WHEN p.refunded = ? THEN 1 ELSE 0 END) >= ?",
        [True, tracker_id, author_id, *params, True, min_refunds],
    )
    rate = Decimal(str(min_rate))
    alerts = [
        RefundAlert(int(uid), name, int(total), int(refunds))
        for uid, name, total, refunds in found
        if Decimal(int(refunds)) >= rate * int(total)
    ]
    return sorted(alerts, key=lambda a: (-a.rate, -a.refunded, a.partner_id))
