"""The outbox's delivery loop: events written with their facts (notify/) go out to Telegram.

Every round claims due events, at most one per chat and each the oldest pending one of its chat
(`notify.outbox.claim`), and sends them concurrently, so chats never block each other while each
chat gets its events in id order. After a send the chat is paced: its next event waits
`CHANNEL_GAP` (Telegram allows about 20 posts a minute in a channel) or `PRIVATE_GAP` (about one
message a second in a private chat). Pacing and retries are kept in the database
(`next_attempt_at`), so they hold across workers and restarts.

What an answer from Telegram does to an event:
- ok: SENT.
- 429: waits `retry_after` seconds; not counted as a failure.
- 403 / "chat not found" in a channel: the channel is disconnected, its owner told, and every
  pending event of the channel SKIPPED.
- 403 or another 400 in a private chat: DEAD at once (the person never started or blocked the
  bot; repeating cannot help), kept with the error for the admin.
- anything else (network, 5xx, a tracker bot not running): retried with growing pauses, DEAD
  after `MAX_ATTEMPTS`.

A stop releases the claims; a crash leaves them to expire (`claim_seconds`, OUTBOX_CLAIM_SECONDS), so
nothing is lost either way. A message that went out just before a crash may go out again: the
delivery is at least once, and dedupe keys keep each fact to one event.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from billing.payments.renewals import RENEW_PRICE_CALLBACK, RENEW_PRICE_KEY
from billing.payouts.common import reason_text
from i18n.catalog import for_user
from i18n.format import count, day, price, rub
from models import ChannelStatus, OutboxEvent, PartnerChannel, Tracker, User
from notify import channels, notices, outbox, private
from notify import events as ev
from notify.outbox import PLATFORM_BOT
from notify.redact import describe_error, redact
from referral.codes import share_link

log = logging.getLogger(__name__)

# Kinds a person may switch off for their private chat; the loop asks again before sending.
_PRIVATE_CHOICES = frozenset({*private.PRIVATE_KINDS, ev.ACCRUAL_DIGEST})

CHANNEL_GAP = 3.0
PRIVATE_GAP = 1.0
MAX_ATTEMPTS = 8
MAX_BACKOFF = 600.0
ROUND_LIMIT = 20


def backoff(attempts: int) -> float:
    """Seconds before try number `attempts + 1`: 2, 4, 8, ... up to ten minutes."""
    return min(2.0 ** max(attempts, 1), MAX_BACKOFF)


# -- texts ---------------------------------------------------------------------------------------


def render(kind: str, params: dict[str, Any], language: str | None) -> str:
    """An event's text in the recipient's language, from the plain values it carries."""
    t = for_user(language)
    if kind == ev.CLIENT_NOTICE:
        return _client_notice(t, params)
    if kind == ev.ALERT:
        values = dict(params)
        return t(str(values.pop("key")), **values)
    values = dict(params)
    if "amount" in values:
        values["amount"] = rub(int(values["amount"]), t.lang)
    if "date" in values:  # a digest's day, carried as ISO text
        values["date"] = day(notices.read_day(str(values["date"])), lang=t.lang)
    if "name" in values:
        values["name"] = values["name"] or t("channel-someone")
    if "level" in values:
        values["level"] = t("channel-level", level=str(values["level"]))
    if "plan" in values:
        values["plan"] = t("channel-plan", plan=str(values["plan"]))
    if kind == ev.START:
        values.setdefault("own", "yes")
    if kind == ev.ACCRUAL and int(values.get("count", 1)) > 1:  # a settlement batch's sum, privately
        return t("private-ev-accruals", tracker=values.get("tracker", ""), amount=values.get("amount", ""),
                 count=int(values["count"]))
    if kind == ev.PAYOUT:
        text = t("channel-ev-payout", status=str(values.get("status")), amount=values.get("amount", ""))
        if values.get("reason"):
            text += "\n" + t("channel-ev-reason", reason=reason_text(t, str(values["reason"])))
        return text
    key = {
        ev.START: "channel-ev-start",
        ev.SUBSCRIBER: "channel-ev-subscriber",
        ev.RENEWAL: "channel-ev-renewal",
        ev.REFUND: "channel-ev-refund",
        ev.ACCRUAL: "channel-ev-accrual",
        ev.ACCRUAL_DIGEST: "channel-ev-accrual-digest",
        ev.TEST: "channel-ev-test",
        ev.PAYOUT_REQUEST: "admin-payouts-new-request",
    }[kind]
    return t(key, **values)


def _client_notice(t: Any, params: dict[str, Any]) -> str:
    """A client's notice: prices as the plans show them, dates as the client reads them."""
    values = dict(params)
    key = str(values.pop("key"))
    for money in ("amount", "old_amount"):
        if money in values:
            values[money] = price(int(values[money]), t.lang)
    if "until" in values:
        values["until"] = day(notices.read_day(str(values["until"])), lang=t.lang)
    if "stars" in values:  # the number as the reader writes it; the plural chosen from the plain one
        values["stars_n"] = int(values["stars"])
        values["stars"] = count(values["stars_n"], t.lang)
    return str(t(key, **values))


