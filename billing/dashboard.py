"""The author's dashboard of one tracker: one read model, every figure from it.

Months are calendar months in the platform's time zone ("this period" is the month of `now`,
"last" the one before). Refunded subscriptions and cancelled periods count nowhere.

- active: subscribers with a subscription in force at `now`;
- new in a month: subscribers whose first subscription here started in it;
- churned in a month: subscribers whose last subscription here ended in it (before `now`);
- revenue of a month: the revenue of the accounting periods that started in it;
- token cost: what the subscribers' answers cost in the month (usage charged to subscriptions),
  per client: median, 90th percentile (nearest rank) and the top clients, beside the test chat's
  monthly estimate per client (billing.estimate, as the AI panel shows it);
- margin of a month: its revenue minus its token cost;
- the author's earnings: settled (the accruals of this tracker in the author's ledger account,
  every role they hold) and forecast (their shares of the open periods' margins so far, as
  billing.ledger.forecast estimates them, for this tracker).

Every figure is read from running totals kept where the money and usage are written
(billing.dashboard_rollup), never aggregated over the subscribers: the month's figures are sums
of at most ~744 hour rows, the forecast one row, the settled earnings the partner cabinet's folded
totals. A percentile is exact, so it is a walk along the clients' (month, cost) index to its rank
from the nearer end (no B-tree here can jump to a rank): index-only steps, at most half the
month's clients (a tenth for the p90), against sorting every client's sum of answers before.
Only the part of the current hour already past is read from the subscriptions themselves (a
short index range), so the figures are exact at any moment. tests/billing/test_dashboard*.py hold every figure against a
direct SQL aggregate over the raw tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from billing.dashboard_rollup import ensure_built, hour_of
from billing.estimate import ScheduleLine, meetings_per_month, monthly_estimate
from billing.partner import totals
from billing.rates import MICRO, rate_at
from billing.reports import current_month, month_bounds, shift_month
from billing.settlement import token_cost_kopecks
from billing.split import ScheduleLike, compile_schedule
from models import Scenario, ScenarioTrigger, Tracker
from models.enums import Role, SubscriptionStatus
from models.sql import default_connection, sql, ts, utc

TOP_CLIENTS = 3


@dataclass(frozen=True, slots=True)
class Month:
    label: str  # "2025-03"
    new: int
    churned: int
    revenue_kopecks: int
    token_cost_kopecks: int

    @property
    def margin_kopecks(self) -> int:
        return self.revenue_kopecks - self.token_cost_kopecks


@dataclass(frozen=True, slots=True)
class Dashboard:
    active: int
    this: Month
    last: Month
    clients_with_cost: int
    median_cost_kopecks: int
    p90_cost_kopecks: int
    top: list[tuple[int, str, int]]  # (user id, first name, kopecks) this month, the dearest first
    estimate_kopecks: int | None  # the test chat's monthly cost per client; None without a rate
    settled_kopecks: int
    forecast_kopecks: int


# Subscriptions in force at `now`: those ending after it less those starting after it (a
# subscription starting after `now` ends after it too). Whole hours after the current one come from
# the totals, the rest of the current hour from the subscriptions (two short index ranges).
_AHEAD = (
    "SELECT COALESCE(SUM(ended), 0) - COALESCE(SUM(started), 0) FROM dashboard_hours"
    " WHERE tracker_id = ? AND hour > ?"
)
_AHEAD_IN_HOUR = """
SELECT (SELECT COUNT(*) FROM subscriptions WHERE tracker_id = ? AND status = ? AND ends_at > ? AND ends_at < ?)
     - (SELECT COUNT(*) FROM subscriptions WHERE tracker_id = ? AND status = ? AND starts_at > ? AND starts_at < ?)
