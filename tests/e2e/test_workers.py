"""Several webhook workers on one PostgreSQL database (issue 8).

The acceptance test starts two real worker processes (tests/e2e/worker_main.py: `run_platform`
in webhook mode, both listening on one port) against the fake Telegram server and one PostgreSQL
database, then:
- runs settlement in both at the same moment over 10,000 due periods: every period accrued once,
  the ledger sums exactly what the commission rules give, and both workers did part of the work;
- lets both deliver 1,000 outbox events: each reaches its chat exactly once;
- answers tracker updates in either worker, each once;
- kills the scheduler leader (SIGKILL): the other worker takes the lease within the lease time
  and runs the jobs (its settlement job settles a period that fell due meanwhile), and goes on
  answering updates.

Needs TEST_DATABASE_URL (`.ci/run` sets it). The last tests run in-process and on SQLite too: a
tracker another worker added is served on its first update, and the tracker sync.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.crypto import SecretBox, generate_key
from models import (
    AccountingPeriod,
    Lease,
    LedgerEntry,
    Membership,
    OutboxEvent,
    OutboxStatus,
    PeriodStatus,
    PlanKind,
    Subscription,
    Tracker,
    TrackerStatus,
    User,
)
from tests.conftest import ON_POSTGRES
from tests.e2e.harness import (
    PLATFORM_TOKEN,
    PLATFORM_USERNAME,
    forget_claims,
    free_port,
    make_settings,
    running_platform,
    tracker_token,
)
from tests.waiting import eventually, stays

REPO = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 6.0  # short for the test, long enough not to lapse on a loaded machine
SUBSCRIBERS, PERIODS_EACH = 1_000, 10  # 10,000 due periods
EVENTS = 1_000
REVENUE = 1_000  # kopecks a period; no usage, so the margin is the revenue
AUTHOR, L3, L2, L1 = 1, 11, 12, 13
TRACKER_NAME = "Vera"

postgres_only = pytest.mark.skipif(
    not ON_POSTGRES, reason="two worker processes need one PostgreSQL database: set TEST_DATABASE_URL"
)


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    fake_telegram.webhook_timeout = 30
    return fake_telegram


# -- helpers ---------------------------------------------------------------------------------------


class Workers:
    """Two worker processes and what they report (STATUS_DIR/worker-N.jsonl)."""

    def __init__(self, status_dir: Path, env: dict[str, str]) -> None:
        self.dir, self.env = status_dir, env
        self.procs: dict[int, subprocess.Popen] = {}

    def start(self, index: int) -> None:
        log = (self.dir / f"worker-{index}.log").open("wb")
        self.procs[index] = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.worker_main", str(index), str(self.dir)],
            env=self.env, cwd=self.dir, stdout=log, stderr=subprocess.STDOUT,
        )

    def reports(self, index: int) -> list[dict]:
        path = self.dir / f"worker-{index}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def pid(self, index: int) -> int:
        return self.procs[index].pid

    def log(self, index: int) -> str:
        return (self.dir / f"worker-{index}.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def lease_holder_pid() -> int | None:
    lease = await Lease.get_or_none(name="scheduler")
    if lease is None or lease.expires_at < datetime.now(UTC):
        return None
    return int(lease.holder.split(":")[1])


async def seed_periods(tracker: Tracker, first_user: int, subscribers: int, periods_each: int,
                       ended: datetime) -> list[int]:
    """`subscribers` people with `periods_each` ended periods each; every other one came through
    L1 (whose chain is L2, L3), the rest on their own. Returns the subscriber ids with a chain."""
    ids = list(range(first_user, first_user + subscribers))
    await User.bulk_create([User(id=uid, first_name=f"s{uid}") for uid in ids])
    chained = ids[::2]
    await Membership.bulk_create(
        [Membership(tracker=tracker, user_id=uid, l1_id=L1, l2_id=L2, l3_id=L3) for uid in chained]
    )
    start = ended - timedelta(days=30 * periods_each)
    subs = [
        Subscription(tracker=tracker, user_id=uid, plan_kind=PlanKind.YEAR, price_kopecks=REVENUE * periods_each,
                     starts_at=start, ends_at=ended)
        for uid in ids
    ]
    await Subscription.bulk_create(subs)
    subs = await Subscription.filter(user_id__in=ids).order_by("id")
    chain = set(chained)
    periods = []
    for sub in subs:
        for seq in range(periods_each):
            links = dict(l1_id=L1, l2_id=L2, l3_id=L3) if sub.user_id in chain else {}
            periods.append(AccountingPeriod(
                subscription=sub, tracker=tracker, user_id=sub.user_id, seq=seq,
                starts_at=start + timedelta(days=30 * seq), ends_at=start + timedelta(days=30 * (seq + 1)),
                revenue_kopecks=REVENUE, **links,
            ))
    await AccountingPeriod.bulk_create(periods, batch_size=2000)
    return chained


async def balances() -> dict[str, int]:
    rows = await LedgerEntry.filter(source_type="period").values_list("account__key", "amount_kopecks")
    totals: dict[str, int] = {}
    for key, amount in rows:
        totals[key] = totals.get(key, 0) + amount
    return totals


# -- the acceptance test ---------------------------------------------------------------------------


@postgres_only
@pytest.mark.timeout(600)
async def test_two_workers_settle_deliver_and_hand_over_the_jobs(tg, database, tmp_path):
    key = generate_key()
    box = SecretBox(key)
    token = tracker_token(41)
    tg.add_bot(token, "vera_bot", TRACKER_NAME)
    await User.bulk_create([User(id=uid, first_name=f"u{uid}") for uid in (AUTHOR, L3, L2, L1)])
    tracker = await Tracker.create(bot_id=int(token.split(":")[0]), username="vera_bot", name=TRACKER_NAME,
                                   author_id=AUTHOR, token_encrypted=box.encrypt(token))
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "DATABASE_URL"))},
        "BOT_TOKEN": PLATFORM_TOKEN, "SECRET_KEY": key, "DATABASE_URL": database,
        "TELEGRAM_API_BASE": tg.base_url, "WEBHOOK_BASE_URL": f"http://127.0.0.1:{port}",
        "WEBHOOK_HOST": "127.0.0.1", "WEBHOOK_PORT": str(port),
        "LEADER_LEASE_SECONDS": str(LEASE_SECONDS), "SETTLE_INTERVAL_MINUTES": "60",
        "PYTHONPATH": str(REPO),
    }
    workers = Workers(tmp_path, env)
    workers.start(0)
    workers.start(1)
    try:
        for index in (0, 1):
            await eventually(lambda i=index: any(r.get("event") == "ready" for r in workers.reports(i)) or
                        workers.procs[i].poll() is not None, f"worker {index} to start", timeout=90)
            assert workers.procs[index].poll() is None, workers.log(index)
        leader_pid = await eventually(lease_holder_pid, "a scheduler leader", timeout=30)
        leader = 0 if leader_pid == workers.pid(0) else 1
        follower = 1 - leader
        assert leader_pid == workers.pid(leader)
        # The leader ran its jobs (settlement first, at once); the follower ran none.
        await eventually(lambda: any(r.get("job") == "settle-due-periods" for r in workers.reports(leader)),
                         "the leader's first settlement run", timeout=30)
        assert not any("job" in r for r in workers.reports(follower))

        # -- 10,000 due periods and 1,000 events, then both workers at once --------------------
        # They end in an hour: the leader's own settlement job (if it ran now) would leave them to
        # the two runs below, which settle as of two hours from now.
        ended = datetime.now(UTC) + timedelta(hours=1)
        chained = await seed_periods(tracker, 100_000, SUBSCRIBERS, PERIODS_EACH, ended)
        platform = tg.bot(PLATFORM_USERNAME)
        readers = list(range(300_000, 300_000 + EVENTS))
        from notify import events as ev
        from notify.outbox import PLATFORM_BOT, enqueue

        for uid in readers:
            person = tg.user(uid, f"r{uid}", language_code="en")
            tg._conversation(platform, person.chat).opened = True  # they started the platform bot earlier
        for uid in readers:
            await enqueue(None, kind=ev.TEST, bot_id=PLATFORM_BOT, chat_id=uid, dedupe_key=f"workers-test:{uid}",
                          params={"tracker": TRACKER_NAME}, language="en")
        (tmp_path / "go").write_text((ended + timedelta(hours=1)).isoformat())

        settled = {}
        for index in (0, 1):
            report = await eventually(
                lambda i=index: next((r for r in workers.reports(i) if r.get("event") == "settled"), None),
                f"worker {index} to settle", timeout=240,
            )
            settled[index] = report["periods"]
        total = SUBSCRIBERS * PERIODS_EACH
        assert settled[0] + settled[1] == total
        assert settled[0] > 0 and settled[1] > 0, settled  # SKIP LOCKED split the work, nobody waited it out
        assert await AccountingPeriod.filter(status=PeriodStatus.SETTLED).count() == total
        with_chain = len(chained) * PERIODS_EACH
        alone = total - with_chain
        # 20/20/30/20/10 of 1,000 kopecks; the unheld levels go to the platform.
        assert await balances() == {
            "platform": 200 * with_chain + 800 * alone,
            f"user:{AUTHOR}": 200 * total,
            f"user:{L1}": 300 * with_chain,
            f"user:{L2}": 200 * with_chain,
            f"user:{L3}": 100 * with_chain,
        }
        # one entry per role and period (an unheld level is the platform's entry for that role)
        assert await LedgerEntry.filter(source_type="period").count() == 5 * total

        await eventually(_all_sent, "the outbox to drain", timeout=240, every=0.5)
        sends = [c for c in tg.calls_to("sendMessage", bot=PLATFORM_USERNAME) if c.status == 200]
        per_chat: dict[int, int] = {}
        for call in sends:
            per_chat[int(call.params["chat_id"])] = per_chat.get(int(call.params["chat_id"]), 0) + 1
        assert {uid: per_chat.get(uid, 0) for uid in readers} == {uid: 1 for uid in readers}
        assert await OutboxEvent.filter(status=OutboxStatus.SENT).count() == EVENTS

        # -- updates: whichever worker takes one answers it, once ---------------------------------
        clients = [tg.user(400_000 + n, f"c{n}", language_code="en") for n in range(20)]
        await asyncio.gather(*(c.send("vera_bot", "/start") for c in clients))
        for c in clients:
            await c.wait_for_text("vera_bot", f"I am {TRACKER_NAME}")
        await tg.wait_until_delivered("vera_bot")
        for c in clients:
            assert sum(f"I am {TRACKER_NAME}" in m.plain for m in c.messages("vera_bot")) == 1

        # -- the leader dies: the other worker takes the lease and the jobs ----------------------
        late = await seed_periods(tracker, 200_000, 1, 1, datetime.now(UTC) - timedelta(minutes=1))
        period = await AccountingPeriod.get(user_id=200_000)
        await stays(lambda: _open(period.id), "nobody's job settles a period before it ends", for_seconds=1.0)
        leader_pid = await eventually(lease_holder_pid, "the current leader", timeout=30)
        leader = 0 if leader_pid == workers.pid(0) else 1
        follower = 1 - leader
        jobs_before = len([r for r in workers.reports(follower) if r.get("job") == "settle-due-periods"])
        killed_at = time.monotonic()
        os.kill(workers.pid(leader), signal.SIGKILL)
        workers.procs[leader].wait(10)
        new_pid = await eventually(lambda: _holder_is(workers.pid(follower)), "the take-over",
                                   timeout=4 * LEASE_SECONDS + 10)
        took = time.monotonic() - killed_at
        # the lease runs out (LEASE_SECONDS) and the next renewal round (LEASE_SECONDS / 3) takes it
        assert took < 2 * LEASE_SECONDS + LEASE_SECONDS / 3, took  # a loaded machine answers late, never early
        assert new_pid
        await eventually(lambda: _settled(period.id), "the new leader's settlement job", timeout=30)
        # The job reports when it ends, after the accounts' fold that follows the settlement itself.
        await eventually(
            lambda: len([r for r in workers.reports(follower) if r.get("job") == "settle-due-periods"]) > jobs_before,
            "the new leader's settle job to report", timeout=30)
        assert late == [200_000]

        # The survivor answers the updates alone, each once.
        more = [tg.user(500_000 + n, f"d{n}", language_code="en") for n in range(5)]
        for c in more:
            await c.send("vera_bot", "/start")
            await c.wait_for_text("vera_bot", f"I am {TRACKER_NAME}")
        await tg.wait_until_delivered("vera_bot")
        for c in more:
            assert sum(f"I am {TRACKER_NAME}" in m.plain for m in c.messages("vera_bot")) == 1
    except BaseException:
        for index in workers.procs:
            print(f"--- worker {index} log (tail) ---\n{workers.log(index)}")
        raise
    finally:
        workers.stop()


async def _all_sent() -> bool:
    return await OutboxEvent.filter(status__in=[OutboxStatus.PENDING]).count() == 0


async def _holder_is(pid: int) -> int | None:
    return pid if await lease_holder_pid() == pid else None


async def _open(period_id: int) -> bool:
    return (await AccountingPeriod.get(id=period_id)).status == PeriodStatus.OPEN


async def _settled(period_id: int) -> bool:
    return (await AccountingPeriod.get(id=period_id)).status == PeriodStatus.SETTLED


# -- trackers another worker added (in process; SQLite or PostgreSQL) -----------------------------


def _webhook_settings(tg, database_url, tmp_path):
    port = free_port()
    return make_settings(tg, database_url, tmp_path, webhook_base_url=f"http://127.0.0.1:{port}",
                         webhook_host="127.0.0.1", webhook_port=port)


async def test_a_tracker_added_by_another_worker_is_served_on_its_first_update(tg, database_url, tmp_path):
    settings = _webhook_settings(tg, database_url, tmp_path)
    token = tracker_token(42)
    tg.add_bot(token, "newcomer_bot", "Nova")
    bot_id = int(token.split(":")[0])
    client = tg.user(2042, "Ola", language_code="en")
    async with running_platform(settings, webhook=True) as runtime:
        await User.create(id=1042, first_name="Author")
        # Another worker: saved the tracker and set its webhook; this one never heard of it.
        await Tracker.create(bot_id=bot_id, username="newcomer_bot", name="Nova", author_id=1042,
                             token_encrypted=runtime.box.encrypt(token))
        async with aiohttp.ClientSession() as http:
            base = f"{tg.base_url}/bot{token}"
            async with http.post(f"{base}/setWebhook", json={
                "url": f"{settings.webhook_base_url}/webhook/tracker/{bot_id}",
                "secret_token": runtime.box.webhook_secret(bot_id)}) as resp:
                assert resp.status == 200
        assert bot_id not in runtime.registry
        await client.send("newcomer_bot", "/start")
        await client.wait_for_text("newcomer_bot", "I am Nova")
        assert bot_id in runtime.registry

        # An id that is no live tracker stays a 404, even with its own secret.
        ghost = 299999999
        async with aiohttp.ClientSession() as http:
            async with http.post(f"http://127.0.0.1:{settings.webhook_port}/webhook/tracker/{ghost}",
                                 json={"update_id": 1},
                                 headers={"X-Telegram-Bot-Api-Secret-Token":
                                          runtime.box.webhook_secret(ghost)}) as resp:
                assert resp.status == 404


async def test_tracker_sync_follows_the_database(tg, database_url, tmp_path):
    settings = _webhook_settings(tg, database_url, tmp_path)
    first, second = tracker_token(43), tracker_token(44)
    tg.add_bot(first, "first_bot", "First")
    tg.add_bot(second, "second_bot", "Second")
    async with running_platform(settings, webhook=True) as runtime:
        await User.create(id=1043, first_name="Author")
        rows = [await Tracker.create(bot_id=int(t.split(":")[0]), username=u, name=u, author_id=1043,
                                     token_encrypted=runtime.box.encrypt(t))
                for t, u in ((first, "first_bot"), (second, "second_bot"))]
        assert await runtime.coordinator.sync_trackers() == (2, 0)
        assert all(r.bot_id in runtime.registry for r in rows)
        assert await runtime.coordinator.sync_trackers() == (0, 0)  # nothing changed: nothing read twice
        # Another worker deleted one and gave the other a new token.
        await Tracker.filter(id=rows[0].id).update(status=TrackerStatus.DELETED)
        await Tracker.filter(id=rows[1].id).update(token_encrypted=runtime.box.encrypt(second))
        assert await runtime.coordinator.sync_trackers() == (1, 1)
        assert rows[0].bot_id not in runtime.registry and rows[1].bot_id in runtime.registry


# -- `gptitor run --webhook --workers N` -------------------------------------------------------------


def _cli(*args: str, env: dict[str, str], cwd: Path, log: Path | None = None) -> subprocess.Popen:
    # A process that runs a while logs to a file: a pipe nobody reads fills at 64 KiB, and the
    # workers' next log line would then block them mid-update.
    if log is None:
        return subprocess.Popen([sys.executable, "-m", "bot.cli", *args], env=env, cwd=cwd,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "bot.cli", *args], env=env, cwd=cwd,
                                stdout=out, stderr=subprocess.STDOUT)


def _base_env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "DATABASE_URL"))}
    env.update(BOT_TOKEN=PLATFORM_TOKEN, SECRET_KEY=generate_key(), PYTHONPATH=str(REPO),
               SECRET_KEY_FILE=str(tmp_path / "secret.key"), **values)
    return env


SOME_POSTGRES = "postgres://gptitor:unused@127.0.0.1:9/gptitor"  # refused before anything connects


@pytest.mark.parametrize("args, database, says", [
    (("run", "--workers", "2"), None, "need --webhook"),
    (("run", "--webhook", "--workers", "2"), None, "need PostgreSQL"),
    (("run", "--webhook", "--workers", "2"), SOME_POSTGRES, "need REDIS_URL"),
])
def test_several_workers_are_refused_where_they_cannot_work(tmp_path, args, database, says):
    env = _base_env(tmp_path, DATABASE_URL=database or f"sqlite://{tmp_path / 'db.sqlite3'}",
                    WEBHOOK_BASE_URL="https://example.invalid")
    proc = _cli(*args, env=env, cwd=tmp_path)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert says in out.decode()


@postgres_only
@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="several workers need Redis: set TEST_REDIS_URL")
@pytest.mark.timeout(300)
async def test_the_workers_command_runs_n_processes_and_stops_them_cleanly(tg, database, tmp_path):
    token = tracker_token(45)
    tg.add_bot(token, "pair_bot", "Pair")
    await forget_claims(os.environ["TEST_REDIS_URL"], int(token.split(":")[0]))
    port = free_port()
    env = _base_env(tmp_path, DATABASE_URL=database, TELEGRAM_API_BASE=tg.base_url,
                    REDIS_URL=os.environ["TEST_REDIS_URL"],
                    WEBHOOK_BASE_URL=f"http://127.0.0.1:{port}", WEBHOOK_HOST="127.0.0.1", WEBHOOK_PORT=str(port))
    box = SecretBox(env["SECRET_KEY"])
    await User.create(id=1045, first_name="Author")
    await Tracker.create(bot_id=int(token.split(":")[0]), username="pair_bot", name="Pair", author_id=1045,
                         token_encrypted=box.encrypt(token))
    log = tmp_path / "workers.log"
    proc = _cli("run", "--webhook", "--workers", "2", env=env, cwd=tmp_path, log=log)

    def what_happened() -> str:
        deliveries = "\n".join(map(str, tg.bot("pair_bot").webhook_deliveries))
        return f"webhook deliveries:\n{deliveries}\nthe workers' log:\n{log.read_text(errors='replace')[-6000:]}"

    try:
        # Both workers asked who the platform bot is; only the first set the webhooks.
        await eventually(lambda: len(tg.calls_to("getMe", bot=PLATFORM_USERNAME)) >= 2 or proc.poll() is not None,
                         "two workers", timeout=120)
        assert proc.poll() is None, what_happened()
        await eventually(lease_holder_pid, "a scheduler leader", timeout=30)
        clients = [tg.user(600_000 + n, f"p{n}", language_code="en") for n in range(8)]
        await asyncio.gather(*(c.send("pair_bot", "/start") for c in clients))
        try:
            for c in clients:  # a worker's first tracker update loads its handlers: slow when loaded
                await c.wait_for_text("pair_bot", "I am Pair", timeout=90)
        except Exception as exc:
            raise AssertionError(what_happened()) from exc
        await tg.wait_until_delivered("pair_bot")
        for c in clients:
            assert sum("I am Pair" in m.plain for m in c.messages("pair_bot")) == 1
        assert len(tg.calls_to("setWebhook", bot=PLATFORM_USERNAME)) == 1
        assert len(tg.calls_to("setWebhook", bot="pair_bot")) == 1
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(proc.wait, 60) == 0
        assert await lease_holder_pid() is None  # released at the stop, not left to expire
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