# Callback data of the button on the admins' "new payout request" message; the admin payout
# dialog (dialogs/platform/admin_payouts) answers it by opening that request's card.
OPEN_CARD = "admpo:"


# Callback data of the tracker greeting's cabinet button (dialogs.tracker.partner.dialogs.OPEN_CABINET,
# a layer above; tests/notify/test_earn_nudge.py keeps the two equal).
OPEN_CABINET = "partner:open"


def markup(kind: str, params: dict[str, Any], language: str | None) -> InlineKeyboardMarkup | None:
    """The buttons an event carries, if any: a new payout request opens its card for the admin;
    the nudge to earn shares the client's link in one tap and opens the partner cabinet."""
    t = for_user(language)
    if kind == ev.PAYOUT_REQUEST and params.get("payout"):
        button = InlineKeyboardButton(text=t("admin-payouts-btn-open"),
                                      callback_data=f"{OPEN_CARD}{int(params['payout'])}")
        return InlineKeyboardMarkup(inline_keyboard=[[button]])
    if kind == ev.CLIENT_NOTICE and params.get("key") == RENEW_PRICE_KEY and params.get("amount"):
        agree = InlineKeyboardButton(text=t("btn-renew-at-new-price", amount=price(int(params["amount"]))),
                                     callback_data=f"{RENEW_PRICE_CALLBACK}{int(params['amount'])}")
        return InlineKeyboardMarkup(inline_keyboard=[[agree]])
    if kind == ev.CLIENT_NOTICE and params.get("key") == notices.EARN_NUDGE and params.get("url"):
        share = share_link(str(params["url"]), t("partner-share-text", name=str(params.get("name", ""))))
        return InlineKeyboardMarkup(inline_keyboard=[
            [InlineKeyboardButton(text=t("partner-btn-share"), url=share)],
            [InlineKeyboardButton(text=t("partner-btn-open"), callback_data=OPEN_CABINET)],
        ])
    return None


# -- channels that went away -------------------------------------------------------------------


async def channel_lost(bot: Bot, channel: PartnerChannel, reason: str) -> bool:
    """Mark the channel disconnected, skip its pending events and tell its owner (in the private
    chat with this tracker bot, if they ever started it). False if it was disconnected already."""
    if not await channels.disconnect(channel, reason):
        return False
    owner = await User.get_or_none(id=channel.owner_id)
    tracker = await Tracker.get_or_none(id=channel.tracker_id)
    t = for_user(owner.language_code if owner else None)
    try:
        await bot.send_message(
            channel.owner_id,
            t("channel-disconnected-owner", title=channel.title, tracker=tracker.name if tracker else ""),
        )
    except Exception as exc:  # the owner never started this bot: the cabinet shows it anyway
        log.info("channel %s: owner %s not told: %s", channel.id, channel.owner_id, exc)
    return True


def _channel_gone(exc: Exception) -> bool:
    if isinstance(exc, TelegramForbiddenError):
        return True
    text = str(getattr(exc, "message", exc)).lower()
    return isinstance(exc, TelegramBadRequest) and (
        "chat not found" in text or "need administrator rights" in text or "not enough rights" in text
    )


# -- the loop ------------------------------------------------------------------------------------


