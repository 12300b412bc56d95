"""`gptitor run --webhook --workers N`: a parent that starts N worker processes sharing the webhook
port (SO_REUSEPORT), restarts one that dies, and stops them all on SIGTERM / SIGINT. A process
manager starting N `gptitor run --webhook` does the same job. Each worker is a whole platform
(`bot.app.run_platform`) whose `bot.coordinator.Coordinator` finds its siblings through the database.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import signal
import sys
import time

from bot import db
from bot.app import StartupError, run_platform
from bot.config import Settings
from bot.logs import quiet_per_update_logs

log = logging.getLogger(__name__)

RESTART_BACKOFF_MAX = 30.0
STOP_TIMEOUT = 30.0
CONFIG_EXIT = 2  # a worker that cannot start because of the settings: restarting will not help


def _worker_main(settings: Settings, index: int, level: int) -> None:
    logging.basicConfig(level=level, format=f"%(asctime)s %(levelname)s [worker {index}] %(name)s: %(message)s")
    quiet_per_update_logs(level)

    try:
        asyncio.run(run_platform(settings, webhook=True, primary=index == 0))
    except StartupError as exc:
        print(f"gptitor: {exc}", file=sys.stderr)
        # Out of reach for now: exit as a crash does, and the parent starts this worker again.
        raise SystemExit(1 if exc.retry else CONFIG_EXIT) from None
    except db.DatabaseUnavailable as exc:
        print(f"gptitor: {exc}", file=sys.stderr)
        raise SystemExit(1 if exc.retry else CONFIG_EXIT) from None


def run_workers(settings: Settings, count: int) -> int:
    """Start `count` webhook workers and supervise them until SIGTERM / SIGINT; the exit code."""
    if settings.sqlite_path() is not None:
        print("gptitor: several workers need PostgreSQL (DATABASE_URL=postgres://...): "
              "SQLite takes one writer at a time; run one worker on SQLite.", file=sys.stderr)
        return CONFIG_EXIT
    if not settings.redis_url:
        print("gptitor: several workers need REDIS_URL (redis://host:6379/0): it holds the conversations' "
              "state and the per-client lock that all workers share; run one worker without it.", file=sys.stderr)
        return CONFIG_EXIT

    async def migrate() -> None:  # once, here, so the workers do not race to build the schema
        await db.migrate(settings.database_url)
        await db.close()

    asyncio.run(migrate())
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: no event loop or sockets inherited
    level = logging.getLogger().getEffectiveLevel()
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}

    def spawn(index: int) -> multiprocessing.process.BaseProcess:
        proc = ctx.Process(target=_worker_main, args=(settings, index, level), name=f"gptitor-worker-{index}")
        proc.start()
        log.info("worker %d started (pid %s)", index, proc.pid)
        return proc

    procs = {index: spawn(index) for index in range(count)}
    backoff = {index: 1.0 for index in range(count)}
    code = 0
    try:
        while not stopping:
            multiprocessing.connection.wait([p.sentinel for p in procs.values()], timeout=1.0)
            for index, proc in list(procs.items()):
                if stopping or proc.is_alive():
                    continue
                if proc.exitcode == CONFIG_EXIT:
                    log.error("worker %d cannot start; stopping the others", index)
                    stopping, code = True, CONFIG_EXIT
                    break
                log.warning("worker %d (pid %s) exited with %s; restarting in %.0f s",
                            index, proc.pid, proc.exitcode, backoff[index])
                time.sleep(backoff[index])
                backoff[index] = min(backoff[index] * 2, RESTART_BACKOFF_MAX)
                procs[index] = spawn(index)
    finally:
        for proc in procs.values():
            if proc.is_alive():
                proc.terminate()  # SIGTERM: the worker finishes the updates in hand
        deadline = time.monotonic() + STOP_TIMEOUT
        for proc in procs.values():
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                log.warning("worker pid %s did not stop in %.0f s; killing it", proc.pid, STOP_TIMEOUT)
                proc.kill()
                proc.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code
