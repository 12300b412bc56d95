"""What Telegram must know about each tracker bot, told only when it changed.

Webhook mode sets a webhook (URL, secret token, allowed updates) and, in both modes, the bot's
commands in each language: three calls a bot. Sent at every start for every tracker, that was
30,003 calls at 10,000 trackers (minutes against the real API, and rate limited). Instead a
digest of what was registered is kept with the tracker (`Tracker.registered`); a start calls the
Bot API only for the trackers whose digest differs (a new locale text, a new base URL, a switch
between polling and webhooks, a registration that failed), a few dozen bots at a time. Each
success is stored at once, so a start that dies half-way resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter, TelegramUnauthorizedError
from aiogram.types import BotCommand

from bot.transport import describe_error
from models import Tracker

log = logging.getLogger(__name__)

CONCURRENCY = 25  # bots registered at once: Telegram's limits are per bot, the start stays short
RETRY_AFTER_MAX = 60  # a 429 asking for longer leaves the bot for the next start


@dataclass(frozen=True)
class Registration:
    """What one bot should have registered; `webhook_url` None in polling mode."""

    commands: dict[str | None, list[BotCommand]]  # language code (None: the default) -> commands
    webhook_url: str | None = None
    secret: str | None = None
    allowed_updates: list[str] = field(default_factory=list)

    def digest(self) -> str:
        described = {
            "url": self.webhook_url, "secret": self.secret, "allowed": sorted(self.allowed_updates),
            "commands": {lang or "": [[c.command, c.description] for c in cmds]
                         for lang, cmds in self.commands.items()},
        }
        return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()


class Registrar:
    def __init__(self, on_unauthorized: Callable[[int], Awaitable[None]], *, concurrency: int = CONCURRENCY) -> None:
        self._on_unauthorized = on_unauthorized
        self._concurrency = concurrency
        self.calls = 0  # Bot API calls made (for the start's log line and the benchmark)

    async def register(self, tracker: Tracker, bot: Bot, wanted: Registration) -> bool:
        """Tell Telegram, then store the digest. False if Telegram refused or could not be
        reached (the next start tries again)."""
        for _ in range(3):
            try:
                await self._send(bot, wanted)
                break
            except TelegramUnauthorizedError:
                await self._on_unauthorized(bot.id)
                return False
            except TelegramRetryAfter as exc:
                if exc.retry_after > RETRY_AFTER_MAX:
                    log.warning("bot %s: not registered, Telegram asks to wait %s s", bot.id, exc.retry_after)
                    return False
                await asyncio.sleep(exc.retry_after)
            except Exception as exc:  # noqa: BLE001 - one bot's failure must not stop the others' start
                log.warning("bot %s: not registered (%s); the next start tries again", bot.id, describe_error(exc))
                return False
        else:
            return False
        digest = wanted.digest()
        await Tracker.filter(id=tracker.id).update(registered=digest)
        tracker.registered = digest
        return True

    async def sync(self, pending: Iterable[tuple[Tracker, Bot, Registration]]) -> tuple[int, int]:
        """Register every tracker whose digest changed, `concurrency` at a time; (changed, failed)."""
        todo = [(t, b, r) for t, b, r in pending if t.registered != r.digest()]
        if not todo:
            return 0, 0
        gate = asyncio.Semaphore(self._concurrency)

        async def one(tracker: Tracker, bot: Bot, wanted: Registration) -> bool:
            async with gate:
                return await self.register(tracker, bot, wanted)

        done = await asyncio.gather(*(one(*item) for item in todo))
        failed = done.count(False)
        log.info("registered %d tracker bot(s) with Telegram (%d failed, %d Bot API calls)",
                 len(todo) - failed, failed, self.calls)
        return len(todo), failed

    async def _send(self, bot: Bot, wanted: Registration) -> None:
        if wanted.webhook_url is not None:
            self.calls += 1
            await bot.set_webhook(url=wanted.webhook_url, secret_token=wanted.secret,
                                  allowed_updates=wanted.allowed_updates)
        for lang, commands in wanted.commands.items():
            self.calls += 1
            await bot.set_my_commands(commands, language_code=lang)


AUDIT_ROUND_SECONDS = 3600.0  # each tracker's webhook is asked about once an hour
AUDIT_MIN_GAP = 0.05  # at most 20 getWebhookInfo a second, however many trackers


class WebhookAudit:
    """Webhook mode: a start no longer re-sets every webhook, so one changed behind the
    platform's back would stay changed. One tracker at a time, a round an hour, its webhook is
    asked about: gone, it is set again; pointing elsewhere (the author's own server, or anyone
    with the token), the author is alerted once, and it is left alone: the author may mean it."""

    def __init__(self, bots: Callable[[], list[Bot]], expected_url: Callable[[Bot], str],
                 on_missing: Callable[[Bot], Awaitable[None]], on_foreign: Callable[[int, str], Awaitable[None]],
                 *, round_seconds: float | None = None) -> None:
        self._bots, self._expected = bots, expected_url
        self._on_missing, self._on_foreign = on_missing, on_foreign
        self._round = round_seconds
        self._alerted: set[int] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhook-audit")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            round_seconds = AUDIT_ROUND_SECONDS if self._round is None else self._round
            bots = self._bots()
            if not bots:
                await asyncio.sleep(round_seconds)
                continue
            gap = max(round_seconds / len(bots), AUDIT_MIN_GAP)
            for bot in bots:
                await asyncio.sleep(gap)
                try:
                    await self.check(bot)
                except Exception as exc:  # noqa: BLE001 - the next round asks again
                    log.info("bot %s: webhook audit failed (%s)", bot.id, describe_error(exc))

    async def check(self, bot: Bot) -> None:
        try:
            info = await bot.get_webhook_info()
        except TelegramUnauthorizedError:
            return  # the token is gone: its next update or start reports it
        if info.url == self._expected(bot):
            self._alerted.discard(bot.id)
            return
        if not info.url:
            log.warning("bot %s: its webhook is gone; setting it again", bot.id)
            await self._on_missing(bot)
        elif bot.id not in self._alerted:
            self._alerted.add(bot.id)
            host = urlsplit(info.url).hostname or "?"
            log.warning("bot %s: its webhook points elsewhere (%s)", bot.id, host)
            await self._on_foreign(bot.id, host)
