"""The author's dashboard (billing.dashboard) on a tracker with many subscribers, on SQLite.

    .venv/bin/python benchmarks/dashboard.py [--subscribers 100000] [--runs 21]

Builds a temporary SQLite file (the schema as `gptitor migrate` builds it, rows bulk-inserted with raw
sqlite3): one tracker, N subscribers with one month subscription each started within the last
70 days (one accounting period each, open or settled), two answers metered per subscription, the
author's accrual for each settled period in the ledger.

Prints, in one run:
- the raw aggregates the dashboard used to run on every view (once each, sqlite3): the "before";
- building the running totals from those rows (what the first view of a tracker from before
  migration 0012 costs, once);
- each query of the dashboard's read model, median and max of `--runs` through tortoise as the
  dialog calls it, beside the floor measured the same way in the same run: `SELECT 1` and a
  primary-key read (what no query through this stack can beat);
- `author_dashboard` whole, and a metered answer with its totals beside a bare usage INSERT.
The issue's target: every query under 10 ms at 100,000 subscribers.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from billing import dashboard  # noqa: E402
from billing.rates import meter_call  # noqa: E402
from billing.reports import month_bounds  # noqa: E402
from bot import db  # noqa: E402
from models import Tracker  # noqa: E402
from models.sql import default_connection  # noqa: E402

NOW = datetime(2025, 3, 20, 12, 17, tzinfo=UTC)
TZ = "Europe/Moscow"
MARCH = ("2025-02-28 21:00:00+00:00", "2025-03-31 21:00:00+00:00")

# What the dashboard summed on every view before the running totals (the figures of the "before").
RAW = {
    "active": ("SELECT COUNT(DISTINCT user_id) FROM subscriptions WHERE tracker_id = 1 AND status = 'active'"
               " AND starts_at <= :now AND ends_at > :now"),
    "new and churned": ("SELECT SUM(first >= :start AND first < :end), SUM(last >= :start AND last < :now)"
                        " FROM (SELECT MIN(starts_at) AS first, MAX(ends_at) AS last FROM subscriptions"
                        " WHERE tracker_id = 1 AND status = 'active' GROUP BY user_id)"),
    "revenue": ("SELECT SUM(revenue_kopecks) FROM accounting_periods WHERE tracker_id = 1 AND status <> 'cancelled'"
                " AND starts_at >= :start AND starts_at < :end"),
    "token cost per client": ("SELECT user_id, SUM(cost_ukop) FROM usage_records WHERE tracker_id = 1"
                              " AND charged_to = 'subscription' AND created_at >= :start AND created_at < :end"
                              " GROUP BY user_id"),
    "forecast": ("SELECT SUM(MAX(0, p.revenue_kopecks * 1000000 - COALESCE((SELECT SUM(u.cost_ukop)"
                 " FROM usage_records u WHERE u.tracker_id = 1 AND u.user_id = p.user_id"
                 " AND u.created_at >= p.starts_at AND u.created_at < p.ends_at"
                 " AND u.charged_to = 'subscription'), 0))) FROM accounting_periods p"
                 " WHERE p.tracker_id = 1 AND p.status = 'open'"),
}


def stamp(dt: datetime) -> str:
    return dt.isoformat(" ")


def build(path: Path, n: int) -> int:
    c = sqlite3.connect(path)
    c.executemany("INSERT INTO users (id, first_name, created_at) VALUES (?, ?, ?)",
                  [(u, f"u{u}", stamp(NOW)) for u in range(1, n + 2)])
    c.execute("INSERT INTO trackers (id, bot_id, username, name, description, author_id, token_encrypted, status,"
              " system_prompt, free_messages, registered, created_at, updated_at)"
              " VALUES (1, 1, 't', 'T', '', 1, '-', 'active', '', 0, '', ?, ?)", (stamp(NOW), stamp(NOW)))
    c.execute("INSERT INTO mj_rates (valid_from, rub_per_mj, created_at) VALUES (?, '1.5', ?)",
              (stamp(NOW - timedelta(days=400)), stamp(NOW)))
    c.execute("INSERT INTO model_prices (model, mj_per_1k_input, mj_per_1k_output, active, updated_at)"
              " VALUES ('m', '1', '2', 1, ?)", (stamp(NOW),))
    rnd = random.Random(1)
    subs, periods, usage = [], [], []
    for i, user in enumerate(range(2, n + 2), start=1):
        start = NOW - timedelta(days=rnd.randint(0, 70), minutes=rnd.randint(0, 1439))
        end = start + timedelta(days=30)
        subs.append((i, 1, user, "month", 200_000, stamp(start), stamp(end), "active", 0, stamp(start)))
        periods.append((i, i, 1, user, 1, stamp(start), stamp(end), 200_000, "open" if end > NOW else "settled"))
        for _ in range(2):
            moment = start + timedelta(days=rnd.randint(0, 29), minutes=rnd.randint(0, 1439))
            if moment < NOW:
                usage.append((1, user, i, "subscription", "m", 1000, 500, 2_000_000, rnd.randint(1, 10**9),
                              stamp(moment)))
    c.executemany("INSERT INTO subscriptions (id, tracker_id, user_id, plan_kind, price_kopecks, starts_at, ends_at,"
                  " status, auto_renew, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)", subs)
    c.executemany("INSERT INTO accounting_periods (id, subscription_id, tracker_id, user_id, seq, starts_at, ends_at,"
                  " revenue_kopecks, status) VALUES (?,?,?,?,?,?,?,?,?)", periods)
    c.executemany("INSERT INTO usage_records (tracker_id, user_id, subscription_id, charged_to, model, input_tokens,"
                  " output_tokens, mj_micro, cost_ukop, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)", usage)
    # The author's 20% of each settled period, as settlement accrues it: what "settled" sums.
    c.execute("INSERT INTO accounts (id, key, kind, user_id, created_at) VALUES (1, 'user:1', 'user', 1, ?)",
              (stamp(NOW),))
    c.executemany("INSERT INTO ledger_entries (account_id, kind, role, amount_kopecks, source_type, source_id,"
                  " tracker_id, created_at) VALUES (1, 'accrual', 'author', 40000, 'period', ?, 1, ?)",
                  [(p[0], p[6]) for p in periods if p[8] == "settled"])
    c.commit()
    c.execute("ANALYZE")
    c.close()
    return len(usage)


def raw_aggregates(path: Path) -> list[tuple[str, float]]:
    params = {"now": stamp(NOW), "start": MARCH[0], "end": MARCH[1]}
    c = sqlite3.connect(path)
    out = []
    for name, query in RAW.items():
        started = time.perf_counter()
        c.execute(query, params).fetchall()
        out.append((name, (time.perf_counter() - started) * 1000))
    c.close()
    return out


async def timed(fn: Callable[[], Awaitable[object]], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


def read_model(tracker: Tracker, clients: int) -> dict[str, Callable[[], Awaitable[object]]]:
    conn = default_connection()
    zone = ZoneInfo(TZ)
    start, end = month_bounds("2025-03", TZ)
    return {
        "active subscribers": lambda: dashboard._active(conn, 1, NOW, zone),
        "month: new, revenue, token cost, churned": lambda: dashboard._month(conn, 1, "2025-03", TZ, NOW),
        "last month": lambda: dashboard._month(conn, 1, "2025-02", TZ, NOW),
        "churned alone (this month)": lambda: dashboard._churned(conn, 1, start, end, NOW, zone),
        "per client: count, median, p90, top 3 (the four below)": lambda: dashboard._per_client(conn, 1, "2025-03"),
        "  clients with a cost (count)": lambda: conn.execute_query(dashboard._CLIENTS, [1, "2025-03"]),
        "  median (the walk to half the clients)": lambda: conn.execute_query(
            dashboard._AT_RANK.format(order="ASC"), [1, "2025-03", clients // 2]),
        "  p90 (from the dear end)": lambda: conn.execute_query(
            dashboard._AT_RANK.format(order="DESC"), [1, "2025-03", clients // 10]),
        "  top 3": lambda: conn.execute_query(dashboard._TOP, [1, "2025-03", 3]),
        "forecast": lambda: dashboard._forecast(conn, tracker, None),
        "settled (the cabinet's folded totals)": lambda: dashboard._settled(tracker),
        "test chat's estimate": lambda: dashboard._estimate(conn, 1, NOW),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dashboard.sqlite3"
        await db.migrate(f"sqlite://{path}")
        await db.close()
        started = time.perf_counter()
        rows = build(path, args.subscribers)
        print(f"{args.subscribers:,} subscribers, {rows:,} usage rows built in {time.perf_counter() - started:.1f} s")
        print("before: the raw aggregates each view ran (sqlite3, once each)")
        for name, ms in raw_aggregates(path):
            print(f"  {name}: {ms:.1f} ms")
        await db.init(f"sqlite://{path}", run_migrations=False)
        try:
            tracker = await Tracker.get(id=1)
            started = time.perf_counter()
            await dashboard.author_dashboard(tracker, NOW, TZ)  # builds the totals from the rows above
            print(f"running totals built from the raw rows (first view only): {time.perf_counter() - started:.1f} s")
            conn = default_connection()
            floor = {
                "SELECT 1": lambda: conn.execute_query("SELECT 1"),
                "primary-key read": lambda: conn.execute_query("SELECT id, name FROM trackers WHERE id = ?", [1]),
            }
            print(f"after: each query of the read model, median / max of {args.runs} (tortoise, aiosqlite)")
            _, [(clients,)] = await conn.execute_query(dashboard._CLIENTS, [1, "2025-03"])
            for name, fn in {**floor, **read_model(tracker, clients)}.items():
                median, worst = await timed(fn, args.runs)
                label = f"floor: {name}" if name in floor else name
                print(f"  {label}: {median:.2f} ms / {worst:.2f} ms")
            median, worst = await timed(lambda: dashboard.author_dashboard(tracker, NOW, TZ), args.runs)
            print(f"author_dashboard whole (every figure, both months): median {median:.1f} ms, max {worst:.1f} ms")
            median, worst = await timed(lambda: dashboard.recent_months(tracker, NOW, TZ, 12), args.runs)
            print(f"recent_months(12), the Mini App's year: median {median:.1f} ms, max {worst:.1f} ms")
            moment = iter(NOW + timedelta(seconds=s) for s in range(10**6))
            users = iter(range(2, args.subscribers + 2))
            metered, _ = await timed(lambda: meter_call(1, next(users), "m", 1000, 500, at=next(moment)), args.runs)
            bare, _ = await timed(lambda: meter_call(1, next(users), "m", 1000, 500, at=next(moment),
                                                     charged_to="platform"), args.runs)
            print(f"a metered answer: {metered:.2f} ms with the dashboard's totals, {bare:.2f} ms without"
                  " (charged to the platform: the bare INSERT)")
        finally:
            await db.close()


if __name__ == "__main__":
    asyncio.run(main())
