"""Long polling for many bots in one process: one `getUpdates` loop per bot, kept alive.

- Inside a loop every failed poll (an HTML page from a proxy, a reset, a timeout, a 5xx, a 409,
  anything unexpected) is retried with a growing, jittered pause and logged once per streak.
- A loop that ends anyway (an error outside the poll, a cancel from outside) is restarted with
  the same backoff; only a revoked token, `detach` or `stop` end one for good.
- A bot whose updates someone else takes (another program polling with the token: a 409 that
  keeps coming; or a webhook set elsewhere) is reported through `on_conflict`, once a streak.
- The long polls have their own HTTP session: each holds a connection for the whole poll, so on
  the session the sends use (100 connections) 100 polling bots would leave no room for answers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramConflictError, TelegramRetryAfter, TelegramUnauthorizedError
from aiogram.methods import DeleteWebhook, GetUpdates, GetWebhookInfo

from bot import transport
from bot.session import Session
from bot.transport import UnauthorizedCallback, describe_error
from bot.updates import UpdateGate

log = logging.getLogger(__name__)

POLLER = "poller"  # another getUpdates caller with the same token
WEBHOOK = "webhook"  # a webhook this platform did not set
# (bot id, POLLER or WEBHOOK, the foreign webhook's host or "")
ConflictCallback = Callable[[int, str, str], Awaitable[None]]

# 409s in a row for this long (no poll answered between them) are someone else polling, not the
# moment after our own restart when Telegram still holds the old poll, nor a proxy's stray 409.
CONFLICT_ALERT_AFTER = 120.0
CONFLICT_ALERT_MIN = 3
# Seconds a poll's HTTP request may take beyond the long-poll timeout before it counts as lost.
REQUEST_MARGIN = 10


@dataclass(eq=False)
class _Loop:
    """One bot's polling: what a restart needs, and the streaks the loop is in."""

    bot: Bot
    dispatcher: Dispatcher
    platform: bool
    task: asyncio.Task[None] | None = None
    restart: asyncio.TimerHandle | None = None
    offset: int | None = None  # kept across restarts, so no update is handled twice
    failures: int = 0  # failed polls in a row
    restarts: int = 0  # restarts since the last successful poll
    conflicts: int = 0  # 409s in a row
    first_conflict: float = 0.0
    alerted: bool = False


