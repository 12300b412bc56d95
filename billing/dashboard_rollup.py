"""The author dashboard's running totals (models.dashboard), kept where the money and usage are written.

Every figure of billing.dashboard is a sum over a tracker's subscriptions, periods and usage;
summed when asked, it cost ~2 s at 100,000 subscribers (benchmarks/README.md, "dashboard").
These totals are updated inside the transactions that change those rows, so a read is a few
index ranges:

- a subscription paid (billing.subscriptions) or refunded, shortened, ended (billing.refunds):
  the subscriber's whole contribution is computed before and after the change from their own
  rows (a few: one index range) and the difference is applied. The before/after form is what
  makes a retried step harmless: a step that changes nothing (a payment recorded twice returns
  the first subscription; a refund key seen before returns early) applies a difference of zero;
- an answer metered to a subscription (billing.rates.meter_call): its hour's cost, the client's
  month, and the open period it falls in (its margin estimate for the forecast);
- a period settled (billing.settlement): it leaves the forecast, in the batch's transaction.

Hours are local hours of the zone the tracker's totals were cut in (`DashboardState.timezone`),
so a calendar month is a whole number of them; totals asked for in another zone are rebuilt
from the raw rows (`ensure_built`), as they are when missing (a tracker from before migration
0012, or rows bulk-loaded by `gptitor simulate` or a benchmark). A zone whose offset changes by
part of an hour (Australia/Lord_Howe alone) would cut an hour in two: every other zone is exact.

"Active" counts subscriptions in force; it equals the raw figure's distinct subscribers because a
subscriber's subscriptions never overlap (a renewal starts when the paid time ends,
billing.subscriptions.current_end, and a refund only shortens or ends one).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models.enums import PeriodStatus, SubscriptionStatus
from models.sql import Step, default_connection, id_chunks, is_postgres, parse_ts, rows, sql, ts, utc, write_first

MICRO = 1_000_000
CHARGED_TO_SUBSCRIPTION = "subscription"  # billing.rates's name for it (rates imports this module)
# dashboard_hours' counters, in this order in every row written
COLUMNS = ("started", "ended", "firsts", "lasts", "revenue_kopecks", "cost_ukop")
STARTED, ENDED, FIRSTS, LASTS, REVENUE, COST = range(len(COLUMNS))

_UPSERT_HOUR = (
    "INSERT INTO dashboard_hours (tracker_id, hour, " + ", ".join(COLUMNS) + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (tracker_id, hour) DO UPDATE SET "
    + ", ".join(f"{c} = dashboard_hours.{c} + excluded.{c}" for c in COLUMNS)
)
_UPSERT_CLIENT = (
    "INSERT INTO dashboard_client_months (tracker_id, month, user_id, cost_ukop) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (tracker_id, month, user_id) DO UPDATE SET "
    "cost_ukop = dashboard_client_months.cost_ukop + excluded.cost_ukop"
)
_MOVE_OPEN = (
    "UPDATE dashboard_states SET open_all_ukop = open_all_ukop + ?, open_l1_ukop = open_l1_ukop + ?, "
    "open_l2_ukop = open_l2_ukop + ?, open_l3_ukop = open_l3_ukop + ? WHERE tracker_id = ?"
)
_INSERT_PERIOD = (
    "INSERT INTO dashboard_periods (period_id, tracker_id, revenue_kopecks, cost_ukop, levels) VALUES (?, ?, ?, ?, ?)"
)
_WINDOW_COST = (
    "SELECT COALESCE(SUM(cost_ukop), 0) FROM usage_records WHERE tracker_id = ? AND user_id = ?"
    " AND created_at >= ? AND created_at < ? AND charged_to = ?"
)


@dataclass(frozen=True, slots=True)
class State:
    tracker_id: int
    zone: ZoneInfo
    author_id: int


def hour_of(moment: datetime, zone: ZoneInfo) -> datetime:
    """The start (in UTC) of the local hour `moment` falls in."""
    local = moment.astimezone(zone)
    return utc(moment) - timedelta(minutes=local.minute, seconds=local.second, microseconds=local.microsecond)


def month_of(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m")


def estimate(revenue_kopecks: int, cost_ukop: int) -> int:
    """An open period's margin so far in millionths of a kopeck, never below zero (as
    billing.ledger.forecast estimates it)."""
    return max(0, int(revenue_kopecks) * MICRO - int(cost_ukop))


def levels_of(author_id: int, l1: Any, l2: Any, l3: Any) -> int:
    return sum(bit for bit, holder in ((1, l1), (2, l2), (4, l3)) if holder is not None and int(holder) == author_id)


def open_sums(periods: Iterable[tuple[int, int, int]]) -> list[int]:
    """[all, level 1, level 2, level 3] estimates of (revenue, cost, levels) periods."""
    sums = [0, 0, 0, 0]
    for revenue, cost, levels in periods:
        est = estimate(revenue, cost)
        sums[0] += est
        for i, bit in enumerate((1, 2, 4), start=1):
            if levels & bit:
                sums[i] += est
    return sums


Hours = dict[datetime, list[int]]


def _add(hours: Hours, hour: datetime, column: int, amount: int) -> None:
    row = hours.get(hour)
    if row is None:
        row = hours[hour] = [0] * len(COLUMNS)
    row[column] += amount


@dataclass
class Subscriber:
    """One subscriber's part of their tracker's totals."""

    hours: Hours = field(default_factory=dict)
    open: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # period id -> (revenue, cost, levels)


def subscriber_hours(spans: list[tuple[datetime, datetime]], revenues: list[tuple[datetime, int]],
                     zone: ZoneInfo, into: Hours | None = None) -> Hours:
    """The hour counters of one subscriber's active subscriptions (start, end) and the revenue of
    their periods not cancelled (start, kopecks)."""
    hours: Hours = {} if into is None else into
    for start, end in spans:
        _add(hours, hour_of(start, zone), STARTED, 1)
        _add(hours, hour_of(end, zone), ENDED, 1)
    if spans:
        _add(hours, hour_of(min(s for s, _ in spans), zone), FIRSTS, 1)
        _add(hours, hour_of(max(e for _, e in spans), zone), LASTS, 1)
    for start, revenue in revenues:
        _add(hours, hour_of(start, zone), REVENUE, revenue)
    return hours


async def state_of(conn: BaseDBAsyncClient, tracker_id: int) -> State | None:
    found = await rows(conn, "SELECT timezone, author_id FROM dashboard_states WHERE tracker_id = ?", [tracker_id])
    if not found:
        return None
    return State(tracker_id, ZoneInfo(str(found[0][0])), int(found[0][1]))


async def _write_hours(conn: BaseDBAsyncClient, tracker_id: int, hours: Hours) -> None:
    # In time order: two writers of one tracker lock its hour rows in the same order (PostgreSQL)
    changed = [[tracker_id, ts(conn, hour), *row] for hour, row in sorted(hours.items()) if any(row)]
    if changed:
        await conn.execute_many(sql(conn, _UPSERT_HOUR), changed)


async def _move_open(conn: BaseDBAsyncClient, tracker_id: int, delta: list[int]) -> None:
    if any(delta):
        await conn.execute_query(sql(conn, _MOVE_OPEN), [*delta, tracker_id])


# --------------------------------------------------------------------------- subscriptions, refunds


@dataclass
class Snapshot:
    state: State
    user_id: int
    before: Subscriber


async def _subscriber(conn: BaseDBAsyncClient, state: State, user_id: int, *, without_subscription: int | None,
                      stored_open: bool) -> Subscriber:
    """The subscriber's contribution as their rows stand (less one subscription's rows, to see
    the state before it was written). Open periods' costs: as counted in the totals
    (`stored_open`) or metered in their windows now."""
    tracker_id = state.tracker_id
    skip = -1 if without_subscription is None else without_subscription
    spans = [(parse_ts(s), parse_ts(e)) for s, e in await rows(
        conn, "SELECT starts_at, ends_at FROM subscriptions WHERE tracker_id = ? AND user_id = ? AND status = ?"
              " AND id <> ?", [tracker_id, user_id, SubscriptionStatus.ACTIVE.value, skip])]
    periods = await rows(
        conn, "SELECT id, starts_at, ends_at, revenue_kopecks, status, l1_id, l2_id, l3_id FROM accounting_periods"
              " WHERE tracker_id = ? AND user_id = ? AND status <> ? AND subscription_id <> ?",
        [tracker_id, user_id, PeriodStatus.CANCELLED.value, skip])
    out = Subscriber(subscriber_hours(spans, [(parse_ts(p[1]), int(p[3])) for p in periods], state.zone))
    open_periods = [p for p in periods if p[4] == PeriodStatus.OPEN.value]
    if stored_open and open_periods:
        ids = [int(p[0]) for p in open_periods]
        for pid, revenue, cost, levels in await rows(
                conn, f"SELECT period_id, revenue_kopecks, cost_ukop, levels FROM dashboard_periods"
                      f" WHERE period_id IN ({', '.join('?' * len(ids))})", ids):
            out.open[int(pid)] = (int(revenue), int(cost), int(levels))
    elif not stored_open:
        for pid, start, end, revenue, _, l1, l2, l3 in open_periods:
            [(cost,)] = await rows(conn, _WINDOW_COST, [tracker_id, user_id, start, end, CHARGED_TO_SUBSCRIPTION])
            out.open[int(pid)] = (int(revenue), int(cost), levels_of(state.author_id, l1, l2, l3))
    return out


async def snapshot(conn: BaseDBAsyncClient, tracker_id: int, user_id: int, *,
                   without_subscription: int | None = None) -> Snapshot | None:
    """The subscriber's contribution now, before a change (None: the tracker has no totals yet,
    they will be built from the raw rows when first asked for)."""
    state = await state_of(conn, tracker_id)
    if state is None:
        return None
    before = await _subscriber(conn, state, user_id, without_subscription=without_subscription, stored_open=True)
    return Snapshot(state, user_id, before)


async def apply_change(conn: BaseDBAsyncClient, snap: Snapshot | None) -> None:
    """After the change, in its transaction: the difference between the subscriber's contribution
    now and `snap`, into the totals."""
    if snap is None:
        return
    state = snap.state
    after = await _subscriber(conn, state, snap.user_id, without_subscription=None, stored_open=False)
    delta: Hours = {hour: list(row) for hour, row in after.hours.items()}
    for hour, row in snap.before.hours.items():
        for column, amount in enumerate(row):
            _add(delta, hour, column, -amount)
    await _write_hours(conn, state.tracker_id, delta)
    gone = sorted(set(snap.before.open) | set(after.open))
    if gone:
        marks = ", ".join("?" * len(gone))
        await conn.execute_query(sql(conn, f"DELETE FROM dashboard_periods WHERE period_id IN ({marks})"), gone)
    if after.open:
        await conn.execute_many(sql(conn, _INSERT_PERIOD),
                                [[pid, state.tracker_id, *values] for pid, values in after.open.items()])
    new, old = open_sums(after.open.values()), open_sums(snap.before.open.values())
    await _move_open(conn, state.tracker_id, [a - b for a, b in zip(new, old, strict=True)])


# --------------------------------------------------------------------------- metering, settlement


async def usage_metered(conn: BaseDBAsyncClient, tracker_id: int, user_id: int, at: datetime, cost_ukop: int) -> None:
    """An answer charged to a subscription, in the transaction that recorded it."""
    state = await state_of(conn, tracker_id)
    if state is None:
        return
    for query, params in usage_steps(conn, tracker_id, user_id, at, cost_ukop, state.zone.key):
        await conn.execute_query(sql(conn, query), list(params[0]))


# An answer's cost, as plain statements: the conversation writes them in the one job that records
# the answer (models.sql.write_together), with the zone read before the call. Each applies only
# while the totals exist (cut in that zone, for its hour and month); a rebuild reads the raw rows.
_IN_ZONE = "EXISTS (SELECT 1 FROM dashboard_states WHERE tracker_id = ? AND timezone = ?)"
_ANSWER_HOUR = (
    "INSERT INTO dashboard_hours (tracker_id, hour, started, ended, firsts, lasts, revenue_kopecks, cost_ukop) "
    "SELECT {int}, {time}, 0, 0, 0, 0, 0, {int} WHERE " + _IN_ZONE + " ON CONFLICT (tracker_id, hour) "
    "DO UPDATE SET cost_ukop = dashboard_hours.cost_ukop + excluded.cost_ukop"
)
_ANSWER_CLIENT = (
    "INSERT INTO dashboard_client_months (tracker_id, month, user_id, cost_ukop) "
    "SELECT {int}, {text}, {int}, {int} WHERE " + _IN_ZONE + " ON CONFLICT (tracker_id, month, user_id) "
    "DO UPDATE SET cost_ukop = dashboard_client_months.cost_ukop + excluded.cost_ukop"
)
# The client's open periods at that moment (one, as subscriptions never overlap).
_OPEN_NOW = (
    "SELECT p.id FROM accounting_periods p WHERE p.tracker_id = ? AND p.user_id = ? AND p.status = ?"
    " AND p.starts_at <= ? AND p.ends_at > ?"
)
# A period's margin estimate max(0, revenue - cost) falls by min(cost added, the estimate before):
# the forecasts move by that, read before the period's cost grows (the statement after this one).
_SHARE = (
    "COALESCE((SELECT SUM({least}({int}, {greatest}(0, d.revenue_kopecks * 1000000 - d.cost_ukop)))"
    " FROM dashboard_periods d WHERE d.period_id IN (" + _OPEN_NOW + "){bit}), 0)"
)
_ANSWER_OPEN = (
    "UPDATE dashboard_states SET open_all_ukop = open_all_ukop - {all}, open_l1_ukop = open_l1_ukop - {l1},"
    " open_l2_ukop = open_l2_ukop - {l2}, open_l3_ukop = open_l3_ukop - {l3} WHERE tracker_id = ?"
)
_ANSWER_PERIOD = "UPDATE dashboard_periods SET cost_ukop = cost_ukop + ? WHERE period_id IN (" + _OPEN_NOW + ")"


def usage_steps(conn: BaseDBAsyncClient, tracker_id: int, user_id: int, at: datetime, cost_ukop: int,
                zone: str) -> list[Step]:
    """The statements that count an answer's cost in the totals cut in `zone` (`usage_metered`'s
    work without a read): its hour, the client's month, its open period and the forecasts."""
    pg = is_postgres(conn)
    # PostgreSQL types a SELECT's parameters only with a cast; SQLite would turn the time to a number.
    kinds = {"int": "?::bigint", "time": "?::timestamptz", "text": "?::text"} if pg else \
        {"int": "?", "time": "?", "text": "?"}
    least, greatest = ("LEAST", "GREATEST") if pg else ("MIN", "MAX")
    local = ZoneInfo(zone)
    moment = ts(conn, at)
    window = [tracker_id, user_id, PeriodStatus.OPEN.value, moment, moment]
    shares = {name: _SHARE.format(least=least, greatest=greatest, bit=bit, **kinds)
              for name, bit in (("all", ""), ("l1", " AND (d.levels & 1) <> 0"), ("l2", " AND (d.levels & 2) <> 0"),
                                ("l3", " AND (d.levels & 4) <> 0"))}
    return [
        (_ANSWER_HOUR.format(**kinds),
         [[tracker_id, ts(conn, hour_of(at, local)), cost_ukop, tracker_id, zone]]),
        (_ANSWER_CLIENT.format(**kinds),
         [[tracker_id, month_of(at, local), user_id, cost_ukop, tracker_id, zone]]),
        (_ANSWER_OPEN.format(**shares), [[*([cost_ukop, *window] * 4), tracker_id]]),
        (_ANSWER_PERIOD, [[cost_ukop, *window]]),
    ]


