"""The author's dashboard: every figure of the read model equals a direct SQL aggregate written
apart from it, on a tracker with renewals, a churn, a refund, settled and open periods."""

from __future__ import annotations

from tortoise import connections

from billing import ledger
from billing.dashboard import author_dashboard, nearest_rank
from billing.rates import add_rate, record_usage, set_model_price
from billing.refunds import refund_subscription
from billing.settlement import settle_due_periods
from billing.subscriptions import create_subscription
from models import Meeting, Scenario, ScenarioTrigger
from models.sql import sql, ts
from tests.billing.helpers import MSK, at, join, make_tracker

MODEL = "gpt-4o-mini"
NOW = at(2025, 3, 20, 12)
MARCH = (at(2025, 2, 28, 21), at(2025, 3, 31, 21))  # Moscow's March in UTC
FEBRUARY = (at(2025, 1, 31, 21), at(2025, 2, 28, 21))


async def one(query: str, *params) -> int:
    conn = connections.get("default")
    _, rows = await conn.execute_query(sql(conn, query), list(params))
    return int(rows[0][0] or 0)


def iso(moment):
    """A moment as a parameter of this backend (text on SQLite, a timestamp on PostgreSQL)."""
    return ts(connections.get("default"), moment)


async def test_every_figure_equals_a_direct_aggregate(database):
    await add_rate(at(2025, 1, 1), "1.5")
    await set_model_price(MODEL, "1", "2")
    tracker = await make_tracker(author_id=1)
    other = await make_tracker(author_id=2, bot_id=101)  # another author's tracker: never counted
    for user in (5, 6, 7, 8, 9):
        await join(tracker, user, inviter=1 if user in (5, 7) else None)
    await join(other, 5)
    await create_subscription(tracker.id, 5, "month", 200_000, at(2025, 2, 10, 9), tz=MSK)
    await create_subscription(tracker.id, 5, "month", 200_000, at(2025, 3, 10, 9), tz=MSK)  # renewed
    await create_subscription(tracker.id, 6, "month", 100_000, at(2025, 2, 5, 9), tz=MSK)  # ends Mar 5
    await create_subscription(tracker.id, 7, "quarter", 450_000, at(2025, 3, 3, 9), tz=MSK)  # new in March
    refunded = await create_subscription(tracker.id, 8, "month", 100_000, at(2025, 3, 4, 9), tz=MSK)
    await refund_subscription(refunded.id)
    await create_subscription(tracker.id, 9, "month", 90_000, at(2025, 1, 15, 9), tz=MSK)  # churned in Feb
    await create_subscription(other.id, 5, "month", 300_000, at(2025, 3, 1, 9), tz=MSK)
    for user, day, tokens in ((5, 12, 3000), (5, 15, 9000), (7, 5, 1000), (7, 18, 200), (6, 3, 4000), (9, 2, 500)):
        month = 3 if user != 9 else 2
        await record_usage(tracker.id, user, MODEL, tokens, tokens // 2, at=at(2025, month, day, 10),
                           subscription_id=None, charged_to="subscription")
    await record_usage(tracker.id, 1, MODEL, 50_000, 1000, at=at(2025, 3, 6), charged_to="author")
    await record_usage(other.id, 5, MODEL, 70_000, 1000, at=at(2025, 3, 6), charged_to="subscription")
    weekly = await Scenario.create(tracker=tracker, name="Week", trigger=ScenarioTrigger.WEEKLY, weekdays="0,3")
    await Meeting.create(tracker=tracker, user_id=1, scenario=weekly, is_test=True, started_at=at(2025, 3, 1),
                         last_activity_at=at(2025, 3, 1), ended_at=at(2025, 3, 1), mj_micro=50_000_000)
    await settle_due_periods(NOW)

    dash = await author_dashboard(tracker, NOW, MSK)

    active = await one(
        "SELECT COUNT(*) FROM (SELECT DISTINCT user_id FROM subscriptions WHERE tracker_id = ? AND status = 'active'"
        " AND starts_at <= ? AND ends_at > ?) x", tracker.id, iso(NOW), iso(NOW))
    assert dash.active == active == 2  # 5 (renewed) and 7
    for month, (start, end) in ((dash.this, MARCH), (dash.last, FEBRUARY)):
        spans = ("SELECT COUNT(*) FROM (SELECT user_id, MIN(starts_at) AS first, MAX(ends_at) AS last"
                 " FROM subscriptions WHERE tracker_id = ? AND status = 'active' GROUP BY user_id) s")
        assert month.new == await one(spans + " WHERE first >= ? AND first < ?", tracker.id, iso(start), iso(end))
        assert month.churned == await one(
            spans + " WHERE last >= ? AND last < ?", tracker.id, iso(start), iso(min(end, NOW)))
        assert month.revenue_kopecks == await one(
            "SELECT SUM(revenue_kopecks) FROM accounting_periods WHERE tracker_id = ? AND status <> 'cancelled'"
            " AND starts_at >= ? AND starts_at < ?", tracker.id, iso(start), iso(end))
        cost_ukop = await one(
            "SELECT SUM(cost_ukop) FROM usage_records WHERE tracker_id = ? AND charged_to = 'subscription'"
            " AND created_at >= ? AND created_at < ?", tracker.id, iso(start), iso(end))
        assert month.token_cost_kopecks == (cost_ukop + 500_000) // 1_000_000
        assert month.margin_kopecks == month.revenue_kopecks - month.token_cost_kopecks
    assert (dash.this.new, dash.this.churned, dash.last.new, dash.last.churned) == (1, 1, 2, 1)
    assert dash.this.revenue_kopecks == 200_000 + 150_000  # 5's renewal, 7's first quarter month

    conn = connections.get("default")
    _, rows = await conn.execute_query(sql(conn, (
        "SELECT user_id, SUM(cost_ukop) FROM usage_records WHERE tracker_id = ? AND charged_to = 'subscription'"
        " AND created_at >= ? AND created_at < ? GROUP BY user_id ORDER BY 2")), [tracker.id, iso(MARCH[0]), iso(NOW)])
    per_client = [(int(r[0]), (int(r[1]) + 500_000) // 1_000_000) for r in rows]
    costs = [c for _, c in per_client]
    assert dash.clients_with_cost == len(per_client) == 3
    assert dash.median_cost_kopecks == nearest_rank(costs, 50) == costs[1]
    assert dash.p90_cost_kopecks == costs[-1]
    assert [(uid, c) for uid, _, c in dash.top] == sorted(per_client, key=lambda r: -r[1])
    assert dash.top[0][1] == "u5"
    assert dash.estimate_kopecks == 8 * 50 * 150  # two meetings a week of 50 mJ at 1.5 RUB

    settled = await one(
        "SELECT SUM(e.amount_kopecks) FROM ledger_entries e JOIN accounts a ON a.id = e.account_id"
        " WHERE a.key = 'user:1' AND e.tracker_id = ? AND e.kind = 'accrual'", tracker.id)
    assert dash.settled_kopecks == settled > 0
    # The author has this one tracker: the platform-wide forecast is this tracker's.
    assert dash.forecast_kopecks == sum((await ledger.forecast(1)).values()) > 0
    assert (await author_dashboard(other, NOW, MSK)).active == 1


def test_nearest_rank():
    assert nearest_rank([], 50) == 0
    assert nearest_rank([7], 90) == 7
    assert [nearest_rank(list(range(1, 11)), p) for p in (50, 90, 100)] == [5, 9, 10]
    assert nearest_rank([1, 2, 3], 50) == 2