class PollingSupervisor:
    """One `getUpdates` loop per bot, started and stopped as trackers come and go."""

    def __init__(self, on_unauthorized: UnauthorizedCallback, *, api: TelegramAPIServer | None = None,
                 timeout: int = 30, on_conflict: ConflictCallback | None = None,
                 gate: UpdateGate | None = None) -> None:
        self._on_unauthorized = on_unauthorized
        self._on_conflict = on_conflict
        self._timeout = timeout
        self._loops: dict[int, _Loop] = {}
        self._runner = transport._UpdateRunner(gate)  # each update once (bot.updates)
        self._stopping = False
        # No cap: each loop has at most one request in flight, so the pool is exactly the number
        # of polling bots; a cap below it would make the bots above it wait a whole poll.
        self.session = Session(api=api, limit=0) if api is not None else Session(limit=0)
        self.restarts_total = 0  # loops restarted since start (for health and metrics)

    # -- the transport interface -------------------------------------------------------------

    async def start(self) -> None:
        return None

    async def attach(self, bot: Bot, dispatcher: Dispatcher, *, platform: bool = False) -> None:
        # A webhook (left from a webhook-mode run, or someone else's) is dealt with by the loop
        # when getUpdates meets it: no call per bot at start.
        await self.detach(bot)
        loop = _Loop(bot, dispatcher, platform)
        self._loops[bot.id] = loop
        self._spawn(loop)

    async def detach(self, bot: Bot) -> None:
        loop = self._loops.pop(bot.id, None)
        if loop is not None:
            await self._end(loop)

    def polling(self, bot_id: int) -> bool:
        """A loop is running for this bot (False while a dead one waits for its restart)."""
        loop = self._loops.get(bot_id)
        return loop is not None and loop.task is not None and not loop.task.done()

    def healthy(self, bot_id: int) -> bool:
        """Polling, and its last poll was answered."""
        loop = self._loops.get(bot_id)
        return self.polling(bot_id) and loop is not None and loop.failures == 0

    @property
    def alive(self) -> int:
        return sum(1 for bot_id in self._loops if self.polling(bot_id))

    @property
    def restarting(self) -> int:
        return len(self._loops) - self.alive

    def loop_states(self) -> tuple[int, int]:
        """(loops running, of which retrying after failed polls), for bot.metrics."""
        running = [loop for bot_id, loop in self._loops.items() if self.polling(bot_id)]
        return len(running), sum(1 for loop in running if loop.failures)

    async def stop(self) -> None:
        self._stopping = True
        loops = list(self._loops.values())
        self._loops.clear()
        await asyncio.gather(*(self._end(loop) for loop in loops), return_exceptions=True)
        await self._runner.drain()
        await self.session.close()

    # -- keeping loops alive -----------------------------------------------------------------

    def _spawn(self, loop: _Loop) -> None:
        loop.restart = None
        if self._stopping or self._loops.get(loop.bot.id) is not loop:
            return
        task = asyncio.create_task(self._poll(loop), name=f"poll-{loop.bot.id}")
        loop.task = task
        task.add_done_callback(lambda done: self._ended(loop, done))

    def _ended(self, loop: _Loop, task: asyncio.Task[None]) -> None:
        reason = "cancelled" if task.cancelled() else describe_error(task.exception()) if task.exception() else ""
        if self._stopping or self._loops.get(loop.bot.id) is not loop or loop.task is not task:
            return  # detached, stopped, or its token was revoked: meant to end
        loop.restarts += 1
        self.restarts_total += 1
        pause = transport.retry_pause(loop.restarts)
        log.warning("bot %s: polling loop ended (%s); restarting it in %.1f s", loop.bot.id,
                    reason or "returned", pause)
        loop.restart = asyncio.get_running_loop().call_later(pause, self._spawn, loop)

    async def _end(self, loop: _Loop) -> None:
        if loop.restart is not None:
            loop.restart.cancel()
        task, loop.task = loop.task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    # -- one loop ----------------------------------------------------------------------------

    async def _poll(self, loop: _Loop) -> None:
        """Poll until the token is revoked or the loop is cancelled. Every other failure is
        retried with a growing, jittered pause and logged once per streak: a loop that ended on
        one bad answer would leave that bot, or the whole platform, deaf until a restart."""
        bot = loop.bot
        allowed = loop.dispatcher.resolve_used_update_types()
        while True:
            try:
                updates = await self.session(bot, GetUpdates(offset=loop.offset, timeout=self._timeout,
                                                             allowed_updates=allowed),
                                             timeout=self._timeout + REQUEST_MARGIN)
            except TelegramUnauthorizedError:
                log.warning("bot %s: token rejected by Telegram, stopping its polling", bot.id)
                self._loops.pop(bot.id, None)
                await self._on_unauthorized(bot.id)
                return
            except TelegramRetryAfter as exc:
                await asyncio.sleep(exc.retry_after)
                continue
            except TelegramConflictError as exc:
                if await self._conflict(loop, str(exc)):
                    continue  # our own old webhook: deleted, poll again now
                await self._failed(loop, exc)
                continue
            except Exception as exc:  # noqa: BLE001 - nothing else may end the loop; a cancel (BaseException) still does
                await self._failed(loop, exc)
                continue
            self._answered(loop)
            for update in updates:
                loop.offset = update.update_id + 1
                self._runner.feed(loop.dispatcher, bot, update)

    async def _failed(self, loop: _Loop, exc: Exception) -> None:
        loop.failures += 1
        if loop.failures == 1:
            log.warning("bot %s: polling failed (%s), retrying; further failures in a row are not logged",
                        loop.bot.id, describe_error(exc))
        await asyncio.sleep(transport.retry_pause(loop.failures))

    def _answered(self, loop: _Loop) -> None:
        if loop.failures:
            log.info("bot %s: polling works again after %d failures", loop.bot.id, loop.failures)
        loop.failures = loop.restarts = 0
        loop.conflicts, loop.alerted = 0, False  # whoever took the updates is gone: a new takeover alerts again

    async def _conflict(self, loop: _Loop, text: str) -> bool:
        """A 409. True if it was a webhook this platform set (in webhook mode) and it was
        deleted; otherwise count it, and report a foreign webhook or a persistent other poller."""
        bot = loop.bot
        now = time.monotonic()
        if not loop.conflicts:
            loop.first_conflict = now
        loop.conflicts += 1
        if "webhook" in text.lower():
            if loop.alerted:
                return False  # reported; getUpdates succeeds again once it is gone
            try:
                info = await self.session(bot, GetWebhookInfo(), timeout=REQUEST_MARGIN)
            except Exception as exc:  # noqa: BLE001 - ask again at the next 409
                log.info("bot %s: getWebhookInfo failed (%s)", bot.id, describe_error(exc))
                return False
            if not info.url:
                return True  # deleted meanwhile
            if _ours(info.url, bot.id, platform=loop.platform):
                log.info("bot %s: deleting the webhook left from a webhook-mode run", bot.id)
                try:
                    await self.session(bot, DeleteWebhook(drop_pending_updates=False), timeout=REQUEST_MARGIN)
                except Exception as exc:  # noqa: BLE001 - the next 409 tries again
                    log.info("bot %s: deleteWebhook failed (%s)", bot.id, describe_error(exc))
                    return False
                loop.conflicts = 0
                return True
            await self._alert(loop, WEBHOOK, urlsplit(info.url).hostname or "?")
            return False
        if loop.conflicts >= CONFLICT_ALERT_MIN and now - loop.first_conflict >= CONFLICT_ALERT_AFTER:
            await self._alert(loop, POLLER, "")
        return False

    async def _alert(self, loop: _Loop, kind: str, host: str) -> None:
        if loop.alerted:
            return
        loop.alerted = True
        log.warning("bot %s: someone else takes its updates (%s%s)", loop.bot.id, kind, f" at {host}" if host else "")
        if self._on_conflict is None:
            return
        try:
            await self._on_conflict(loop.bot.id, kind, host)
        except Exception:  # noqa: BLE001 - the alert is a courtesy; polling goes on
            log.exception("bot %s: the conflict alert failed", loop.bot.id)


def _ours(url: str, bot_id: int, *, platform: bool) -> bool:
    """A webhook URL this platform sets in webhook mode (bot.transport.WebhookServer.url_for)."""
    path = urlsplit(url).path.rstrip("/")
    return path.endswith("/webhook/platform" if platform else f"/webhook/tracker/{bot_id}")
