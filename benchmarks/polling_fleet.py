"""Many tracker bots long-polling in one `gptitor run`, with faults on a share of the polls.

    .venv/bin/python benchmarks/polling_fleet.py --bots 1000 --duration 180 [--rate 10] [--fault-share 0.05]

1. The fake Telegram Bot API server (tests/fakes/telegram.py) runs in this process and holds
   long polls as Telegram does (until an update comes or the poll's timeout, 30 s). On
   `--fault-share` of the getUpdates calls it fails instead, the ways a real network does: an
   HTML 502 page, a reset connection, a request held past the client's timeout (45 s), a 429
   with retry_after, a 409, a JSON 500 (`FakeTelegram.fail_share`).
2. Ours: the real `gptitor run` (long polling, SQLite) serving `--bots` tracker bots created in
   its database beforehand. The floor, measured first in the same run: a bare aiogram process
   polling the same number of bots (`Dispatcher.start_polling`, its own backoff, all bots on one
   session without a connection cap) that echoes every text, no database.
3. The load: once every bot polls, this process sends `--rate` updates a second for
   `--duration` seconds, round-robin over the bots: a bot's first update is /start, the next
   ones texts (ours answers a text from a person without a subscription with the paywall). Every
   update comes from a new person. An update is answered when the bot's first message to that
   person reaches the fake; one still unanswered `--drain` seconds after the load is lost.
4. Latency is from queuing the update to the answer. "Clean" counts only updates whose bot had
   no injected fault while the update waited (a fault's stretch lasts until the bot's next
   answered getUpdates): the injected delays themselves are the fault share's, not the code's.

Prints, for each: updates sent / answered / lost, latency p50 / p99 (all and clean), polling
loops restarted, failure streaks logged, and RSS (after start, at the end, peak).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PLATFORM_TOKEN = "100000001:" + "P" * 35
HOLD = 45.0  # past the client's 30 + 10 s: a timeout


def tracker_token(n: int) -> str:
    return f"{200000000 + n}:" + "T" * 34 + str(n % 10)


# -- the bare aiogram bot (run as a child: `polling_fleet.py --bare API_BASE BOTS`) ------------------


def run_bare(api_base: str, count: int) -> None:
    from aiogram import Bot, Dispatcher, Router
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    logging.basicConfig(level=logging.WARNING)
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "…")

    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base), limit=0)
    bots = [Bot(tracker_token(n), session=session) for n in range(count)]
    dp = Dispatcher()
    dp.include_router(router)
    asyncio.run(dp.start_polling(*bots, polling_timeout=30, handle_signals=True, close_bot_session=True))


# -- measuring --------------------------------------------------------------------------------------


@dataclass
class Result:
    started_s: float
    sent: int
    answered: int
    latencies: list[float]
    clean: list[float]
    restarted: int
    streaks: int
    rss_start: int
    rss_end: int
    rss_peak: int
    faults: dict[str, int]


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def add_trackers(url: str, key: str, count: int) -> None:
    from bot import db
    from bot.crypto import SecretBox
    from models import Tracker, User

    box = SecretBox(key)
    await db.init(url)
    try:
        await User.create(id=1, first_name="Author", language_code="en")
        for n in range(count):
            await Tracker.create(bot_id=int(tracker_token(n).split(":")[0]), username=f"fleet{n}_bot",
                                 name=f"Fleet {n}", author_id=1, token_encrypted=box.encrypt(tracker_token(n)))
    finally:
        await db.close()


async def wait_polling(tg, count: int, proc: subprocess.Popen, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while tg.open_polls < count:
        if proc.poll() is not None:
            raise RuntimeError(f"the process exited with {proc.returncode} before every bot polled")
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {tg.open_polls} of {count} bots poll after {timeout:.0f} s")
        await asyncio.sleep(0.2)


async def run_load(tg, args: argparse.Namespace, proc: subprocess.Popen, first_user: int) -> Result:
    """Send the updates, wait for the answers, and read what the fake saw."""
    started = time.monotonic()
    sent: list[tuple[int, int, float]] = []  # (bot id, person id, queued at)
    per_bot = [0] * args.bots
    interval = 1.0 / args.rate
    total = int(args.duration * args.rate)
    rss_peak = 0
    for n in range(total):
        index = n % args.bots
        person = tg.user(first_user + n, f"p{n}", language_code="en")
        text = "/start" if per_bot[index] == 0 else f"How do I start? ({per_bot[index]})"
        per_bot[index] += 1
        username = f"fleet{index}_bot"
        await person.send(username, text)
        sent.append((tg.bot(username).id, person.id, time.monotonic()))
        if n % 50 == 0:
            rss_peak = max(rss_peak, rss_kib(proc.pid))
        next_at = started + (n + 1) * interval
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    waiting = {(bot_id, person_id) for bot_id, person_id, _ in sent}
    answers: dict[tuple[int, int], float] = {}
    scanned = 0
    deadline = time.monotonic() + args.drain
    while True:
        calls = tg.calls
        for call in calls[scanned:]:
            if call.method.lower() == "sendmessage" and call.status == 200:
                key = (int(call.token.split(":")[0]), int(call.params.get("chat_id", 0)))
                if key in waiting and key not in answers:
                    answers[key] = call.at
        scanned = len(calls)
        if len(answers) == len(waiting) or time.monotonic() > deadline:
            break
        rss_peak = max(rss_peak, rss_kib(proc.pid))
        await asyncio.sleep(0.5)
    latencies, clean = [], []
    for bot_id, person_id, queued in sent:
        answered_at = answers.get((bot_id, person_id))
        if answered_at is None:
            continue
        latency = answered_at - queued
        latencies.append(latency)
        windows = tg.fault_windows.get(bot_id, [])
        if not any(start <= answered_at and (end is None or end >= queued) for start, end in windows):
            clean.append(latency)
    return Result(0.0, len(sent), len(answers), latencies, clean, 0, 0, 0, rss_kib(proc.pid),
                  max(rss_peak, rss_kib(proc.pid, "VmHWM")), dict(tg.chaos_counts))


async def measure(args: argparse.Namespace, *, bare: bool, workdir: Path) -> Result:
    from bot.crypto import generate_key
    from tests.fakes.telegram import FakeTelegram

    name = "bare" if bare else "ours"
    log_path = workdir / f"{name}.log"
    async with FakeTelegram() as tg:
        tg.add_bot(PLATFORM_TOKEN, "fleet_platform_bot", "GPTitor")
        for n in range(args.bots):
            tg.add_bot(tracker_token(n), f"fleet{n}_bot", f"Fleet {n}")
        if bare:
            command = [sys.executable, __file__, "--bare", tg.base_url, str(args.bots)]
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            polls = args.bots
        else:
            key = generate_key()
            url = f"sqlite://{workdir / 'data' / 'gptitor.sqlite3'}"
            await add_trackers(url, key, args.bots)
            env = {**os.environ, "BOT_TOKEN": PLATFORM_TOKEN, "SECRET_KEY": key, "DATABASE_URL": url,
                   "TELEGRAM_API_BASE": tg.base_url, "WEBHOOK_HOST": "127.0.0.1", "WEBHOOK_PORT": "0",
                   "POLLING_TIMEOUT": "30", "PYTHONPATH": str(ROOT)}
            for var in ("REDIS_URL", "YOOKASSA__SHOP_ID", "YOOKASSA__SECRET_KEY"):
                env.pop(var, None)
            command = [sys.executable, "-m", "bot", "run"]
            polls = args.bots + 1
        spawned = time.monotonic()
        proc = subprocess.Popen(command, env=env, cwd=workdir, stdout=log_path.open("wb"), stderr=subprocess.STDOUT)
        try:
            await wait_polling(tg, polls, proc)
            started_s = time.monotonic() - spawned
            await asyncio.sleep(2.0)  # the last trackers' start-up calls settle
            rss_start = rss_kib(proc.pid)
            tg.fail_share(args.fault_share, modes=tuple(args.modes.split(",")), hold=HOLD, seed=args.seed)
            result = await run_load(tg, args, proc, 10_000_000)
            tg.fail_share(0)
        finally:
            proc.send_signal(signal.SIGTERM if not bare else signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    text = log_path.read_text(errors="replace")
    result.started_s, result.rss_start = started_s, rss_start
    result.restarted = len(re.findall(r"polling loop ended", text))
    result.streaks = len(re.findall(r"polling failed|Failed to fetch updates", text))
    return result


def report(name: str, r: Result) -> None:
    lost = r.sent - r.answered
    ms = {"p50": pct(r.latencies, 0.5) * 1000, "p99": pct(r.latencies, 0.99) * 1000,
          "max": max(r.latencies or [0]) * 1000, "clean p50": pct(r.clean, 0.5) * 1000,
          "clean p99": pct(r.clean, 0.99) * 1000}
    print(f"{name}: started (every bot polling) in {r.started_s:.1f} s; updates sent {r.sent}, "
          f"answered {r.answered}, lost {lost}; latency p50 {ms['p50']:.0f} ms, p99 {ms['p99']:.0f} ms, "
          f"max {ms['max']:.0f} ms; clean ({len(r.clean)}) p50 {ms['clean p50']:.0f} ms, "
          f"p99 {ms['clean p99']:.0f} ms; loops restarted {r.restarted}; failure streaks logged {r.streaks}; "
          f"RSS {r.rss_start / 1024:.0f} MiB after start, {r.rss_end / 1024:.0f} MiB at the end, "
          f"peak {r.rss_peak / 1024:.0f} MiB; faults injected {r.faults}", flush=True)

async def main_async(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    results = {}
    with tempfile.TemporaryDirectory(prefix="polling-fleet-") as tmp:
        for name, bare in (("bare aiogram echo", True), ("gptitor run", False)):
            if name == "bare aiogram echo" and args.no_floor:
                continue
            workdir = Path(tmp) / ("bare" if bare else "ours")
            workdir.mkdir()
            results[name] = await measure(args, bare=bare, workdir=workdir)
            report(name, results[name])
            if args.keep_log:
                print((workdir / ("bare.log" if bare else "ours.log")).read_text(errors="replace")[-args.keep_log:])
    print()
    print("| process | start, s | sent | answered | lost | p50, ms | p99, ms | clean p50, ms | clean p99, ms "
          "| loops restarted | RSS after start, MiB | RSS end, MiB | RSS peak, MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r.started_s:.1f} | {r.sent} | {r.answered} | {r.sent - r.answered} "
              f"| {pct(r.latencies, 0.5) * 1000:.0f} | {pct(r.latencies, 0.99) * 1000:.0f} "
              f"| {pct(r.clean, 0.5) * 1000:.0f} | {pct(r.clean, 0.99) * 1000:.0f} | {r.restarted} "
              f"| {r.rss_start / 1024:.0f} | {r.rss_end / 1024:.0f} | {r.rss_peak / 1024:.0f} |")
    ratio = "n/a"
    if len(results) == 2 and all(r.clean for r in results.values()):
        ours, floor = (statistics.median(results[k].clean) for k in ("gptitor run", "bare aiogram echo"))
        ratio = f"{ours / floor:.2f}x"
    print(f"\n({args.bots} bots, {args.duration:.0f} s at {args.rate:g} updates/s, fault share {args.fault_share:g} "
          f"of getUpdates ({args.modes}); {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"Python {platform.python_version()}; median clean latency, ours / floor: {ratio})")

def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--bare":
        run_bare(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bots", type=int, default=1000, help="tracker bots polling in the process")
    parser.add_argument("--duration", type=float, default=180, help="seconds of load")
    parser.add_argument("--rate", type=float, default=10, help="updates a second, over all bots")
    parser.add_argument("--fault-share", type=float, default=0.05, help="share of getUpdates calls that fail")
    parser.add_argument("--modes", default="html502,reset,hold,429,409,500", help="fault modes to draw from")
    parser.add_argument("--drain", type=float, default=120, help="seconds to wait for the last answers")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--no-floor", action="store_true", help="skip the bare aiogram floor")
    parser.add_argument("--keep-log", type=int, default=0, help="print the last N characters of each log")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
