"""Settlement throughput on SQLite, beside the raw floor measured in the same run.

    .venv/bin/python benchmarks/settlement.py              # 1,000,000 due periods
    .venv/bin/python benchmarks/settlement.py --periods 100000

1. Builds a temporary SQLite database as `gptitor migrate` builds one and fills it with raw sqlite3
   (setup is not measured): one tracker, partners in chains, subscribers on year plans paid long
   ago (12 monthly periods each, cut by the production `billing.periods`), every subscriber with a
   full L1/L2/L3 chain (so each period makes 5 ledger rows, the heaviest case) and
   `--usage-per-period` metered calls inside each period.
2. Settles everything with the production `billing.settlement.settle_due_periods` (measured).
3. The floor: the very ledger rows it wrote, inserted again with one raw sqlite3 `executemany`
   in one transaction into an empty copy of the ledger table (same columns, constraints and
   indexes, same PRAGMAs as production). Rows are read into memory first; only the insert is timed.
   It runs `--floor-runs` times (3), each into a new copy from an emptied WAL, and the median is
   the floor: on a small machine one run can take a third longer than the next.

Prints periods per second for both and the ratio (issue 20's goal: settlement within 1.0x of the
floor; reached so far: 1.4-1.9x, see benchmarks/README.md).
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tortoise import connections  # noqa: E402

from billing.periods import cut_periods  # noqa: E402
from billing.settlement import settle_due_periods  # noqa: E402
from bot import db  # noqa: E402

PRICE_YEAR = 2_400_000  # kopecks: 24,000 RUB a year, 200,000 a month
PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=10000")


def stamp(dt: datetime) -> str:
    # exactly how tortoise stores a UTC datetime in SQLite (see models/sql.py)
    return dt.astimezone(UTC).isoformat(" ")


def populate(path: Path, periods: int, partners: int, usage_per_period: int, seed: int) -> datetime:
    """Fill the database; returns a `now` after every period's end."""
    rng = random.Random(seed)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")  # setup only
    con.execute("BEGIN")
    created = stamp(datetime(2020, 1, 1, tzinfo=UTC))
    subscribers = -(-periods // 12)
    first_sub_user = 10_000_000
    users = [(1, "author")] + [(1 + k, f"p{k}") for k in range(1, partners + 1)]
    users += [(first_sub_user + n, "s") for n in range(subscribers)]
    con.executemany(
        "INSERT INTO users (id, first_name, created_at) VALUES (?, ?, ?)", [(u, n, created) for u, n in users]
    )
    con.execute(
        "INSERT INTO trackers (id, bot_id, username, name, description, author_id, token_encrypted, status, "
        "system_prompt, free_messages, registered, created_at, updated_at) "
        "VALUES (1, 1, 'bench_bot', 'Bench', '', 1, '-', 'active', '', 0, '', ?, ?)",
        (created, created),
    )
    # Partner chains: p1 by the author, p2 by p1, every later partner by some partner >= p2, so
    # every partner from p3 on has an L1 and an L2 and their invitees a full chain.
    chain: dict[int, tuple[int | None, int | None, int | None]] = {1: (None, None, None)}
    members = []
    for k in range(1, partners + 1):
        uid = 1 + k
        inviter = 1 if k == 1 else (2 if k == 2 else rng.randint(3, uid - 1))
        above = chain[inviter]
        chain[uid] = (inviter, above[0], above[1])
        members.append((uid, *chain[uid], 1))
    deep = [uid for uid in chain if uid >= 4] or [1]
    for n in range(subscribers):
        inviter = rng.choice(deep)
        above = chain[inviter]
        members.append((first_sub_user + n, inviter, above[0], above[1], 0))
    con.executemany(
        "INSERT INTO memberships (tracker_id, user_id, l1_id, l2_id, l3_id, is_partner, messages_used, created_at) "
        "VALUES (1, ?, ?, ?, ?, ?, 0, ?)",
        [(*m, created) for m in members],
    )
    # Each period carries its subscriber's chain, as a payment writes it (settlement reads it there).
    chain_of = {m[0]: m[1:4] for m in members}
    subs, rows, usage = [], [], []
    base = datetime(2023, 1, 1, tzinfo=UTC)
    pid = 0
    latest_end = base
    for n in range(subscribers):
        user = first_sub_user + n
        paid = base + timedelta(seconds=rng.randrange(365 * 86400))
        spans = cut_periods("year", PRICE_YEAR, paid, "Europe/Moscow")[: periods - pid]
        sid = n + 1
        subs.append((sid, user, PRICE_YEAR, stamp(spans[0].starts_at), stamp(spans[-1].ends_at), stamp(paid)))
        for span in spans:
            pid += 1
            rows.append(
                (
                    pid,
                    sid,
                    user,
                    span.seq,
                    stamp(span.starts_at),
                    stamp(span.ends_at),
                    span.revenue_kopecks,
                    *chain_of[user],
                )
            )
            for _ in range(usage_per_period):
                when = span.starts_at + (span.ends_at - span.starts_at) * rng.random()
                usage.append((user, sid, rng.randrange(8 * 10**10), stamp(when)))
            latest_end = max(latest_end, span.ends_at)
    con.executemany(
        "INSERT INTO subscriptions (id, tracker_id, user_id, plan_kind, price_kopecks, starts_at, ends_at, status, "
        "auto_renew, created_at) "
        "VALUES (?, 1, ?, 'year', ?, ?, ?, 'active', 0, ?)",
        subs,
    )
    con.executemany(
        "INSERT INTO accounting_periods (id, subscription_id, tracker_id, user_id, seq, starts_at, ends_at, "
        "revenue_kopecks, status, l1_id, l2_id, l3_id) "
        "VALUES (?, ?, 1, ?, ?, ?, ?, ?, 'open', ?, ?, ?)",
        rows,
    )
    con.executemany(
        "INSERT INTO usage_records (tracker_id, user_id, subscription_id, charged_to, model, input_tokens, "
        "output_tokens, mj_micro, cost_ukop, created_at) "
        "VALUES (1, ?, ?, 'subscription', 'bench', 1000, 1000, 0, ?, ?)",
        usage,
    )
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()
    return latest_end + timedelta(seconds=1)


def raw_floor(path: Path, cache_mb: int | None, runs: int) -> tuple[list[float], int]:
    """Insert the settled ledger rows again with one raw executemany, `runs` times, each into a new
    empty copy of the table; returns (the seconds of each run, rows). The floor's own time varies
    by a third from run to run on a small machine (the disk under the WAL): several runs, the median."""
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        con.execute(f"PRAGMA {pragma}")
    if cache_mb:
        con.execute(f"PRAGMA cache_size=-{cache_mb * 1024}")
    ddl = con.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'ledger_entries'").fetchone()[0]
    indexes = [index_sql for (index_sql,) in con.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ledger_entries' AND sql IS NOT NULL"
    ).fetchall()]
    columns = "account_id, kind, role, amount_kopecks, source_type, source_id, tracker_id, created_at"
    rows = con.execute(f"SELECT {columns} FROM ledger_entries ORDER BY id").fetchall()
    seconds = []
    for _ in range(runs):
        con.execute(ddl.replace('"ledger_entries"', '"ledger_floor"', 1).replace("IF NOT EXISTS ", ""))
        for index_sql in indexes:
            con.execute(index_sql.replace('"ledger_entries"', '"ledger_floor"').replace('INDEX "', 'INDEX "floor_', 1))
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # each run starts from the same WAL
        started = time.perf_counter()
        con.execute("BEGIN")
        con.executemany(f"INSERT INTO ledger_floor ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute("COMMIT")
        seconds.append(time.perf_counter() - started)
        con.execute("DROP TABLE ledger_floor")
    con.close()
    return seconds, len(rows)


async def settle(path: Path, now: datetime, batch_size: int, cache_mb: int | None) -> tuple[float, object]:
    await db.init(f"sqlite://{path}", run_migrations=False)
    try:
        if cache_mb:  # what `"cache_size": -N` in bot.db's SQLite credentials would do
            await connections.get("default").execute_script(f"PRAGMA cache_size=-{cache_mb * 1024}")
        started = time.perf_counter()
        result = await settle_due_periods(now, batch_size=batch_size)
        seconds = time.perf_counter() - started
        conn = connections.get("default")
        _, check = await conn.execute_query(
            "SELECT (SELECT COUNT(*) FROM accounting_periods WHERE status = 'settled'), "
            "(SELECT COALESCE(SUM(margin_kopecks), 0) FROM accounting_periods), "
            "(SELECT COALESCE(SUM(amount_kopecks), 0) FROM ledger_entries)"
        )
        settled, margin, ledger = check[0]
        assert settled == result.periods and margin == ledger == result.margin_kopecks, "ledger does not add up"
        return seconds, result
    finally:
        await db.close()


async def migrate(url: str) -> None:
    await db.migrate(url)
    await db.close()  # an aiosqlite connection left open keeps its thread, and the process, alive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--periods", type=int, default=1_000_000)
    parser.add_argument("--partners", type=int, default=1_000)
    parser.add_argument("--usage-per-period", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache-mb", type=int, default=None,
                        help="SQLite page cache for both runs (default: SQLite's 2 MB, as in production)")
    parser.add_argument("--dir", help="where to put the database (default: a temporary directory)")
    parser.add_argument("--floor-runs", type=int, default=3, help="runs of the raw floor; the median is the floor")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gptitor-bench-", dir=args.dir) as tmp:
        path = Path(tmp) / "bench.sqlite3"
        asyncio.run(migrate(f"sqlite://{path}"))
        started = time.perf_counter()
        now = populate(path, args.periods, args.partners, args.usage_per_period, args.seed)
        print(f"setup: {args.periods:,} due periods, {args.usage_per_period} usage row(s) each, "
              f"{args.partners:,} partners, in {time.perf_counter() - started:.1f} s (not measured)", flush=True)

        settle_s, result = asyncio.run(settle(path, now, args.batch_size, args.cache_mb))
        print(f"settlement (production code, batches of {args.batch_size:,}): {result.periods:,} periods, "
              f"{result.entries:,} ledger rows in {settle_s:.1f} s = {result.periods / settle_s:,.0f} periods/s",
              flush=True)
        runs, rows = raw_floor(path, args.cache_mb, max(args.floor_runs, 1))
        floor_s = statistics.median(runs)
        print(f"raw floor (one sqlite3 executemany of the same {rows:,} ledger rows): {floor_s:.1f} s "
              f"= {result.periods / floor_s:,.0f} periods/s (median of {', '.join(f'{r:.1f}' for r in runs)} s)")
        print(f"ratio settlement / raw floor: {settle_s / floor_s:.2f}x (goal: within 1.0x)")


if __name__ == "__main__":
    main()