async def periods_settled(conn: BaseDBAsyncClient, period_ids: list[int]) -> None:
    """Settled periods leave their trackers' forecasts, in the settlement batch's transaction."""
    by_tracker: dict[int, list[tuple[int, int, int]]] = {}
    for chunk, marks in id_chunks(period_ids):
        for tracker_id, revenue, cost, levels in await rows(
                conn, f"SELECT tracker_id, revenue_kopecks, cost_ukop, levels FROM dashboard_periods"
                      f" WHERE period_id IN ({marks})", chunk):
            by_tracker.setdefault(int(tracker_id), []).append((int(revenue), int(cost), int(levels)))
        await conn.execute_query(sql(conn, f"DELETE FROM dashboard_periods WHERE period_id IN ({marks})"), chunk)
    for tracker_id, periods in sorted(by_tracker.items()):  # one order for every settler: no deadlock
        await _move_open(conn, tracker_id, [-s for s in open_sums(periods)])


# --------------------------------------------------------------------------- building from the raw rows

_OPEN_PERIODS = """
SELECT p.id, p.revenue_kopecks, p.l1_id, p.l2_id, p.l3_id,
       COALESCE((SELECT SUM(u.cost_ukop) FROM usage_records u
                 WHERE u.tracker_id = p.tracker_id AND u.user_id = p.user_id
                   AND u.created_at >= p.starts_at AND u.created_at < p.ends_at AND u.charged_to = ?), 0)
FROM accounting_periods p WHERE p.tracker_id = ? AND p.status = ?
"""


