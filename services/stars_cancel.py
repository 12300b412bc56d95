"""Cancels, in the background, the Stars subscriptions of trackers that were deleted or paused.

Telegram keeps renewing a Stars subscription for as long as the bot exists, whatever the platform
thinks of the tracker. Deleting a tracker (or pausing it, by the author's choice) writes one row
per client (billing.payments.stars_cancellations) and answers the author at once; this worker,
running in every process beside the outbox, then calls `editUserStarSubscription(is_canceled=True)`
for each and tells the client.

Pace: one worker per bot at a time (the claim says which), one call every `CALL_GAP` seconds,
below Telegram's ~30 calls a second per bot. A 429 postpones the bot's remaining rows by
`retry_after`; a network error or a 5xx retries with growing pauses; a revoked token fails the
bot's remaining rows at once (only the bot's owner can cancel now). Each step is committed as
soon as Telegram answers it, so a restart resumes with the next client; a stop gives the claims
back, a crash leaves them to expire (`claim_seconds`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)

from billing.payments import stars_cancellations as queue
from i18n.catalog import for_user
from models import StarsCancellation, StarsCancelStatus, Tracker, User
from notify.redact import describe_error, redact
from services import tracker_cache
from services.ports import Bots, Secrets

log = logging.getLogger(__name__)

CALL_GAP = 0.04          # 25 calls a second per bot: under Telegram's ~30
MAX_ATTEMPTS = 8
MAX_BACKOFF = 600.0
ROUND_LIMIT = 50         # rows claimed per round, across bots

GO, STOP = True, False   # after a row: go on with the bot's next row, or leave the bot for later


def backoff(attempts: int) -> float:
    """Seconds before try number `attempts + 1`: 2, 4, 8, ... up to ten minutes."""
    return min(2.0 ** max(attempts, 1), MAX_BACKOFF)


def _said(exc: Exception) -> str:
    return redact(f"{type(exc).__name__}: {getattr(exc, 'message', exc)}")


class StarsCancelWorker:
    def __init__(self, registry: Bots, box: Secrets, *, poll_interval: float = 1.0,
                 claim_seconds: float | None = None, worker_id: str | None = None) -> None:
        self.registry = registry
        self.box = box
        self.poll_interval = poll_interval
        self.claim_seconds = queue.CLAIM_SECONDS if claim_seconds is None else claim_seconds
        self.worker_id = worker_id or f"stars:{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:48]
        self._round = 0
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="stars-cancel")

    def wake(self) -> None:
        """New rows were written: look now rather than at the next poll."""
        self._wake.set()

    async def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._task, timeout)
        except (TimeoutError, asyncio.CancelledError):
            pass
        self._task = None
        try:
            await queue.release(self.worker_id, worker=True)
        except Exception:
            log.exception("stars cancellations: claims not released (they expire on their own)")

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                worked = await self.run_once()
            except Exception:
                log.exception("stars cancellation round failed")
                worked = 0
            if worked:
                continue
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)
            except TimeoutError:
                pass

    async def run_once(self, now: datetime | None = None) -> int:
        """One round: claim due rows and work them off, each bot's in order, bots side by side."""
        self._round += 1
        token = f"{self.worker_id}:{self._round}"
        rows = await queue.claim(token, worker=self.worker_id, limit=ROUND_LIMIT, now=now,
                                 claim_seconds=self.claim_seconds)
        by_tracker: dict[int, list[StarsCancellation]] = {}
        for row in rows:
            by_tracker.setdefault(row.tracker_id, []).append(row)
        await asyncio.gather(*(self._work_bot(token, tracker_id, bot_rows)
                               for tracker_id, bot_rows in by_tracker.items()))
        await queue.release(token)  # rows left when a bot was told to wait
        return len(rows)

    def _bot_for(self, tracker: Tracker) -> Bot | None:
        bot = self.registry.get(tracker.bot_id)
        if bot is None and tracker.token_encrypted:  # deleted: no longer served, the token kept for this
            bot = self.registry.make(self.box.decrypt(tracker.token_encrypted))
        return bot

    async def _work_bot(self, token: str, tracker_id: int, rows: list[StarsCancellation]) -> None:
        try:
            tracker = await Tracker.get(id=tracker_id)
            bot = self._bot_for(tracker)
            if bot is None:
                log.warning("tracker %s has no token: its Stars subscriptions cannot be cancelled", tracker_id)
                await queue.fail_tracker(tracker_id, "the tracker has no token")
                rows = []
            for row in rows:
                if row.status == StarsCancelStatus.PENDING and not await self._step(token, row, self._cancel, bot):
                    break
                if row.status == StarsCancelStatus.CANCELLED and not await self._step(
                        token, row, self._tell, bot, tracker):
                    break
        except Exception:  # a bug here must not stop the other bots
            log.exception("stars cancellations of tracker %s", tracker_id)
        if await queue.finish_tracker(tracker_id):
            tracker_cache.forget(tracker_id=tracker_id)
            log.info("tracker %s: every Stars subscription handled, its token wiped", tracker_id)
        await queue.tell_author_when_finished(tracker_id)

    async def _step(self, token: str, row: StarsCancellation,
                    call: Callable[..., Awaitable[bool]], *args: Any) -> bool:
        """One Bot API call for the row, then the bot's pause; what Telegram answered decides
        whether the bot's next row follows now."""
        try:
            go = await call(token, row, *args)
        except TelegramRetryAfter as exc:
            at = datetime.now(UTC) + timedelta(seconds=max(float(exc.retry_after), 1.0))
            await queue.postpone(row, token, at, error=f"429 retry after {exc.retry_after}s", failed=False)
            await queue.pace_tracker(row.tracker_id, at)
            return STOP
        except TelegramUnauthorizedError:
            lost = await queue.fail_tracker(row.tracker_id, "the token was revoked")
            log.warning("tracker %s: token revoked, %d Stars subscriptions cannot be cancelled", row.tracker_id, lost)
            return STOP
        except Exception as exc:  # network, 5xx, a proxy's page: worth repeating, later
            error = describe_error(exc, limit=2000)
            if row.attempts + 1 >= MAX_ATTEMPTS:
                log.warning("Stars cancellation %s given up after %d attempts: %s", row.id, row.attempts + 1, error)
                if row.status == StarsCancelStatus.PENDING:
                    await queue.failed(row, token, error)
                else:
                    await queue.done(row, token, error)
                return GO
            at = datetime.now(UTC) + timedelta(seconds=backoff(row.attempts + 1))
            await queue.postpone(row, token, at, error=error, failed=True)
            await queue.pace_tracker(row.tracker_id, at)
            return STOP
        await asyncio.sleep(CALL_GAP)
        return go

    async def _cancel(self, token: str, row: StarsCancellation, bot: Bot) -> bool:
        try:
            await bot.edit_user_star_subscription(user_id=row.user_id, telegram_payment_charge_id=row.charge_id,
                                                  is_canceled=True)
        except (TelegramBadRequest, TelegramForbiddenError) as exc:
            # Already ended or refunded at Telegram: nothing renews, but it is not ours to count.
            log.warning("Stars subscription %s of user %s on tracker %s: %s", row.charge_id, row.user_id,
                        row.tracker_id, exc)
            await queue.failed(row, token, _said(exc))
            return GO
        await queue.cancelled(row, token)
        return GO

    async def _tell(self, token: str, row: StarsCancellation, bot: Bot, tracker: Tracker) -> bool:
        user = await User.get_or_none(id=row.user_id)
        i18n = for_user(user.language_code if user else None)
        try:
            await bot.send_message(row.user_id, i18n(f"stars-cancelled-tracker-{row.reason}", name=tracker.name))
        except (TelegramBadRequest, TelegramForbiddenError) as exc:
            # The client blocked the bot (or never opened it): cancelled all the same, just not told.
            await queue.done(row, token, _said(exc))
            return GO
        await queue.done(row, token)
        return GO
