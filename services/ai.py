"""The AI tracker in the running process: the LLM client, the conversation service, answers streamed
into Telegram, and the meetings the scheduler opens.

`AIRuntime` is built by the composition root (`bot.app.Runtime`, seen here as `services.ports.Host`)
and shared with handlers as the `ai` service (the client itself as `llm`). At start it seeds the
mJ rate if none exists and the default endpoint's model prices that are missing
(`billing.default_prices`), installs itself as the meeting jobs' host (`scheduler.meetings.install_host`),
plans what is missing and rebuilds a date job for every planned meeting in the database: the plan
survives restarts because the table is the plan.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from tortoise.exceptions import IntegrityError

from billing.access import active_subscription
from billing.default_prices import seed_default_prices
from billing.plans import PriceTag
from billing.rates import add_rate
from i18n.catalog import Translator, for_user
from i18n.format import day
from llm import LLMClient
from llm import meetings as mt
from llm.conversation import ConversationService, Request
from models import MjRate, Scenario, Tracker, User
from scheduler import meetings as jobs
from services.ports import Host

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
SEED_RATE = (datetime(2025, 1, 1, tzinfo=UTC), Decimal("1.5"))  # the seed: 400 mJ = 600 RUB, Jan 2025
# What shows the plans when access runs out: given the plans on sale when the conversation read
# them with the client's access, None to read them itself.
Paywall = Callable[[Sequence[PriceTag] | None], Awaitable[Any]]
TYPING_EVERY = 4.5  # Telegram shows "typing" for ~5 s


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a newline or a space where possible."""
    parts = []
    while len(text) > limit:
        cut = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        parts.append(text[:cut])
        text = text[cut:].lstrip()
    parts.append(text)
    return [p for p in parts if p] or ["…"]


