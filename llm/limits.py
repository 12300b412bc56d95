"""How many model calls run at once: per tracker and in all, a queue rather than an error.

Every tracker shares the platform's one provider key, so its rate limits too: a burst on one
tracker, or on all of them, must wait its turn rather than draw 429s for everybody. A call takes a
slot of its tracker first, then one of the platform; both are first come, first served, so a
client waiting is answered in turn, never refused. Taking the tracker's slot first is what keeps it
fair between trackers: a busy tracker has at most its own few calls waiting for a platform slot,
however many clients it has queued, so a quiet tracker's call is not stuck behind all of them.

The limits are admin settings (billing.policy) and can change while calls wait: `resize` lets more
in at once, or lets fewer in from then on. They hold per worker process: with N workers the
platform runs at most N times as many calls.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class FairLimiter:
    """A semaphore whose waiters are served strictly in arrival order and whose size can change."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self.held = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return sum(1 for w in self._waiters if not w.done())

    @property
    def idle(self) -> bool:
        return self.held == 0 and not self._waiters

    def resize(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.held < self.capacity:
            waiter = self._waiters.popleft()
            if not waiter.done():  # a cancelled waiter gave up its place
                self.held += 1
                waiter.set_result(None)

    async def acquire(self) -> None:
        if self.held < self.capacity and not self._waiters:
            self.held += 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # granted as it was cancelled: pass it on
                self.release()
            raise

    def release(self) -> None:
        self.held -= 1
        self._wake()


class CallGate:
    """One limiter per tracker (made on first use, dropped when idle) and one for the platform."""

    def __init__(self, per_tracker: int, total: int) -> None:
        self.per_tracker = max(1, per_tracker)
        self.total = FairLimiter(total)
        self._trackers: dict[int, FairLimiter] = {}

    def resize(self, per_tracker: int, total: int) -> None:
        self.per_tracker = max(1, per_tracker)
        self.total.resize(total)
        for limiter in self._trackers.values():
            limiter.resize(self.per_tracker)

    def running(self, tracker_id: int | None = None) -> int:
        """Calls running (in all), or holding the tracker's slots (running, or waiting for a
        platform slot)."""
        if tracker_id is None:
            return self.total.held
        limiter = self._trackers.get(tracker_id)
        return 0 if limiter is None else limiter.held

    def waiting(self, tracker_id: int | None = None) -> int:
        if tracker_id is None:
            return self.total.waiting + sum(limiter.waiting for limiter in self._trackers.values())
        limiter = self._trackers.get(tracker_id)
        return 0 if limiter is None else limiter.waiting

    @asynccontextmanager
    async def slot(self, tracker_id: int) -> AsyncIterator[None]:
        """Hold a tracker slot and a platform slot for the length of one call."""
        limiter = self._trackers.get(tracker_id)
        if limiter is None:
            limiter = self._trackers[tracker_id] = FairLimiter(self.per_tracker)
        try:
            await limiter.acquire()
            try:
                await self.total.acquire()
                try:
                    yield
                finally:
                    self.total.release()
            finally:
                limiter.release()
        finally:
            if limiter.idle and self._trackers.get(tracker_id) is limiter:
                del self._trackers[tracker_id]
