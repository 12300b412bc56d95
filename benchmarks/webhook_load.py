"""Webhook throughput end to end: updates per second the platform's webhook workers handle, beside
a bare aiogram webhook echo bot measured in the same run.

    .venv/bin/python benchmarks/webhook_load.py --database-url postgres://postgres@127.0.0.1:5432/postgres \
        --redis-url redis://127.0.0.1:6379/0
    (or TEST_DATABASE_URL in the environment; --updates 1000 per measurement by default)
    .venv/bin/python benchmarks/webhook_load.py --sqlite   (one worker on a fresh SQLite file)

1. The fake Telegram Bot API server (tests/fakes/telegram.py) runs in this process. Every answer
   a bot sends goes to it over real HTTP.
2. Ours: `gptitor run --webhook --workers N` (the real command, N = 1 and 2) on a fresh
   PostgreSQL database holding one tracker with prices. Half the updates are `/start` from a new
   person (the greeting), half are a text from a person with no subscription and no free
   messages (the paywall, through the conversation queue). Then the same people send the same
   again: known people, whose row, membership and state already exist (most of a live bot's
   traffic).
3. Bare: aiogram's own `SimpleRequestHandler` and one handler that echoes the text with
   `message.answer`, one process, no database.
4. The load: this process plays Telegram and POSTs the updates to the webhook (secret token
   header, one person per update), 32 at a time (Telegram's default is 40 connections a bot).
   An update counts when its answer has reached the fake server; the figure is updates over the
   wall time from the first POST to the last answer. A warm-up of 100 updates comes first.

Prints updates per second for each and the ratios to the bare bot, and under each figure where the
machine's CPUs went while it was measured (Linux): CPU seconds per second of the bot's processes,
of this one (the load and the fake Bot API) and of the rest (the database, Redis), how busy the
whole machine was, and the bot's CPU per update (steadier from run to run than updates per
second on a shared machine). A figure taken on a machine that was ~100% busy is a ceiling of the
machine, not of the bot: a second worker cannot add what no CPU is left to run.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PLATFORM_TOKEN = "100000001:" + "P" * 35
# A new tracker bot id each run: the workers' update claims and FSM keys in Redis outlive a run, and
# the same bot's same update ids again would only be acknowledged ("handled before").
TRACKER_TOKEN = f"{random.SystemRandom().randrange(200_000_000, 300_000_000)}:" + "T" * 35
BARE_TOKEN = "300000007:" + "B" * 35
CONCURRENCY = 32
WARMUP = 100


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the bare aiogram bot (run as a child: `webhook_load.py --bare PORT API_BASE SECRET`) ------------


def run_bare(port: int, api_base: str, secret: str) -> None:
    from aiogram import Bot, Dispatcher, Router
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler
    from aiohttp import web

    logging.basicConfig(level=logging.INFO)  # as the platform's workers log
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "…")

    bot = Bot(BARE_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api_base)))
    dp = Dispatcher()
    dp.include_router(router)
    app = web.Application()
    # handle_in_background=False: answer 200 after handling, as the platform's workers do.
    SimpleRequestHandler(dp, bot, secret_token=secret, handle_in_background=False).register(app, path="/webhook")
    web.run_app(app, host="127.0.0.1", port=port, print=None)


# -- PostgreSQL --------------------------------------------------------------------------------------


def db_url(admin_url: str, name: str) -> str:
    parts = urlsplit(admin_url)
    return urlunsplit(("postgres", parts.netloc, "/" + name, parts.query, ""))


async def admin(admin_url: str, *statements: str) -> None:
    import asyncpg

    p = urlsplit(admin_url)
    conn = await asyncpg.connect(host=p.hostname, port=p.port or 5432, user=p.username, password=p.password,
                                 database=p.path.lstrip("/") or "postgres")
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def prepare_database(url: str, secret_key: str) -> None:
    """The schema, an author, one tracker with a month price (so the paywall offers a plan)."""
    from bot import db
    from bot.crypto import SecretBox
    from models import Plan, PlanKind, Tracker, User

    await db.init(url)
    try:
        await User.create(id=1, first_name="Author")
        tracker = await Tracker.create(bot_id=int(TRACKER_TOKEN.split(":")[0]), username="bench_tracker_bot",
                                       name="Bench", author_id=1, free_messages=0,
                                       token_encrypted=SecretBox(secret_key).encrypt(TRACKER_TOKEN))
        await Plan.create(tracker=tracker, kind=PlanKind.MONTH, price_kopecks=200_000)
    finally:
        await db.close()


# -- where the CPUs went (Linux /proc; elsewhere the figures are left out) ------------------------------

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it (the workers a supervisor started)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(parents.get(current, []))
    return tree


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def machine_seconds() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine since boot."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks) - idle) / TICK, sum(ticks) / TICK


class CpuShare:
    """CPU seconds per wall second over a measurement: the bot's processes, this one (the load and
    the fake Bot API), and the rest of the machine (the database, Redis, anything else)."""

    def __init__(self, bot_pid: int, updates: int) -> None:
        self.bot_pid = bot_pid
        self.updates = updates
        self.line = ""

    def __enter__(self) -> CpuShare:
        try:
            self._pids = process_tree(self.bot_pid)
            self._start = (time.perf_counter(), cpu_seconds(self._pids), time.process_time(), *machine_seconds())
        except OSError:
            self._start = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._start is None or exc[0] is not None:
            return
        wall0, bot0, own0, busy0, all0 = self._start
        wall = time.perf_counter() - wall0
        bot = cpu_seconds(self._pids) - bot0
        own = time.process_time() - own0
        busy, every = machine_seconds()
        busy, every = busy - busy0, every - all0
        self.line = (f"CPUs in use: the bot {bot / wall:.2f}, the load and the fake Bot API {own / wall:.2f}, "
                     f"the rest {max(busy - bot - own, 0) / wall:.2f}; the machine {100 * busy / every:.0f}% busy; "
                     f"{1000 * bot / self.updates:.2f} ms of the bot's CPU per update")


# -- the load ----------------------------------------------------------------------------------------


def update(update_id: int, user_id: int, text: str) -> dict:
    message = {
        "message_id": update_id, "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": f"u{user_id}"},
        "from": {"id": user_id, "is_bot": False, "first_name": f"u{user_id}", "language_code": "en"},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": message}


async def load(tg, bot_ref: str, url: str, secret: str, updates: list[dict], timeout: float = 300) -> float:
    """POST every update (CONCURRENCY at a time) and wait until each person got an answer;
    returns the wall time in seconds."""
    import aiohttp

    fake_bot = tg.bot(bot_ref)
    people = {u["message"]["from"]["id"] for u in updates}
    for uid in people:  # each of them "started" the bot, so the bot may write to them
        person = tg.user(uid, f"u{uid}", language_code="en")
        tg._conversation(fake_bot, person.chat).opened = True
    start_at = len(tg.calls)
    answered: set[int] = set()
    scanned = start_at
    queue: asyncio.Queue[dict] = asyncio.Queue()
    for item in updates:
        queue.put_nowait(item)
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
    failures = 0

    async def sender(http: aiohttp.ClientSession) -> None:
        nonlocal failures
        while not queue.empty():
            item = queue.get_nowait()
            async with http.post(url, json=item, headers=headers) as resp:
                if resp.status != 200:
                    failures += 1
                await resp.read()

    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as http:
        senders = asyncio.gather(*(sender(http) for _ in range(CONCURRENCY)))
        deadline = time.monotonic() + timeout
        while answered < people:
            calls = tg.calls
            for call in calls[scanned:]:
                if call.method.lower() == "sendmessage" and call.token == fake_bot.token and call.status == 200:
                    answered.add(int(call.params["chat_id"]))
            scanned = len(calls)
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(people - answered)} of {len(people)} people got no answer")
            await asyncio.sleep(0.005)
        wall = time.perf_counter() - started
        await senders
    if failures:
        raise RuntimeError(f"{failures} webhook requests were not answered 200")
    return wall


KNOWN_UPDATE_IDS = 50_000_000  # the known people's second updates: ids apart from every first one


def updates_for(first_user: int, count: int, mix: bool, update_ids_from: int = 0) -> list[dict]:
    """`mix`: half /start, half a text that meets the paywall; else texts for the echo bot.
    `update_ids_from`: for the same people's later updates (Telegram never repeats an id)."""
    out = []
    for n in range(count):
        uid = first_user + n
        text = ("/start" if n % 2 == 0 else "How do I start?") if mix else f"hello {n}"
        out.append(update(update_ids_from + uid, uid, text))
    return out


