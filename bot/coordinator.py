"""What one worker does beside answering updates when it may have siblings (issue 8).

It takes part in the scheduler leader election (`scheduler.leader.Leadership`): the jobs run only
in the leader, and move to another worker when the leader dies. On PostgreSQL it also keeps the
worker's trackers in step with the database: a tracker another worker added is served here on
its first update (`adopt`) or at the next sync, one it deleted or re-tokened is dropped or
re-read. On SQLite there is one process: it leads from the start and needs no sync.

Webhooks and bot commands are set by one worker at start (the first, `primary`); the others only
listen. A tracker added at run time gets its webhook from the worker that added it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from aiogram import Bot, Dispatcher

from bot import db
from bot.config import Settings
from bot.crypto import SecretBox
from bot.registry import BotRegistry
from bot.transport import Transport, WebhookServer
from llm import meetings as mt
from models import Tracker, TrackerStatus
from scheduler import meetings as jobs
from scheduler.leader import Leadership
from services import tracker_cache

log = logging.getLogger(__name__)

LIVE = (TrackerStatus.ACTIVE, TrackerStatus.PAUSED)


class Served(Protocol):
    """`bot.app.Runtime` as its coordinator sees it: the runtime owns the coordinator, not the other way."""

    settings: Settings
    box: SecretBox
    registry: BotRegistry
    transport: Transport
    tracker_dp: Dispatcher
    scheduler: Any  # scheduler.aps.APSScheduler once started


class Coordinator:
    def __init__(self, runtime: Served) -> None:
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
        rows = await Tracker.filter(status__in=LIVE).values_list("id", "bot_id", "token_encrypted", "updated_at")
        live = {bot_id: (tracker_id, cipher) for tracker_id, bot_id, cipher, _ in rows}
        # Rows another worker changed since this one cached them (services.tracker_cache).
        tracker_cache.trackers.forget_changed({bot_id: updated for _, bot_id, _, updated in rows})
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
