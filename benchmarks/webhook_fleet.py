"""Webhook mode with many trackers: start-up time and memory of one process, beside the floor.

    .venv/bin/python benchmarks/webhook_fleet.py --trackers 1000,10000

1. The fake Telegram Bot API server (tests/fakes/telegram.py) runs in this process.
2. Ours: the real `gptitor run --webhook` (one process, SQLite) with N tracker bots in its
   database. Each size is started twice on the same database: the first start registers every
   tracker (setWebhook and two setMyCommands, a few dozen bots at a time) and stores what it
   registered; the restart finds nothing changed and makes no per-bot call. Start-up time runs
   from spawning the process to its log line "platform started"; RSS is read then.
3. The floor, in the same run: a bare aiogram process that builds N `Bot` objects on one session
   and one dispatcher, and listens on an aiohttp server (no database, no registration), timed
   from spawning it to listening.

Prints, per size: seconds to started, Bot API calls made by the start, RSS after start.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PLATFORM_TOKEN = "100000001:" + "P" * 35


def tracker_token(n: int) -> str:
    return f"{200000000 + n}:" + "T" * 34 + str(n % 10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- the floor (run as a child: `webhook_fleet.py --bare PORT API_BASE N`) ----------------------------


def run_bare(port: int, api_base: str, count: int) -> None:
    from aiogram import Bot, Dispatcher, Router
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message
    from aiohttp import web

    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "…")

    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
    bots = {n: Bot(tracker_token(n), session=session) for n in range(count)}
    dp = Dispatcher()
    dp.include_router(router)

    async def main() -> None:
        app = web.Application()
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        print(f"ready {len(bots)}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


async def bare(tg, count: int) -> tuple[float, float]:
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--bare", str(port), tg.base_url, str(count)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        line = await asyncio.to_thread(proc.stdout.readline)  # type: ignore[union-attr]
        seconds = time.perf_counter() - started
        if not line.startswith(b"ready"):
            raise RuntimeError(f"the bare process failed: {line!r}")
        return seconds, rss_mib(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


# -- ours ---------------------------------------------------------------------------------------------


async def add_trackers(url: str, key: str, count: int) -> None:
    from bot import db
    from bot.crypto import SecretBox
    from models import Tracker, User

    box = SecretBox(key)
    await db.init(url)
    try:
        await User.create(id=1, first_name="Author", language_code="en")
        rows = [Tracker(bot_id=int(tracker_token(n).split(":")[0]), username=f"hook{n}_bot", name=f"Hook {n}",
                        author_id=1, token_encrypted=box.encrypt(tracker_token(n))) for n in range(count)]
        await Tracker.bulk_create(rows, batch_size=1000)
    finally:
        await db.close()


async def ours(tg, env: dict[str, str], workdir: Path, log_name: str) -> tuple[float, float, int]:
    """(seconds to "platform started", RSS MiB then, Bot API calls during the start)."""
    log_path = workdir / log_name
    calls_before = len(tg.calls)
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--webhook"], env=env, cwd=workdir,
                            stdout=log_path.open("wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 1800
        while b"platform started" not in log_path.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gptitor did not start: {log_path.read_text(errors='replace')[-2000:]}")
            await asyncio.sleep(0.1)
        return time.perf_counter() - started, rss_mib(proc.pid), len(tg.calls) - calls_before
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def main_async(args: argparse.Namespace) -> None:
    from bot.crypto import generate_key
    from tests.fakes.telegram import FakeTelegram

    rows = []
    for count in [int(n) for n in args.trackers.split(",")]:
        async with FakeTelegram() as tg:
            tg.add_bot(PLATFORM_TOKEN, "hookfleet_platform_bot", "GPTitor")
            for n in range(count):
                tg.add_bot(tracker_token(n), f"hook{n}_bot", f"Hook {n}")
            floor_s, floor_rss = await bare(tg, count)
            print(f"{count} trackers: floor (bare aiogram, {count} Bot objects, listening) {floor_s:.1f} s, "
                  f"{floor_rss:.0f} MiB", flush=True)
            with tempfile.TemporaryDirectory(prefix="webhook-fleet-") as tmp:
                workdir = Path(tmp)
                key = generate_key()
                url = f"sqlite://{workdir / 'data' / 'gptitor.sqlite3'}"
                await add_trackers(url, key, count)
                port = free_port()
                env = {**os.environ, "BOT_TOKEN": PLATFORM_TOKEN, "SECRET_KEY": key, "DATABASE_URL": url,
                       "TELEGRAM_API_BASE": tg.base_url, "WEBHOOK_BASE_URL": f"http://127.0.0.1:{port}",
                       "WEBHOOK_HOST": "127.0.0.1", "WEBHOOK_PORT": str(port), "PYTHONPATH": str(ROOT)}
                for var in ("REDIS_URL", "YOOKASSA__SHOP_ID", "YOOKASSA__SECRET_KEY"):
                    env.pop(var, None)
                for kind in ("first start", "restart"):
                    seconds, rss, calls = await ours(tg, env, workdir, f"{kind}.log")
                    rows.append((count, kind, seconds, rss, calls, floor_s, floor_rss))
                    print(f"{count} trackers, {kind}: started in {seconds:.1f} s with {calls} Bot API calls, "
                          f"{rss:.0f} MiB RSS", flush=True)
    print()
    print("| trackers | start | started in, s | Bot API calls | RSS, MiB | floor: started in, s | floor: RSS, MiB |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for count, kind, seconds, rss, calls, floor_s, floor_rss in rows:
        print(f"| {count:,} | {kind} | {seconds:.1f} | {calls:,} | {rss:.0f} | {floor_s:.1f} | {floor_rss:.0f} |")
    print(f"\n({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; Python {platform.python_version()})")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--bare":
        run_bare(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trackers", default="1000,10000", help="sizes to measure, comma-separated")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
