"""Cross-worker locks in Redis (REDIS_URL), for what a single process serialises in memory.

`RedisChatLocks` is the conversation's per-client lock: within one process the per-(tracker,
client) queue of `llm.conversation` already answers one message at a time; with several workers
two messages of one client may land in two processes, and this lock keeps them in order across
the workers (and the mJ budget exact, which relies on answers not overlapping).

A lock lives `ttl` seconds and is renewed every `ttl / 3` while its answer runs, so a worker that
dies holding one frees it within `ttl`, while a long streamed answer keeps it as long as it needs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from redis.exceptions import LockError

log = logging.getLogger(__name__)


class RedisChatLocks:
    def __init__(
        self, redis: Any, *, prefix: str = "gptitor:chat-lock", ttl: float = 30.0, wait: float = 600.0
    ) -> None:
        self.redis, self.prefix, self.ttl, self.wait = redis, prefix, ttl, wait

    def key(self, tracker_id: int, user_id: int) -> str:
        return f"{self.prefix}:{tracker_id}:{user_id}"

    @asynccontextmanager
    async def __call__(self, tracker_id: int, user_id: int) -> AsyncIterator[None]:
        lock = self.redis.lock(self.key(tracker_id, user_id), timeout=self.ttl, blocking_timeout=self.wait,
                               sleep=0.05)
        if not await lock.acquire():
            raise TimeoutError(f"chat {tracker_id}:{user_id} stayed locked for {self.wait:.0f} s")
        keeper = asyncio.create_task(self._keep(lock))
        try:
            yield
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
            try:
                await lock.release()
            except LockError:  # it expired meanwhile (the keeper could not reach Redis)
                log.warning("chat lock %s had expired before its release", lock.name)

    async def _keep(self, lock: Any) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                await lock.reacquire()
            except Exception as exc:  # noqa: BLE001 - Redis away: the lock may lapse, the answer goes on
                log.warning("chat lock %s not renewed: %s", lock.name, exc)
