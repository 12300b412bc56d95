"""The tracker row of every tracker bot, kept in memory per bot (issue 20).

Every update of a tracker bot needs its tracker (bot.middlewares.TenantMiddleware); reading the
row each time was a round trip per update for a row that changes a few times in its life. So the
row is read once per bot and kept until it changes:
- in this process, whatever changes a tracker calls `forget` (services.trackers, the payment
  settings, the scenario dialogs, the runtime when Telegram revokes a token);
- in other workers (PostgreSQL only: SQLite has one process), the coordinator's tracker sync
  (every TRACKER_SYNC_SECONDS) compares each row's `updated_at` with the cached one and forgets
  those that moved; so every write to `trackers` bumps `updated_at`, and a sibling worker serves
  an edit at most one sync late. Redis pub/sub would make that instant but adds a moving part;
  what it holds (name, description, prompt, model, free messages) tolerates that; a pause reaches
  money at once, since the pre-checkout reads the row itself.

The cached row is shared by concurrent updates: handlers read it and never change it in place
(a change goes through the services, which read their own row and then call `forget`).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from models import Tracker, TrackerStatus


class TrackerCache:
    def __init__(self) -> None:
        self._by_bot: dict[int, Tracker] = {}
        self._reading: dict[int, asyncio.Lock] = {}

    async def by_bot(self, bot_id: int) -> Tracker | None:
        """The tracker a bot serves; None when there is none or it was deleted."""
        tracker = self._by_bot.get(bot_id)
        if tracker is None:
            async with self._reading.setdefault(bot_id, asyncio.Lock()):  # a burst of first updates reads once
                tracker = self._by_bot.get(bot_id)
                if tracker is None:
                    tracker = await Tracker.get_or_none(bot_id=bot_id)
                    if tracker is None:
                        return None
                    self._by_bot[bot_id] = tracker
        return None if tracker.status == TrackerStatus.DELETED else tracker

    def forget(self, *, tracker_id: int | None = None, bot_id: int | None = None) -> None:
        """Drops one tracker (by its id or its bot's), or every one when neither is given."""
        if tracker_id is None and bot_id is None:
            self._by_bot.clear()
            return
        for key, tracker in list(self._by_bot.items()):
            if key == bot_id or tracker.id == tracker_id:
                del self._by_bot[key]

    def forget_changed(self, updated: dict[int, datetime]) -> int:
        """Drops the rows whose `updated_at` (bot id -> the database's value) moved; how many."""
        stale = [bot_id for bot_id, tracker in self._by_bot.items() if updated.get(bot_id) != tracker.updated_at]
        for bot_id in stale:
            del self._by_bot[bot_id]
        return len(stale)


trackers = TrackerCache()


def forget(*, tracker_id: int | None = None, bot_id: int | None = None) -> None:
    trackers.forget(tracker_id=tracker_id, bot_id=bot_id)