async def ensure_built(tracker_id: int, author_id: int, tz: str) -> State:
    """The tracker's totals, cut in `tz`: built from the raw rows when missing, cut in another
    zone or kept for another author (whose levels the forecast sums). One transaction that holds
    the writers off (SQLite: the write lock; PostgreSQL: table locks that wait for the writers in
    flight), so no change slips between the raw read and the totals. On a big tracker that is
    seconds (benchmarks/README.md), once: after an upgrade or a change of the platform's zone."""
    state = await state_of(default_connection(), tracker_id)  # nearly always there: no transaction
    if state is not None and state.zone.key == tz and state.author_id == author_id:
        return state
    async with in_transaction() as conn:
        await write_first(conn, "dashboard_hours")
        if is_postgres(conn):
            # SHARE ROW EXCLUSIVE: waits for the writers in flight, holds new ones off, and two
            # builders take turns (plain SHARE would let both in, then deadlock on their writes)
            await conn.execute_query("LOCK TABLE subscriptions, accounting_periods, usage_records,"
                                     " dashboard_states IN SHARE ROW EXCLUSIVE MODE")
        state = await state_of(conn, tracker_id)
        if state is not None and state.zone.key == tz and state.author_id == author_id:
            return state
        return await _build(conn, State(tracker_id, ZoneInfo(tz), author_id))


