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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from billing.accounts import user_account_id
from billing.estimate import ScheduleLine, meetings_per_month, monthly_estimate
from billing.rates import CHARGED_TO_SUBSCRIPTION, MICRO, rate_at
from billing.reports import current_month, month_bounds, shift_month
from billing.settlement import token_cost_kopecks
from billing.split import ScheduleLike, compile_schedule
from models import Meeting, Scenario, ScenarioTrigger, Tracker
from models.enums import EntryKind, PeriodStatus, Role, SubscriptionStatus
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


_ACTIVE = (
    "SELECT COUNT(DISTINCT user_id) FROM subscriptions"
    " WHERE tracker_id = ? AND status = ? AND starts_at <= ? AND ends_at > ?"
)
# New and churned in a window, from each subscriber's first start and last end here (refunds
# aside), counted in the database: only two numbers come back however many subscribers.
_NEW_AND_CHURNED = """
SELECT COALESCE(SUM(CASE WHEN first >= ? AND first < ? THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN last >= ? AND last < ? THEN 1 ELSE 0 END), 0)
FROM (SELECT MIN(starts_at) AS first, MAX(ends_at) AS last FROM subscriptions
      WHERE tracker_id = ? AND status = ? GROUP BY user_id) spans
"""
_REVENUE = (
    "SELECT COALESCE(SUM(revenue_kopecks), 0) FROM accounting_periods"
    " WHERE tracker_id = ? AND status != ? AND starts_at >= ? AND starts_at < ?"
)
_COST_PER_CLIENT = (
    "SELECT u.user_id, COALESCE(us.first_name, ''), SUM(u.cost_ukop) FROM usage_records u"
    " LEFT JOIN users us ON us.id = u.user_id"
    " WHERE u.tracker_id = ? AND u.charged_to = ? AND u.created_at >= ? AND u.created_at < ?"
    " GROUP BY u.user_id, us.first_name"
)
_COST = (
    "SELECT SUM(cost_ukop) FROM usage_records"
    " WHERE tracker_id = ? AND charged_to = ? AND created_at >= ? AND created_at < ?"
)
_SETTLED = (
    "SELECT COALESCE(SUM(amount_kopecks), 0) FROM ledger_entries"
    " WHERE account_id = ? AND tracker_id = ? AND kind = ?"
)
# Each open period's estimated margin so far (millionths of a kopeck, never below zero), summed
# for every period and for those whose level 1, 2 or 3 the author holds.
_OPEN = """
SELECT COALESCE(SUM(est), 0),
       COALESCE(SUM(CASE WHEN l1_id = ? THEN est ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN l2_id = ? THEN est ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN l3_id = ? THEN est ELSE 0 END), 0)
FROM (SELECT CASE WHEN margin > 0 THEN margin ELSE 0 END AS est, l1_id, l2_id, l3_id FROM (
        SELECT p.revenue_kopecks * 1000000 - COALESCE((
                 SELECT SUM(u.cost_ukop) FROM usage_records u
                 WHERE u.tracker_id = p.tracker_id AND u.user_id = p.user_id
                   AND u.created_at >= p.starts_at AND u.created_at < p.ends_at AND u.charged_to = ?), 0) AS margin,
               p.l1_id, p.l2_id, p.l3_id
        FROM accounting_periods p WHERE p.tracker_id = ? AND p.status = ?) margins) estimates
"""


