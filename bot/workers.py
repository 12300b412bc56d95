"""Several webhook workers on one database (issue 8).

Two parts:

- `Coordinator`: what one worker does beside answering updates when it may have siblings. It
  takes part in the scheduler leader election (`scheduler.leader.Leadership`): the jobs run only
  in the leader, and move to another worker when the leader dies. On PostgreSQL it also keeps the
  worker's trackers in step with the database: a tracker another worker added is served here on
  its first update (`adopt`) or at the next sync, one it deleted or re-tokened is dropped or
  re-read. On SQLite there is one process: it leads from the start and needs no sync.
- `run_workers`: `gptitor run --webhook --workers N`, a parent that starts N worker processes
  sharing the webhook port (SO_REUSEPORT), restarts one that dies, and stops them all on
  SIGTERM / SIGINT. A process manager starting N `gptitor run --webhook` does the same job.

Webhooks and bot commands are set by one worker at start (the first, `primary`); the others only
listen. A tracker added at run time gets its webhook from the worker that added it.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import signal
import sys
import time
from typing import TYPE_CHECKING

from aiogram import Bot

from bot import db
from bot.transport import WebhookServer
from models import Tracker, TrackerStatus
from scheduler.leader import Leadership

if TYPE_CHECKING:
    from bot.app import Runtime
    from bot.config import Settings

log = logging.getLogger(__name__)

LIVE = (TrackerStatus.ACTIVE, TrackerStatus.PAUSED)


class Coordinator:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.leadership: Leadership | None = None
        self._served: dict[int, str] = {}  # bot id -> the token ciphertext it is served with
        self._sync_task: asyncio.Task[None] | None = None
        self._adopting: dict[int, asyncio.Lock] = {}

    @property
    def shared(self) -> bool:
        """Other workers may use this database (anything but SQLite)."""
        return not db.is_sqlite()

    @property
    def is_leader(self) -> bool:
        return self.leadership is not None and self.leadership.is_leader

    async def start(self) -> None:
        """After the runtime started (the scheduler exists, paused): elect, then sync."""
        s = self.rt.settings
        self.leadership = Leadership(self._lead, self._follow, ttl=s.leader_lease_seconds, always=not self.shared)
        await self.leadership.start()
        if self.shared and self._webhook is not None:
            self._sync_task = asyncio.create_task(self._sync_loop(s.tracker_sync_seconds), name="tracker-sync")

    async def stop(self) -> None:
        if self._sync_task is not None:
            self._sync_task.cancel()
            await asyncio.gather(self._sync_task, return_exceptions=True)
            self._sync_task = None
        if self.leadership is not None:
            await self.leadership.stop()

    # -- the scheduler follows the leadership ------------------------------------------------

    async def _lead(self) -> None:
        # The plan of meetings is the table: rebuild their date jobs, since the worker that led
        # before may have planned some this one never heard of.
        from llm import meetings as mt
        from scheduler import meetings as jobs

        for planned in await mt.pending():
            jobs.schedule_open(self.rt.scheduler, planned.id, planned.due_at)
        self.rt.scheduler.resume()

    def _follow(self) -> None:
        if self.rt.scheduler is not None and self.rt.scheduler.running:
            self.rt.scheduler.pause()

    # -- trackers added, changed or removed by other workers ---------------------------------

    def served(self, tracker: Tracker) -> None:
        self._served[tracker.bot_id] = tracker.token_encrypted

    def unserved(self, bot_id: int) -> None:
        self._served.pop(bot_id, None)

    async def adopt(self, bot_id: int) -> Bot | None:
        """Serve a live tracker whose webhook another worker set; None if there is none."""
        async with self._adopting.setdefault(bot_id, asyncio.Lock()):  # a burst of first updates reads the row once
            bot = self.rt.registry.get(bot_id)
            if bot is not None and self._webhook is not None and self._webhook.serves(bot_id):
                return bot
            tracker = await Tracker.get_or_none(bot_id=bot_id, status__in=LIVE)
            if tracker is None:
                return None
            log.info("tracker %s (@%s) added by another worker: serving it here too", tracker.id, tracker.username)
            return self.adopt_row(tracker)

    @property
    def _webhook(self) -> WebhookServer | None:
        transport = self.rt.transport
        return transport if isinstance(transport, WebhookServer) else None

    def adopt_row(self, tracker: Tracker) -> Bot:
        bot = self.rt.registry.add(self.rt.box.decrypt(tracker.token_encrypted))
        if self._webhook is not None:
            self._webhook.adopt(bot, self.rt.tracker_dp)
        self.served(tracker)
        return bot

    async def retoken(self, tracker: Tracker, stale: Bot) -> bool:
        """Telegram rejected the token this worker holds: if another worker stored a new one,
        serve the bot with it (True) instead of taking the tracker for revoked."""
        if not (self.shared and self._webhook is not None):
            return False
        if self.rt.box.decrypt(tracker.token_encrypted) == stale.token:
            return False
        log.info("tracker %s was given a new token by another worker", tracker.id)
        self.adopt_row(tracker)
        return True

    async def sync_trackers(self) -> tuple[int, int]:
        """Adopt live trackers this worker does not serve (or serves with an old token), drop
        those no longer live. Returns (adopted, dropped)."""
        rows = await Tracker.filter(status__in=LIVE).values_list("id", "bot_id", "token_encrypted")
        live = {bot_id: (tracker_id, cipher) for tracker_id, bot_id, cipher in rows}
        adopted = dropped = 0
        for bot_id, (tracker_id, cipher) in live.items():
            if self._served.get(bot_id) != cipher:
                tracker = await Tracker.get_or_none(id=tracker_id, status__in=LIVE)
                if tracker is not None:
                    self.adopt_row(tracker)
                    adopted += 1
        for bot_id in [b for b in self._served if b not in live]:
            self.unserved(bot_id)
            self.rt.registry.remove(bot_id)
            if self._webhook is not None:
                self._webhook.forget(bot_id)
            dropped += 1
        if adopted or dropped:
            log.info("tracker sync: %d adopted, %d dropped", adopted, dropped)
        return adopted, dropped

    async def _sync_loop(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.sync_trackers()
            except Exception:  # noqa: BLE001 - try again next round
                log.exception("tracker sync failed")


# -- the parent of N worker processes ----------------------------------------------------------

RESTART_BACKOFF_MAX = 30.0
STOP_TIMEOUT = 30.0
CONFIG_EXIT = 2  # a worker that cannot start because of the settings: restarting will not help


def _worker_main(settings: Settings, index: int, level: int) -> None:
    logging.basicConfig(level=level, format=f"%(asctime)s %(levelname)s [worker {index}] %(name)s: %(message)s")
    from bot.app import StartupError, run_platform

    try:
        asyncio.run(run_platform(settings, webhook=True, primary=index == 0))
    except StartupError as exc:
        print(f"gptitor: {exc}", file=sys.stderr)
        raise SystemExit(CONFIG_EXIT) from None


def run_workers(settings: Settings, count: int) -> int:
    """Start `count` webhook workers and supervise them until SIGTERM / SIGINT; the exit code."""
    if settings.sqlite_path() is not None:
        print("gptitor: several workers need PostgreSQL (DATABASE_URL=postgres://...): "
              "SQLite takes one writer at a time; run one worker on SQLite.", file=sys.stderr)
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