async def _build(conn: BaseDBAsyncClient, state: State) -> State:
    tracker_id, zone = state.tracker_id, state.zone
    for table in ("dashboard_states", "dashboard_hours", "dashboard_client_months", "dashboard_periods"):
        await conn.execute_query(sql(conn, f"DELETE FROM {table} WHERE tracker_id = ?"), [tracker_id])
    hours: Hours = {}
    spans: dict[int, list[tuple[datetime, datetime]]] = {}
    for user_id, start, end in await rows(
            conn, "SELECT user_id, starts_at, ends_at FROM subscriptions WHERE tracker_id = ? AND status = ?",
            [tracker_id, SubscriptionStatus.ACTIVE.value]):
        spans.setdefault(int(user_id), []).append((parse_ts(start), parse_ts(end)))
    for user_spans in spans.values():
        subscriber_hours(user_spans, [], zone, into=hours)
    revenues = await rows(conn, "SELECT starts_at, revenue_kopecks FROM accounting_periods WHERE tracker_id = ?"
                                " AND status <> ?", [tracker_id, PeriodStatus.CANCELLED.value])
    subscriber_hours([], [(parse_ts(s), int(r)) for s, r in revenues], zone, into=hours)
    clients: dict[tuple[str, int], int] = {}
    for user_id, created_at, cost in await rows(
            conn, "SELECT user_id, created_at, cost_ukop FROM usage_records WHERE tracker_id = ? AND charged_to = ?",
            [tracker_id, CHARGED_TO_SUBSCRIPTION]):
        moment = parse_ts(created_at)
        _add(hours, hour_of(moment, zone), COST, int(cost))
        key = (month_of(moment, zone), int(user_id))
        clients[key] = clients.get(key, 0) + int(cost)
    await _write_hours(conn, tracker_id, hours)
    if clients:
        await conn.execute_many(sql(conn, _UPSERT_CLIENT),
                                [[tracker_id, month, uid, cost] for (month, uid), cost in clients.items()])
    periods = [(int(pid), int(revenue), int(cost), levels_of(state.author_id, l1, l2, l3))
               for pid, revenue, l1, l2, l3, cost in await rows(
                   conn, _OPEN_PERIODS, [CHARGED_TO_SUBSCRIPTION, tracker_id, PeriodStatus.OPEN.value])]
    if periods:
        await conn.execute_many(sql(conn, _INSERT_PERIOD),
                                [[pid, tracker_id, revenue, cost, levels] for pid, revenue, cost, levels in periods])
    sums = open_sums((revenue, cost, levels) for _, revenue, cost, levels in periods)
    await conn.execute_query(sql(conn, "INSERT INTO dashboard_states (tracker_id, timezone, author_id, open_all_ukop,"
                                       " open_l1_ukop, open_l2_ukop, open_l3_ukop, built_at)"
                                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
                             [tracker_id, zone.key, state.author_id, *sums, ts(conn, datetime.now(UTC))])
    return state
