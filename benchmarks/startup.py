"""Start-up time: seconds from `gptitor run` to the first answered /start, beside the floor.

    .venv/bin/python benchmarks/startup.py [--rounds 3] [--trackers 0]

1. The fake Telegram Bot API server (tests/fakes/telegram.py) runs in this process.
2. A person's /start to the platform bot is queued on the fake before the process starts, so it
   is the first update the bot gets. The clock runs from spawning `python -m bot run` (long
   polling, SQLite in a fresh directory) to the fake receiving the bot's answer.
3. Round 1 starts on an empty database (the first start builds the schema); the later rounds are
   restarts on the same database. With `--trackers N`, N tracker bots are served too.
4. The floor, measured in every round just before ours: `python -c "import aiogram.types"` (a
   process cannot answer before aiogram's types exist); beside it `python -c "import bot.app"`,
   everything `gptitor run` imports before it starts.
5. CPU seconds beside each wall time (the floor's whole run; ours up to the answer): on a machine
   shared with other jobs the wall times stretch with the load, the CPU times much less.

Prints one row per round and the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import signal
import statistics
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


def timed_python(code: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of `python -c code`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # os._exit: the interpreter's teardown of a large module graph is no part of a start
    subprocess.run([sys.executable, "-c", f"{code}; import os; os._exit(0)"], check=True, cwd=ROOT)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cpu_seconds(pid: int) -> float:
    """CPU time a running process has used so far (user + system, all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def add_trackers(url: str, key: str, count: int) -> None:
    from bot import db
    from bot.crypto import SecretBox
    from models import Tracker, User

    box = SecretBox(key)
    await db.init(url)
    try:
        await User.create(id=1, first_name="Author", language_code="en")
        for n in range(count):
            await Tracker.create(bot_id=int(tracker_token(n).split(":")[0]), username=f"start{n}_bot",
                                 name=f"Start {n}", author_id=1, token_encrypted=box.encrypt(tracker_token(n)))
    finally:
        await db.close()


async def first_answer(tg, env: dict[str, str], workdir: Path, person, log_path: Path) -> tuple[float, float]:
    """Seconds from spawning `gptitor run` to the answer to the queued /start, and the CPU
    seconds the process had used by then."""
    await person.send("bench_platform_bot", "/start")
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=workdir,
                            stdout=log_path.open("ab"), stderr=subprocess.STDOUT)
    try:
        await person.wait_for_message("bench_platform_bot", timeout=300)
        return time.perf_counter() - started, cpu_seconds(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()


async def main_async(args: argparse.Namespace) -> None:
    from bot.crypto import generate_key
    from tests.fakes.telegram import FakeTelegram

    rows = []
    async with FakeTelegram() as tg:
        tg.add_bot(PLATFORM_TOKEN, "bench_platform_bot", "GPTitor")
        for n in range(args.trackers):
            tg.add_bot(tracker_token(n), f"start{n}_bot", f"Start {n}")
        with tempfile.TemporaryDirectory(prefix="startup-") as tmp:
            workdir = Path(tmp)
            key = generate_key()
            url = f"sqlite://{workdir / 'data' / 'gptitor.sqlite3'}"
            env = {**os.environ, "BOT_TOKEN": PLATFORM_TOKEN, "SECRET_KEY": key, "DATABASE_URL": url,
                   "TELEGRAM_API_BASE": tg.base_url, "WEBHOOK_HOST": "127.0.0.1", "WEBHOOK_PORT": "0",
                   "PYTHONPATH": str(ROOT)}
            for name in ("REDIS_URL", "YOOKASSA__SHOP_ID", "YOOKASSA__SECRET_KEY"):
                env.pop(name, None)
            if args.trackers:
                await add_trackers(url, key, args.trackers)
            for n in range(1, args.rounds + 1):
                floor, floor_cpu = timed_python("import aiogram.types")
                imports, imports_cpu = timed_python("import bot.app")
                person = tg.user(5000 + n, f"p{n}", language_code="en")
                ours, ours_cpu = await first_answer(tg, env, workdir, person, workdir / "gptitor.log")
                kind = "first start" if n == 1 and not args.trackers else "restart"
                rows.append((n, kind, floor, imports, ours, floor_cpu, imports_cpu, ours_cpu))
                print(f"round {n} ({kind}): import aiogram.types {floor:.2f} s ({floor_cpu:.2f} s CPU), "
                      f"import bot.app {imports:.2f} s ({imports_cpu:.2f} s CPU), gptitor run to the first answer "
                      f"{ours:.2f} s ({ours_cpu:.2f} s CPU)", flush=True)
            if args.show_log:
                print((workdir / "gptitor.log").read_text())
    print()
    print("| round | start | floor: `import aiogram.types`, s (CPU s) | `import bot.app`, s (CPU s) "
          "| run → first answer, s (CPU s) | over the floor, s (CPU s) |")
    print("|---|---|---:|---:|---:|---:|")
    for n, kind, floor, imports, ours, floor_cpu, imports_cpu, ours_cpu in rows:
        print(f"| {n} | {kind} | {floor:.2f} ({floor_cpu:.2f}) | {imports:.2f} ({imports_cpu:.2f}) "
              f"| {ours:.2f} ({ours_cpu:.2f}) | +{ours - floor:.2f} (+{ours_cpu - floor_cpu:.2f}) |")
    restarts = [r for r in rows if r[1] == "restart"] or rows
    med = [statistics.median(r[i] for r in restarts) for i in (2, 4, 5, 7)]
    print(f"\nrestarts, median: {med[1]:.2f} s to the first answer beside a floor of {med[0]:.2f} s "
          f"(+{med[1] - med[0]:.2f} s); CPU {med[3]:.2f} s beside {med[2]:.2f} s (+{med[3] - med[2]:.2f} s)")
    print(f"({args.trackers} tracker bots; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"Python {platform.python_version()})")

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="starts to measure (the first on an empty database)")
    parser.add_argument("--trackers", type=int, default=0, help="tracker bots the platform serves")
    parser.add_argument("--show-log", action="store_true", help="print the platform's log at the end")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
