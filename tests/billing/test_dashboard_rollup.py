"""The dashboard's running totals (billing.dashboard_rollup) against direct SQL aggregates over the
raw tables, after any history of payments (some delivered twice), refunds whole and partial (some
retried), settlements (each run twice) and metered answers (to subscriptions, the author and the
platform): every figure equal at the moment asked and part of an hour later, and the totals kept
step by step equal, row for row, to the ones rebuilt from the raw tables; in Moscow's hours and
in a zone whose hours start at half past (Asia/Kolkata)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise import connections

from billing import ledger
from billing.dashboard import author_dashboard
from billing.payments.recording import record_payment
from billing.rates import add_rate, record_usage, set_model_price
from billing.refunds import refund_subscription
from billing.reports import current_month, month_bounds, shift_month
from billing.settlement import settle_due_periods
from models import PaymentProvider, Subscription
from models.sql import rows, ts
from tests.billing.helpers import MSK, at, join, make_tracker, wipe

MODEL = "gpt-4o-mini"
T0 = at(2025, 1, 30, 20, 30)  # two days before Moscow's February: the months split early
PRICES = {"day": 1_001, "month": 30_007, "quarter": 90_005}
USERS = (5, 6, 7, 8)
KOLKATA = "Asia/Kolkata"  # UTC+5:30: its local hours and months start at half past a UTC hour
DASHBOARD_TABLES = ("dashboard_states", "dashboard_hours", "dashboard_client_months", "dashboard_periods",
                    "earnings_rollup", "earnings_cursors")


async def one(query: str, *params) -> int:
    conn = connections.get("default")
    return int((await rows(conn, query, list(params)))[0][0] or 0)


def iso(moment):
    return ts(connections.get("default"), moment)


def kopecks(ukop: int) -> int:
    return (int(ukop) + 500_000) // 1_000_000


async def raw_month(tracker_id: int, label: str, now, tz: str) -> dict:
    start, end = month_bounds(label, tz)
    spans = ("SELECT COUNT(*) FROM (SELECT user_id, MIN(starts_at) AS first, MAX(ends_at) AS last"
             " FROM subscriptions WHERE tracker_id = ? AND status = 'active' GROUP BY user_id) s")
    cap = max(start, min(end, now))
    return {
        "new": await one(spans + " WHERE first >= ? AND first < ?", tracker_id, iso(start), iso(end)),
        "churned": await one(spans + " WHERE last >= ? AND last < ?", tracker_id, iso(start), iso(cap)),
        "revenue": await one("SELECT SUM(revenue_kopecks) FROM accounting_periods WHERE tracker_id = ?"
                             " AND status <> 'cancelled' AND starts_at >= ? AND starts_at < ?",
                             tracker_id, iso(start), iso(end)),
        "cost": kopecks(await one("SELECT SUM(cost_ukop) FROM usage_records WHERE tracker_id = ?"
                                  " AND charged_to = 'subscription' AND created_at >= ? AND created_at < ?",
                                  tracker_id, iso(start), iso(end))),
    }


async def raw_figures(tracker, now, tz: str = MSK) -> dict:
    """Every figure of the dashboard from the raw tables alone, its months in `tz`."""
    label = current_month(now, tz)
    start, end = month_bounds(label, tz)
    conn = connections.get("default")
    per_client = await rows(conn, (
        "SELECT user_id, SUM(cost_ukop) FROM usage_records WHERE tracker_id = ? AND charged_to = 'subscription'"
        " AND created_at >= ? AND created_at < ? GROUP BY user_id"), [tracker.id, iso(start), iso(end)])
    costs = sorted(kopecks(c) for _, c in per_client)

    def rank(percent):
        return costs[max(1, -(-percent * len(costs) // 100)) - 1] if costs else 0

    forecast = sum((await ledger.forecast(tracker.author_id)).values())  # the author has this one tracker
    return {
        "active": await one("SELECT COUNT(DISTINCT user_id) FROM subscriptions WHERE tracker_id = ?"
                            " AND status = 'active' AND starts_at <= ? AND ends_at > ?",
                            tracker.id, iso(now), iso(now)),
        "this": await raw_month(tracker.id, label, now, tz),
        "last": await raw_month(tracker.id, shift_month(label, -1), now, tz),
        "clients": len(costs), "median": rank(50), "p90": rank(90),
        "top": [(int(u), kopecks(c)) for u, c in sorted(per_client, key=lambda r: (-int(r[1]), int(r[0])))[:3]],
        "settled": await one("SELECT SUM(e.amount_kopecks) FROM ledger_entries e JOIN accounts a ON a.id = e.account_id"
                             " WHERE a.user_id = ? AND e.tracker_id = ? AND e.kind = 'accrual'",
                             tracker.author_id, tracker.id),
        "forecast": forecast,
    }


async def shown_figures(tracker, now, tz: str) -> dict:
    dash = await author_dashboard(tracker, now, tz)

    def month(m):
        return {"new": m.new, "churned": m.churned, "revenue": m.revenue_kopecks, "cost": m.token_cost_kopecks}

    return {
        "active": dash.active, "this": month(dash.this), "last": month(dash.last),
        "clients": dash.clients_with_cost, "median": dash.median_cost_kopecks, "p90": dash.p90_cost_kopecks,
        "top": [(uid, cost) for uid, _, cost in dash.top], "settled": dash.settled_kopecks,
        "forecast": dash.forecast_kopecks,
    }


async def kept_totals(tracker_id: int) -> dict:
    conn = connections.get("default")
    return {
        "hours": sorted(tuple(r) for r in await rows(conn, (
            "SELECT hour, started, ended, firsts, lasts, revenue_kopecks, cost_ukop FROM dashboard_hours"
            " WHERE tracker_id = ? AND (started <> 0 OR ended <> 0 OR firsts <> 0 OR lasts <> 0"
            " OR revenue_kopecks <> 0 OR cost_ukop <> 0)"), [tracker_id])),
        "clients": sorted(tuple(r) for r in await rows(conn, (
            "SELECT month, user_id, cost_ukop FROM dashboard_client_months WHERE tracker_id = ?"), [tracker_id])),
        "periods": sorted(tuple(r) for r in await rows(conn, (
            "SELECT period_id, revenue_kopecks, cost_ukop, levels FROM dashboard_periods WHERE tracker_id = ?"),
            [tracker_id])),
        "open": [tuple(r) for r in await rows(conn, (
            "SELECT open_all_ukop, open_l1_ukop, open_l2_ukop, open_l3_ukop FROM dashboard_states"
            " WHERE tracker_id = ?"), [tracker_id])],
    }


async def fresh_world():
    conn = connections.get("default")
    for table in DASHBOARD_TABLES:
        await conn.execute_script(f"DELETE FROM {table}")
    await wipe()
    await add_rate(at(2024, 1, 1), "1.5")
    await set_model_price(MODEL, "1", "2")
    tracker = await make_tracker(author_id=1)
    other = await make_tracker(author_id=2, bot_id=101)  # another author's: never counted on this one
    await join(tracker, 5, inviter=1)  # the author holds level 1
    await join(tracker, 6, inviter=5)  # level 2
    await join(tracker, 7)
    await join(tracker, 8, inviter=6)  # level 3
    await join(other, 5)
    return tracker, other


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.sampled_from(USERS), st.sampled_from(sorted(PRICES)), st.booleans()),
        st.tuples(st.just("refund"), st.integers(0, 20), st.one_of(st.none(), st.integers(1, 40_000)), st.booleans()),
        st.tuples(st.just("use"), st.sampled_from(USERS), st.integers(1, 40_000),
                  st.sampled_from(["subscription", "subscription", "author", "platform"])),
        st.tuples(st.just("wait"), st.integers(0, 20 * 24), st.integers(0, 59), st.just(None)),
        st.tuples(st.just("settle"), st.just(None), st.just(None), st.just(None)),
    ),
    min_size=1, max_size=18,
)


async def play(tracker, other, ops, tz: str = MSK, start=T0) -> object:
    """Run the history from `start`, the totals cut in `tz`; returns the clock at its end."""
    clock = start
    await author_dashboard(tracker, clock, tz)  # the totals exist from the start: every step below keeps them
    n = 0
    for op, a, b, c in ops:
        if op == "pay":
            n += 1
            for _ in range(2 if c else 1):  # a payment notification delivered twice
                await record_payment(tracker_id=tracker.id, user_id=a, provider=PaymentProvider.YOOKASSA,
                                     external_id=f"c-{n}", plan_kind=b, price_kopecks=PRICES[b], currency="RUB",
                                     amount_minor=PRICES[b], paid_at=clock, tz=MSK)
            if a == 5 and n % 3 == 0:
                await record_payment(tracker_id=other.id, user_id=5, provider=PaymentProvider.YOOKASSA,
                                     external_id=f"o-{n}", plan_kind="month", price_kopecks=50_000, currency="RUB",
                                     amount_minor=50_000, paid_at=clock, tz=MSK)
        elif op == "refund":
            subs = await Subscription.filter(tracker_id=tracker.id).order_by("id")
            if subs:
                sub = subs[a % len(subs)]
                for _ in range(2 if c else 1):  # a retried refund: the same key
                    await refund_subscription(sub.id, b, key=f"r-{a}-{b}")
        elif op == "use":
            await record_usage(tracker.id, a, MODEL, b, b // 3, at=clock, charged_to=c)
            if c == "subscription":
                await record_usage(other.id, a, MODEL, b, 0, at=clock, charged_to=c)
        elif op == "wait":
            clock += timedelta(hours=a, minutes=b)
        else:
            for _ in range(2):  # a settlement run twice settles once
                await settle_due_periods(clock)
    return clock


async def check(tracker, clock, tz: str = MSK) -> None:
    for now in (clock, clock + timedelta(minutes=37), clock + timedelta(days=33, minutes=5)):
        assert await shown_figures(tracker, now, tz) == await raw_figures(tracker, now, tz), f"at {now}"
    kept = await kept_totals(tracker.id)
    await connections.get("default").execute_query("DELETE FROM dashboard_states")  # rebuild from the raw rows
    await author_dashboard(tracker, clock, tz)
    assert await kept_totals(tracker.id) == kept


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS, tz=st.sampled_from([MSK, MSK, KOLKATA]))
async def test_any_history_keeps_every_figure_equal_to_the_raw_aggregates(database, ops, tz):
    tracker, other = await fresh_world()
    clock = await play(tracker, other, ops, tz)
    await check(tracker, clock, tz)


async def test_a_known_history_of_every_kind(database):
    """One history that surely has each step: renewals queued, a partial and a full refund (each
    retried), usage in two months, a settlement run twice."""
    tracker, other = await fresh_world()
    ops = [
        ("pay", 5, "quarter", True), ("pay", 6, "month", False), ("use", 5, 9000, "subscription"),
        ("use", 6, 3000, "subscription"), ("use", 7, 500, "author"), ("wait", 30, 10, None),
        ("pay", 6, "month", True), ("pay", 7, "day", False), ("use", 6, 20_000, "subscription"),
        ("use", 5, 40_000, "subscription"), ("refund", 1, 10_000, True), ("wait", 24 * 40, 0, None),
        ("settle", None, None, None), ("pay", 8, "month", False), ("use", 8, 700, "subscription"),
        ("refund", 0, None, True), ("wait", 3, 50, None),
    ]
    clock = await play(tracker, other, ops)
    figures = await raw_figures(tracker, clock)
    assert figures["settled"] > 0 and figures["forecast"] > 0 and figures["this"]["new"] == 1
    await check(tracker, clock)
    await check(tracker, clock, KOLKATA)  # asked in another zone: rebuilt in it, and exact there too



async def test_a_zone_whose_hours_start_at_half_past_counts_each_step_in_its_own_month(database):
    """In Kolkata February starts at 18:30 UTC on Jan 31: a payment and an answer at 18:45 UTC are
    February's, one at 18:10 January's, though both fall in the same UTC hour."""
    tracker, other = await fresh_world()
    ops = [("pay", 5, "month", False), ("use", 5, 3000, "subscription"), ("wait", 0, 35, None),
           ("pay", 6, "day", False), ("use", 6, 9000, "subscription"), ("wait", 0, 10, None)]
    clock = await play(tracker, other, ops, KOLKATA, start=at(2025, 1, 31, 18, 10))
    shown = await shown_figures(tracker, clock, KOLKATA)
    assert (shown["this"]["new"], shown["last"]["new"], shown["clients"]) == (1, 1, 1)
    await check(tracker, clock, KOLKATA)