"""
_MONTH = (
    "SELECT COALESCE(SUM(firsts), 0), COALESCE(SUM(revenue_kopecks), 0), COALESCE(SUM(cost_ukop), 0)"
    " FROM dashboard_hours WHERE tracker_id = ? AND hour >= ? AND hour < ?"
)
_LASTS = "SELECT COALESCE(SUM(lasts), 0) FROM dashboard_hours WHERE tracker_id = ? AND hour >= ? AND hour < ?"
# Subscribers whose last subscription ended in [hour, now): the part of the current hour.
_LASTS_IN_HOUR = """
SELECT COUNT(*) FROM subscriptions s WHERE s.tracker_id = ? AND s.status = ? AND s.ends_at >= ? AND s.ends_at < ?
  AND NOT EXISTS (SELECT 1 FROM subscriptions o WHERE o.tracker_id = s.tracker_id AND o.status = s.status
                  AND o.user_id = s.user_id AND o.ends_at > s.ends_at)
"""
_CLIENTS = "SELECT COUNT(*) FROM dashboard_client_months WHERE tracker_id = ? AND month = ?"
# The client at a rank, counted from the cheaper or the dearer end, whichever is nearer: the walk
# along the (tracker, month, cost) index is at most half the clients (a tenth for the p90).
_AT_RANK = (
    "SELECT cost_ukop FROM dashboard_client_months WHERE tracker_id = ? AND month = ?"
    " ORDER BY cost_ukop {order} LIMIT 1 OFFSET ?"
)
_TOP = (
    "SELECT c.user_id, COALESCE(u.first_name, ''), c.cost_ukop FROM dashboard_client_months c"
    " LEFT JOIN users u ON u.id = c.user_id WHERE c.tracker_id = ? AND c.month = ?"
    " ORDER BY c.cost_ukop DESC, c.user_id LIMIT ?"
)
_OPEN = "SELECT open_all_ukop, open_l1_ukop, open_l2_ukop, open_l3_ukop FROM dashboard_states WHERE tracker_id = ?"
_MEETINGS = "SELECT COUNT(*), COALESCE(SUM(mj_micro), 0) FROM meetings WHERE scenario_id = ? AND ended_at IS NOT NULL"


def nearest_rank(sorted_values: list[int], percent: int) -> int:
    """The nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0
    rank = max(1, -(-percent * len(sorted_values) // 100))
    return sorted_values[rank - 1]


def nearest_rank_of(count: int, percent: int) -> int:
    """The nearest rank (1-based) of `percent` among `count` values (0 when there are none)."""
    return max(1, -(-percent * count // 100)) if count else 0


async def _one(conn: Any, query: str, params: list[Any]) -> list[Any]:
    _, found = await conn.execute_query(sql(conn, query), params)
    return list(found[0]) if found else []


async def _active(conn: Any, tracker_id: int, now: datetime, zone: ZoneInfo) -> int:
    hour = hour_of(now, zone)
    [ahead] = await _one(conn, _AHEAD, [tracker_id, ts(conn, hour)])
    edge = [ts(conn, now), ts(conn, hour + timedelta(hours=1))]
    active = SubscriptionStatus.ACTIVE.value
    [in_hour] = await _one(conn, _AHEAD_IN_HOUR, [tracker_id, active, *edge, tracker_id, active, *edge])
    return int(ahead) + int(in_hour)


async def _churned(conn: Any, tracker_id: int, start: datetime, end: datetime, now: datetime, zone: ZoneInfo) -> int:
    cap = min(end, now)
    if cap <= start:
        return 0
    hour = max(start, hour_of(cap, zone))
    [whole] = await _one(conn, _LASTS, [tracker_id, ts(conn, start), ts(conn, hour)])
    [part] = await _one(conn, _LASTS_IN_HOUR, [tracker_id, SubscriptionStatus.ACTIVE.value, ts(conn, hour),
                                               ts(conn, cap)]) if hour < cap else [0]
    return int(whole) + int(part)


async def _month(conn: Any, tracker_id: int, label: str, tz: str, now: datetime) -> Month:
    zone = ZoneInfo(tz)
    start, end = month_bounds(label, tz)
    new, revenue, cost_ukop = await _one(conn, _MONTH, [tracker_id, ts(conn, start), ts(conn, end)])
    return Month(label=label, new=int(new), churned=await _churned(conn, tracker_id, start, end, now, zone),
                 revenue_kopecks=int(revenue), token_cost_kopecks=token_cost_kopecks(int(cost_ukop)))


async def _per_client(conn: Any, tracker_id: int, label: str) -> tuple[int, int, int, list[tuple[int, str, int]]]:
    """(clients, median, p90, top): kopecks, the nearest rank of each client's month cost."""
    [clients] = await _one(conn, _CLIENTS, [tracker_id, label])
    clients = int(clients)
    at_rank = []
    for percent in (50, 90):
        rank = nearest_rank_of(clients, percent)
        order, offset = ("ASC", rank - 1) if rank - 1 <= clients - rank else ("DESC", clients - rank)
        found = await _one(conn, _AT_RANK.format(order=order), [tracker_id, label, offset]) if rank else [0]
        at_rank.append(token_cost_kopecks(int(found[0])))
    _, top = await conn.execute_query(sql(conn, _TOP), [tracker_id, label, TOP_CLIENTS])
    return clients, at_rank[0], at_rank[1], [(int(u), str(n), token_cost_kopecks(int(c))) for u, n, c in top]


async def _estimate(conn: Any, tracker_id: int, now: datetime) -> int | None:
    rate = await rate_at(now)
    if rate is None:
        return None
    lines = []
    for scenario in await Scenario.filter(tracker_id=tracker_id, active=True, trigger=ScenarioTrigger.WEEKLY):
        count, total = await _one(conn, _MEETINGS, [scenario.id])
        avg = int(total) // int(count) if count else 0
        lines.append(ScheduleLine(meetings_per_month(len(scenario.weekday_list)), Decimal(avg) / MICRO))
    return monthly_estimate(lines, rate.rub_per_mj).cost_kopecks


async def _forecast(conn: Any, tracker: Tracker, schedule: ScheduleLike) -> int:
    """As `billing.ledger.forecast` computes it (each role's share of the positive estimates,
    rounded once per role), for this tracker's open periods only."""
    weights = compile_schedule(schedule)
    sums = await _one(conn, _OPEN, [tracker.id])
    by_role = dict(zip((Role.AUTHOR, Role.L1, Role.L2, Role.L3), (int(v) for v in sums), strict=True))
    total = 0
    for role, est_sum in by_role.items():
        share = Decimal(est_sum) * weights.weight(role) / weights.total / MICRO
        total += int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return total


async def _settled(tracker: Tracker) -> int:
    """The author's accruals on this tracker, every role: the partner cabinet's running totals
    (billing.partner.totals), which fold the ledger once."""
    roles = (await totals.earned_by_tracker(tracker.author_id)).get(tracker.id, {})
    return sum(roles.values())


async def author_dashboard(tracker: Tracker, now: datetime, tz: str, schedule: ScheduleLike = None) -> Dashboard:
    now = utc(now)
    await ensure_built(tracker.id, tracker.author_id, tz)
    conn = default_connection()
    label = current_month(now, tz)
    clients, median, p90, top = await _per_client(conn, tracker.id, label)
    return Dashboard(
        active=await _active(conn, tracker.id, now, ZoneInfo(tz)),
        this=await _month(conn, tracker.id, label, tz, now),
        last=await _month(conn, tracker.id, shift_month(label, -1), tz, now),
        clients_with_cost=clients,
        median_cost_kopecks=median,
        p90_cost_kopecks=p90,
        top=top,
        estimate_kopecks=await _estimate(conn, tracker.id, now),
        settled_kopecks=await _settled(tracker),
        forecast_kopecks=await _forecast(conn, tracker, schedule),
    )


async def recent_months(tracker: Tracker, now: datetime, tz: str, months: int) -> list[Month]:
    """The last `months` calendar months, this one first, each counted exactly as the dashboard
    counts this and last month (the Mini App's period filter): hour rows of the running totals,
    so a year costs a dozen index reads, not a scan of the tracker's subscriptions."""
    now = utc(now)
    await ensure_built(tracker.id, tracker.author_id, tz)
    conn = default_connection()
    label = current_month(now, tz)
    return [await _month(conn, tracker.id, shift_month(label, -back), tz, now) for back in range(months)]