class TelegramSink:
    """Streams one answer into a chat: a first message at the first text, edits at most every
    `interval` seconds while it grows (Telegram allows about one edit a second per chat), a final
    edit with the whole text; "typing" while the model thinks."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        i18n: Translator,
        *,
        paywall: Paywall | None = None,
        interval: float = 1.0,
    ) -> None:
        self.bot, self.chat_id, self.i18n = bot, chat_id, i18n
        self._paywall = paywall
        self.interval = interval
        self._message_id: int | None = None
        self._shown = ""
        self._next_edit = 0.0
        self._typing: asyncio.Task[None] | None = None

    async def typing(self) -> None:
        self._stop_typing()
        self._typing = asyncio.create_task(self._keep_typing())

    async def _keep_typing(self) -> None:
        while True:
            try:
                await self.bot.send_chat_action(self.chat_id, "typing")
            except TelegramAPIError:
                return
            await asyncio.sleep(TYPING_EVERY)

    def _stop_typing(self) -> None:
        if self._typing is not None:
            self._typing.cancel()
            self._typing = None

    async def delta(self, text: str) -> None:
        text = text[:TEXT_LIMIT].rstrip()
        if not text.strip():
            return
        now = time.monotonic()
        if self._message_id is None:
            self._stop_typing()
            try:
                sent = await self.bot.send_message(self.chat_id, text, parse_mode=None)
            except TelegramAPIError as exc:
                log.info("chat %s: first part not sent: %s", self.chat_id, exc)
                return
            self._message_id, self._shown, self._next_edit = sent.message_id, text, now + self.interval
        elif now >= self._next_edit and text != self._shown:
            self._next_edit = now + self.interval
            await self._edit(text, final=False)

    async def _edit(self, text: str, *, final: bool) -> None:
        for _ in range(3 if final else 1):
            try:
                await self.bot.edit_message_text(
                    text, chat_id=self.chat_id, message_id=self._message_id, parse_mode=None
                )
                self._shown = text
                return
            except TelegramRetryAfter as exc:  # too fast: skip this edit, or wait for the final one
                self._next_edit = time.monotonic() + exc.retry_after
                if not final:
                    return
                await asyncio.sleep(min(exc.retry_after, 10))
            except TelegramAPIError as exc:
                log.info("chat %s: edit failed: %s", self.chat_id, exc)
                return

    async def done(self, text: str) -> None:
        self._stop_typing()
        parts = split_text(text)
        if self._message_id is None:
            first, rest = None, parts
        else:
            first, rest = parts[0], parts[1:]
            if first != self._shown:
                await self._edit(first, final=True)
        for part in rest:
            try:
                await self.bot.send_message(self.chat_id, part, parse_mode=None)
            except TelegramAPIError as exc:
                log.info("chat %s: answer not sent: %s", self.chat_id, exc)
                return
        self._message_id, self._shown = None, ""  # a next answer starts a new message

    async def notice(self, key: str, **params: Any) -> None:
        self._stop_typing()
        try:
            # the domain hands over dates as dates; the reader's language decides how they read
            shown = {k: day(v, lang=self.i18n.lang) if isinstance(v, date) else v for k, v in params.items()}
            await self.bot.send_message(self.chat_id, self.i18n(key, **shown), parse_mode=None)
        except TelegramAPIError as exc:
            log.info("chat %s: notice not sent: %s", self.chat_id, exc)

    async def paywall(self, plans: Sequence[PriceTag] | None = None) -> None:
        self._stop_typing()
        if self._paywall is not None:
            await self._paywall(plans)


class AIRuntime:
    def __init__(self, runtime: Host) -> None:
        self.rt = runtime
        s = runtime.settings
        self.llm = LLMClient(s.openai_base_url, s.openai_api_key.get_secret_value() or "not-set", timeout=s.llm_timeout)
        # Alerts to the author and the admins go through the outbox (billing.alerts).
        self.conversations = ConversationService(self.llm, default_model=s.default_model, admin_ids=s.admin_ids)
        self.edit_interval = s.stream_edit_interval

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        if not await MjRate.exists():
            try:
                await add_rate(*SEED_RATE)
                log.info("seeded the mJ rate: %s RUB per mJ from %s", SEED_RATE[1], SEED_RATE[0].date())
            except (IntegrityError, ValueError):  # another worker, starting at the same moment, seeded it
                pass
        await seed_default_prices(self.rt.settings.openai_base_url)
        jobs.install_host(self)
        for planned in await mt.pending():
            jobs.schedule_open(self.rt.scheduler, planned.id, planned.due_at)
        await self.sweep()
        jobs.install_sweep(self.rt.scheduler, self.rt.settings.meetings_sweep_seconds)

    async def stop(self) -> None:
        if jobs.current_host() is self:
            jobs.install_host(None)
        await self.conversations.aclose()
        await self.llm.aclose()

    # -- helpers for handlers ----------------------------------------------------------------

    def sink(
        self, bot: Bot, chat_id: int, i18n: Translator, paywall: Paywall | None = None
    ) -> TelegramSink:
        return TelegramSink(bot, chat_id, i18n, paywall=paywall, interval=self.edit_interval)

    # -- meetings (the scheduler's host) -----------------------------------------------------

    async def sweep(self) -> int:
        await mt.close_idle()
        created = await mt.plan_due(self.rt.settings.timezone)
        for planned in created:
            jobs.schedule_open(self.rt.scheduler, planned.id, planned.due_at)
        return len(created)

    async def open_planned(self, planned_id: int) -> bool:
        planned = await mt.claim(planned_id)
        if planned is None:
            return False
        try:
            return await self._open(planned.tracker_id, planned.user_id, planned.scenario_id, scheduled=True)
        finally:
            await self.sweep()  # the next occurrence of a weekly scenario

    async def _open(self, tracker_id: int, user_id: int, scenario_id: int, *, scheduled: bool) -> bool:
        tracker = await Tracker.get_or_none(id=tracker_id)
        bot = self.rt.registry.get(tracker.bot_id) if tracker is not None else None
        if tracker is None or bot is None or not tracker.is_live:
            log.info("meeting not opened: tracker %s is not served", tracker_id)
            return False
        if scheduled and await active_subscription(tracker_id, user_id) is None:
            return False
        user = await User.get_or_none(id=user_id)
        i18n = for_user(user.language_code if user else None)
        scenario = await Scenario.get_or_none(id=scenario_id, tracker_id=tracker_id, active=True)
        if scenario is None:
            return False
        self.conversations.submit(
            Request(tracker_id, user_id, None, self.sink(bot, user_id, i18n), open_scenario_id=scenario.id)
        )
        return True