class OutboxWorker:
    def __init__(self, registry: Any, platform_bot: Bot, *, poll_interval: float = 0.5,
                 claim_seconds: float = outbox.CLAIM_SECONDS, worker_id: str | None = None) -> None:
        self.registry = registry
        self.platform_bot = platform_bot
        self.poll_interval = poll_interval
        self.claim_seconds = claim_seconds
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:48]
        self._round = 0
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="outbox")

    async def stop(self, timeout: float = 10.0) -> None:
        """Let the round in flight finish (sends are short), then give back any claims."""
        self._stopping.set()
        if self._task is None:
            return  # never started (a start that failed earlier): it holds no claims
        try:
            await asyncio.wait_for(self._task, timeout)
        except (TimeoutError, asyncio.CancelledError):
            pass
        self._task = None
        try:
            await outbox.release(self.worker_id)
        except Exception:
            log.exception("outbox: claims not released (they expire on their own)")

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                sent = await self.run_once()
            except Exception:
                log.exception("outbox round failed")
                sent = 0
            if sent:
                continue  # more may be due at once
            try:
                await asyncio.wait_for(self._stopping.wait(), self.poll_interval)
            except TimeoutError:
                pass

    async def run_once(self, now: datetime | None = None) -> int:
        """One round: claim due heads of chats and deliver them; returns how many were claimed."""
        self._round += 1
        token = f"{self.worker_id}:{self._round}"
        claimed = await outbox.claim(token, limit=ROUND_LIMIT, now=now, claim_seconds=self.claim_seconds)
        if claimed:
            await asyncio.gather(*(self._deliver(token, event) for event in claimed))
        return len(claimed)

    def _bot_for(self, event: OutboxEvent) -> Bot | None:
        if event.bot_id == PLATFORM_BOT or event.bot_id == self.platform_bot.id:
            return self.platform_bot
        return self.registry.get(event.bot_id)

    async def _deliver(self, token: str, event: OutboxEvent) -> None:
        try:
            await self._deliver_one(token, event)
        except Exception as exc:  # a bug here must not stop the other chats
            log.exception("outbox event %s", event.id)
            await self._failed(token, event, describe_error(exc, limit=2000))

    async def _deliver_one(self, token: str, event: OutboxEvent) -> None:
        channel = None
        if event.channel_id is not None:
            channel = await PartnerChannel.get_or_none(id=event.channel_id)
            if channel is None or channel.status != ChannelStatus.CONNECTED:
                await outbox.mark_skipped(event, token, "channel disconnected")
                return
            wanted = ev.ACCRUAL if event.kind == ev.ACCRUAL_DIGEST else event.kind
            if event.kind != ev.TEST and wanted not in (channel.events or []):
                await outbox.mark_skipped(event, token, "event turned off")
                return
        elif event.tracker_id is not None and event.kind in _PRIVATE_CHOICES:
            if not await private.wanted_now(event.tracker_id, event.chat_id, event.kind):
                await outbox.mark_skipped(event, token, "event turned off")
                return
        bot = self._bot_for(event)
        if bot is None:
            await self._failed(token, event, f"bot {event.bot_id} is not running")
            return
        text = render(event.kind, event.params or {}, event.language)
        try:
            await bot.send_message(event.chat_id, text,
                                   reply_markup=markup(event.kind, event.params or {}, event.language))
        except TelegramRetryAfter as exc:
            at = datetime.now(UTC) + timedelta(seconds=max(float(exc.retry_after), 1.0))
            await outbox.postpone(event, token, at, error=f"429 retry after {exc.retry_after}s", failed=False)
            await outbox.pace_chat(event.chat_id, at)
            return
        except (TelegramForbiddenError, TelegramBadRequest) as exc:
            error = redact(f"{type(exc).__name__}: {exc.message}")
            if channel is not None and _channel_gone(exc):
                await outbox.mark_skipped(event, token, error)
                await channel_lost(bot, channel, error)
            else:
                await outbox.mark_dead(event, token, error)
            return
        except Exception as exc:  # network, 5xx: worth repeating
            await self._failed(token, event, describe_error(exc, limit=2000))
            return
        now = datetime.now(UTC)
        await outbox.mark_sent(event, token, now=now)
        gap = CHANNEL_GAP if event.chat_id < 0 else PRIVATE_GAP
        await outbox.pace_chat(event.chat_id, now + timedelta(seconds=gap))

    async def _failed(self, token: str, event: OutboxEvent, error: str) -> None:
        if event.attempts + 1 >= MAX_ATTEMPTS:
            log.warning("outbox event %s given up after %d attempts: %s", event.id, event.attempts + 1, error)
            await outbox.mark_dead(event, token, error)
            return
        at = datetime.now(UTC) + timedelta(seconds=backoff(event.attempts + 1))
        await outbox.postpone(event, token, at, error=error, failed=True)
