"""The partner cabinet's earnings chart: the cost of drawing it against the cost of a kept one.

    .venv/bin/python benchmarks/chart.py [--entries 100000] [--runs 10]

Builds a temporary SQLite file with the schema `gptitor migrate` builds, one tracker, a partner whose account has
`--entries` accruals spread over the last 12 months (roles L1..L3, bulk-inserted with raw sqlite3:
setup speed only), and asks `services.charts.EarningsCharts` for the chart as the cabinet's button
does (cooldown off, so that every call is timed):

- render: a new picture each time (the cache emptied before each call): the month sums from the
  running totals, then matplotlib in the charts' own executor;
- cache hit: the same press again, nothing new on the ledger: one index-only MAX over the
  account's accruals, no sums and no drawing.

The first render also pays for importing matplotlib (about a second, once per process): shown apart.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import db  # noqa: E402
from services.charts import ChartText, EarningsCharts  # noqa: E402

TRACKER, AUTHOR, PARTNER = 1, 1, 2
TZ = "Europe/Moscow"
TEXT = ChartText(lang="ru", title="Vera: заработок по месяцам", currency="руб.",
                 roles=(("author", "Как автор"), ("l1", "Уровень 1"), ("l2", "Уровень 2"), ("l3", "Уровень 3")))


async def people() -> int:
    """The author, the partner, the tracker and the partner's account, through the models."""
    from billing.accounts import user_account_id
    from models import Tracker, User

    author = await User.create(id=AUTHOR, first_name="Anna")
    await User.create(id=PARTNER, first_name="Sasha")
    await Tracker.create(id=TRACKER, bot_id=100, username="vera_bot", name="Vera", author=author, token_encrypted="-")
    return await user_account_id(PARTNER)


def fill(path: str, account_id: int, entries: int) -> None:
    """The partner's accruals over the last 12 months, appended in one raw transaction."""
    now = datetime.now(UTC)
    rng = random.Random(17)
    con = sqlite3.connect(path)
    with con:
        con.executemany(
            "INSERT INTO ledger_entries (account_id, kind, role, amount_kopecks, source_type, source_id, tracker_id, "
            "created_at) VALUES (?, 'accrual', ?, ?, 'period', ?, ?, ?)",
            ((account_id, rng.choice(("l1", "l2", "l3")), rng.randrange(5_000, 60_000), n, TRACKER,
              (now - timedelta(days=rng.randrange(0, 360))).isoformat(sep=" ")) for n in range(entries)),
        )
    con.close()


def timed_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples):.1f} / {max(samples):.1f}"


async def measure(path: str, entries: int, runs: int) -> None:
    await db.init(f"sqlite://{path}")  # the schema first, as `gptitor run` builds it
    try:
        started = time.perf_counter()
        fill(path, await people(), entries)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"benchmarks/chart.py: {entries:,} accruals, {runs} runs, CPython {platform.python_version()}, "
              f"setup {time.perf_counter() - started:.1f} s, load average {load:.1f}\n")
        print("| press | ms | picture |\n|---|---:|---:|")
        charts = EarningsCharts(cooldown=0)
        started = time.perf_counter()
        first = await charts.chart(TRACKER, PARTNER, TEXT, tz=TZ)  # folds the ledger, imports matplotlib
        first_ms = (time.perf_counter() - started) * 1000
        assert first.png and not first.cached
        renders, hits, cpu = [], [], []
        for _ in range(runs):
            charts._kept.clear()
            cpu_before, started = time.process_time(), time.perf_counter()
            drawn = await charts.chart(TRACKER, PARTNER, TEXT, tz=TZ)
            renders.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_before) * 1000)
            assert drawn.png and not drawn.cached
        for _ in range(runs):
            started = time.perf_counter()
            kept = await charts.chart(TRACKER, PARTNER, TEXT, tz=TZ)
            hits.append((time.perf_counter() - started) * 1000)
            assert kept.cached and kept.png == drawn.png
        print(f"| first press (folds the ledger, imports matplotlib) | {first_ms:.0f} | — |")
        print(f"| render (median / max ms; CPU median {statistics.median(cpu):.0f} ms) | {timed_ms(renders)} | "
              f"{len(drawn.png) // 1024} KB |")
        print(f"| cache hit (median / max ms) | {timed_ms(hits)} | — |")
        print(f"\nrender / cache hit: {statistics.median(renders) / statistics.median(hits):.0f}x; "
              f"{charts.renders} pictures drawn for {2 * runs + 1} presses")
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "chart.sqlite3")
        asyncio.run(measure(path, args.entries, args.runs))


if __name__ == "__main__":
    main()