def nearest_rank(sorted_values: list[int], percent: int) -> int:
    """The nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0
    rank = max(1, -(-percent * len(sorted_values) // 100))
    return sorted_values[rank - 1]


async def _month(conn: Any, tracker_id: int, label: str, tz: str, now: datetime, *, per_client: bool
                 ) -> tuple[Month, list[tuple[int, str, int]]]:
    """The month's figures, and (`per_client`) each client's token cost in it."""
    start, end = month_bounds(label, tz)
    window = [ts(conn, start), ts(conn, end)]
    _, counts = await conn.execute_query(sql(conn, _NEW_AND_CHURNED), [
        *window, ts(conn, start), ts(conn, max(start, min(end, now))), tracker_id, SubscriptionStatus.ACTIVE.value,
    ])
    _, revenue = await conn.execute_query(sql(conn, _REVENUE), [tracker_id, PeriodStatus.CANCELLED.value, *window])
    clients: list[tuple[int, str, int]] = []
    if per_client:
        _, rows = await conn.execute_query(sql(conn, _COST_PER_CLIENT), [tracker_id, CHARGED_TO_SUBSCRIPTION, *window])
        clients = [(int(r[0]), str(r[1]), int(r[2] or 0)) for r in rows]
        cost_ukop = sum(c for _, _, c in clients)
    else:
        _, total = await conn.execute_query(sql(conn, _COST), [tracker_id, CHARGED_TO_SUBSCRIPTION, *window])
        cost_ukop = int(total[0][0] or 0)
    month = Month(label=label, new=int(counts[0][0]), churned=int(counts[0][1]),
                  revenue_kopecks=int(revenue[0][0]), token_cost_kopecks=token_cost_kopecks(cost_ukop))
    return month, clients


async def _estimate(tracker_id: int, now: datetime) -> int | None:
    rate = await rate_at(now)
    if rate is None:
        return None
    lines = []
    for scenario in await Scenario.filter(tracker_id=tracker_id, active=True, trigger=ScenarioTrigger.WEEKLY):
        values = [int(v) for v in await Meeting.filter(  # type: ignore[call-overload]
            scenario_id=scenario.id, ended_at__not_isnull=True
        ).values_list("mj_micro", flat=True)]
        avg = sum(values) // len(values) if values else 0
        lines.append(ScheduleLine(meetings_per_month(len(scenario.weekday_list)), Decimal(avg) / MICRO))
    return monthly_estimate(lines, rate.rub_per_mj).cost_kopecks


async def _forecast(conn: Any, tracker: Tracker, schedule: ScheduleLike) -> int:
    """As `billing.ledger.forecast` computes it (each role's share of the positive estimates,
    rounded once per role), for this tracker's open periods only."""
    weights = compile_schedule(schedule)
    author = tracker.author_id
    _, rows = await conn.execute_query(
        sql(conn, _OPEN), [author, author, author, CHARGED_TO_SUBSCRIPTION, tracker.id, PeriodStatus.OPEN.value]
    )
    by_role = dict(zip((Role.AUTHOR, Role.L1, Role.L2, Role.L3), (int(v) for v in rows[0]), strict=True))
    total = 0
    for role, est_sum in by_role.items():
        share = Decimal(est_sum) * weights.weight(role) / weights.total / MICRO
        total += int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return total


async def author_dashboard(tracker: Tracker, now: datetime, tz: str, schedule: ScheduleLike = None) -> Dashboard:
    now = utc(now)
    conn = default_connection()
    active_status = SubscriptionStatus.ACTIVE.value
    _, active = await conn.execute_query(sql(conn, _ACTIVE), [tracker.id, active_status, ts(conn, now), ts(conn, now)])
    label = current_month(now, tz)
    this, per_client = await _month(conn, tracker.id, label, tz, now, per_client=True)
    last, _ = await _month(conn, tracker.id, shift_month(label, -1), tz, now, per_client=False)
    costs = sorted(token_cost_kopecks(c) for _, _, c in per_client)
    top = sorted(per_client, key=lambda r: (-r[2], r[0]))[:TOP_CLIENTS]
    _, settled = await conn.execute_query(
        sql(conn, _SETTLED), [await user_account_id(tracker.author_id), tracker.id, EntryKind.ACCRUAL.value]
    )
    return Dashboard(
        active=int(active[0][0]),
        this=this,
        last=last,
        clients_with_cost=len(costs),
        median_cost_kopecks=nearest_rank(costs, 50),
        p90_cost_kopecks=nearest_rank(costs, 90),
        top=[(uid, name, token_cost_kopecks(c)) for uid, name, c in top],
        estimate_kopecks=await _estimate(tracker.id, now),
        settled_kopecks=int(settled[0][0]),
        forecast_kopecks=await _forecast(conn, tracker, schedule),
    )