async def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def measure_bare(tg, count: int, log_dir: Path) -> tuple[float, str]:
    port = free_port()
    secret = "bare-secret"
    proc = subprocess.Popen([sys.executable, __file__, "--bare", str(port), tg.base_url, secret],
                            stdout=(log_dir / "bare.log").open("wb"), stderr=subprocess.STDOUT)
    try:
        await wait_port(port)
        url = f"http://127.0.0.1:{port}/webhook"
        await load(tg, "bench_bare_bot", url, secret, updates_for(10_000_000, WARMUP, mix=False))
        with CpuShare(proc.pid, count) as cpu:
            wall = await load(tg, "bench_bare_bot", url, secret, updates_for(11_000_000, count, mix=False))
        return count / wall, cpu.line
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)


async def measure_ours(tg, admin_url: str, workers: int, count: int, log_dir: Path,
                       base_user: int, redis_url: str = "") -> list[tuple[float, str]]:
    """Updates per second of new people (each update someone's first), then of the same people
    again (known: a returning client's /start or text), each with where the CPUs went."""
    from bot.crypto import SecretBox, generate_key

    name = f"bench_webhook_{os.getpid()}_{workers}"
    if admin_url.startswith("sqlite://"):  # a fresh file in the run's own folder
        url = f"sqlite://{log_dir / (name + '.sqlite3')}"
    else:
        await admin(admin_url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        url = db_url(admin_url, name)
    key = generate_key()
    await prepare_database(url, key)
    port = free_port()
    env = {**os.environ, "BOT_TOKEN": PLATFORM_TOKEN, "SECRET_KEY": key, "DATABASE_URL": url,
           "TELEGRAM_API_BASE": tg.base_url, "WEBHOOK_BASE_URL": f"http://127.0.0.1:{port}",
           "WEBHOOK_HOST": "127.0.0.1", "WEBHOOK_PORT": str(port), "PYTHONPATH": str(ROOT)}
    env.pop("REDIS_URL", None)
    if workers > 1:  # the workers share the FSM, the locks and the update ids through Redis (bot.workers)
        env["REDIS_URL"] = redis_url
    started_before = len(tg.calls_to("getMe", bot="bench_platform_bot"))
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--webhook", "--workers", str(workers)],
                            env=env, cwd=log_dir, stdout=(log_dir / f"ours-{workers}.log").open("wb"),
                            stderr=subprocess.STDOUT)
    try:
        try:
            await wait_port(port)
        except OSError:
            log_tail = (log_dir / f"ours-{workers}.log").read_text(errors="replace")[-2000:]
            raise SystemExit(f"gptitor run --workers {workers} did not start; its log ends:\n{log_tail}") from None
        # every worker is up once each asked Telegram who its platform bot is
        deadline = time.monotonic() + 120
        while len(tg.calls_to("getMe", bot="bench_platform_bot")) < started_before + workers:
            if time.monotonic() > deadline:
                raise TimeoutError("the workers did not start")
            await asyncio.sleep(0.2)
        await asyncio.sleep(2.0)  # the last worker's scheduler and outbox settle in
        bot_id = int(TRACKER_TOKEN.split(":")[0])
        url_hook = f"http://127.0.0.1:{port}/webhook/tracker/{bot_id}"
        secret = SecretBox(key).webhook_secret(bot_id)
        await load(tg, "bench_tracker_bot", url_hook, secret, updates_for(base_user, WARMUP, mix=True))
        people = base_user + 100_000
        with CpuShare(proc.pid, count) as new_cpu:
            wall = await load(tg, "bench_tracker_bot", url_hook, secret, updates_for(people, count, mix=True))
        with CpuShare(proc.pid, count) as known_cpu:
            known = await load(tg, "bench_tracker_bot", url_hook, secret,
                               updates_for(people, count, mix=True, update_ids_from=KNOWN_UPDATE_IDS))
        return [(count / wall, new_cpu.line), (count / known, known_cpu.line)]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        if not admin_url.startswith("sqlite://"):
            await admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def main_async(args: argparse.Namespace) -> None:
    from tests.fakes.telegram import FakeTelegram

    logging.basicConfig(level=logging.WARNING)
    async with FakeTelegram() as tg:
        tg.add_bot(PLATFORM_TOKEN, "bench_platform_bot", "GPTitor")
        tg.add_bot(TRACKER_TOKEN, "bench_tracker_bot", "Bench")
        tg.add_bot(BARE_TOKEN, "bench_bare_bot", "Echo")
        with tempfile.TemporaryDirectory(prefix="webhook-load-") as tmp:
            logs = Path(tmp)
            bare, cpu = await measure_bare(tg, args.updates, logs)
            print(f"bare aiogram echo bot, 1 process:  {bare:7.0f} updates/s", flush=True)
            if cpu:
                print(f"    {cpu}", flush=True)
            results = {}
            sqlite = args.database_url.startswith("sqlite://")
            # SQLite has one writer: the platform runs one worker on it (bot.workers).
            for n, workers in enumerate((1,) if sqlite else (1, 2), start=1):
                results[workers] = await measure_ours(tg, args.database_url, workers, args.updates, logs, n * 1_000_000,
                                                      args.redis_url)
                for people, (rate, cpu) in zip(("new", "known"), results[workers], strict=True):
                    print(f"gptitor, {workers} worker(s) on {'SQLite' if sqlite else 'PostgreSQL'}, {people} people: "
                          f"{rate:7.0f} updates/s ({rate / bare:.2f}x the bare bot)", flush=True)
                    if cpu:
                        print(f"    {cpu}", flush=True)
            if 2 in results:
                print(f"2 workers / 1 worker: new people {results[2][0][0] / results[1][0][0]:.2f}x, "
                      f"known people {results[2][1][0] / results[1][1][0]:.2f}x")
            print(f"({args.updates} updates each after {WARMUP} warm-up; {os.cpu_count()} CPUs, "
                  f"load average {os.getloadavg()[0]:.1f}; Python {platform.python_version()})")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--bare":
        run_bare(int(sys.argv[2]), sys.argv[3], sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"),
                        help="a PostgreSQL server's URL (its database is used to create and drop the benchmark's own)")
    parser.add_argument("--redis-url", default=os.environ.get("TEST_REDIS_URL"),
                        help="a Redis server for the 2-worker run (or TEST_REDIS_URL)")
    parser.add_argument("--sqlite", action="store_true", help="one worker on a fresh SQLite file instead")
    parser.add_argument("--updates", type=int, default=1000, help="updates per measurement")
    args = parser.parse_args()
    if args.sqlite:
        args.database_url = "sqlite://"
    if not args.sqlite and not args.redis_url:
        parser.error("two workers need Redis: --redis-url redis://host:port/0 (or TEST_REDIS_URL)")
    if not args.database_url:
        parser.error("needs PostgreSQL: --database-url postgres://user@host:port/postgres (or TEST_DATABASE_URL)")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
