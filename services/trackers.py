"""An author's trackers: register from a @BotFather token, rename, pause, resume, re-token, delete.

Every method takes the acting user's id and refuses a tracker that is not theirs, so a forged
callback or a stale dialog can never touch someone else's bot. Errors carry a locale key.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiogram.exceptions import TelegramNetworkError, TelegramServerError, TelegramUnauthorizedError
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import referral
from billing.payments import stars_cancellations
from models import Tracker, TrackerStatus
from services import tracker_cache
from services.ports import Host

log = logging.getLogger(__name__)

TOKEN_IN_TEXT = re.compile(r"\b(\d{5,20}:[A-Za-z0-9_-]{30,80})\b")
NAME_MAX, DESCRIPTION_MAX = 64, 512


@dataclass
class TrackerError(Exception):
    """`key` is a locale key; `params` fill it."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Stopped:
    """A tracker paused or deleted, and how many clients' Stars subscriptions are being cancelled
    in the background (services.stars_cancel)."""

    tracker: Tracker
    stars_cancelling: int = 0


def extract_token(text: str | None) -> str | None:
    """The token in a pasted @BotFather message (it may come with the whole message around it)."""
    match = TOKEN_IN_TEXT.search(text or "")
    return match.group(1) if match else None


class TrackerService:
    def __init__(self, runtime: Host) -> None:
        self._rt = runtime

    async def list_for(self, author_id: int) -> list[Tracker]:
        return await Tracker.filter(author_id=author_id).exclude(status=TrackerStatus.DELETED).order_by("id")

    async def owned(self, author_id: int, tracker_id: int) -> Tracker:
        tracker = await Tracker.get_or_none(id=tracker_id, author_id=author_id)
        if tracker is None or tracker.status == TrackerStatus.DELETED:
            raise TrackerError("tracker-not-found")
        return tracker

    async def _check_token(self, text: str | None) -> tuple[str, Any]:
        token = extract_token(text)
        if token is None:
            raise TrackerError("token-not-a-token")
        if token.split(":", 1)[0] == str(self._rt.platform_bot.id):
            raise TrackerError("token-platform-own")
        probe = self._rt.registry.make(token)
        try:
            me = await probe.get_me()
        except TelegramUnauthorizedError:
            raise TrackerError("token-rejected") from None
        except (TelegramNetworkError, TelegramServerError):
            raise TrackerError("token-telegram-unreachable") from None
        return token, me

    async def share_link(self, tracker: Tracker, label: str = "") -> str:
        """The link the author should hand out: their own invite link (made with `label` if missing,
        e.g. for a tracker registered before every tracker got one)."""
        link = await referral.author_link(tracker.id, label)
        return referral.deep_link(tracker.username, link.code)

    async def register(self, author_id: int, text: str | None, *, link_label: str = "") -> Tracker:
        """Serves the bot and gives the author their invite link on it (labelled `link_label`)."""
        token, me = await self._check_token(text)
        existing = await Tracker.get_or_none(bot_id=me.id)
        if existing is not None and existing.status != TrackerStatus.DELETED:
            key = "token-registered-yours" if existing.author_id == author_id else "token-registered-other"
            raise TrackerError(key, {"username": existing.username})
        if existing is not None and existing.author_id != author_id:
            # A deleted tracker keeps its money history; it cannot change hands.
            raise TrackerError("token-registered-other", {"username": existing.username})
        fields = dict(
            username=me.username or str(me.id),
            name=me.first_name[:NAME_MAX],
            token_encrypted=self._rt.box.encrypt(token),
            status=TrackerStatus.ACTIVE,
        )
        if existing is not None:  # the author brings back a bot they deleted
            await Tracker.filter(id=existing.id).update(**fields, updated_at=datetime.now(UTC))
            tracker_cache.forget(tracker_id=existing.id)
            tracker = await Tracker.get(id=existing.id)
        else:
            try:
                tracker = await Tracker.create(bot_id=me.id, author_id=author_id, **fields)
            except IntegrityError:  # the same token pasted twice at once
                raise TrackerError("token-registered-yours", {"username": fields["username"]}) from None
        await referral.author_link(tracker.id, link_label)
        await self._rt.serve_tracker(tracker)
        log.info("tracker %s (@%s) registered by %s", tracker.id, tracker.username, author_id)
        return tracker

    async def replace_token(self, author_id: int, tracker_id: int, text: str | None) -> Tracker:
        tracker = await self.owned(author_id, tracker_id)
        token, me = await self._check_token(text)
        if me.id != tracker.bot_id:
            raise TrackerError("token-different-bot", {"username": tracker.username})
        await self._rt.unserve_tracker(tracker.bot_id)
        status = TrackerStatus.PAUSED if tracker.status == TrackerStatus.PAUSED else TrackerStatus.ACTIVE
        await Tracker.filter(id=tracker.id).update(
            token_encrypted=self._rt.box.encrypt(token), status=status, username=me.username or tracker.username,
            updated_at=datetime.now(UTC),
        )
        tracker_cache.forget(tracker_id=tracker.id)
        tracker = await Tracker.get(id=tracker.id)
        await self._rt.serve_tracker(tracker)
        return tracker

    async def rename(self, author_id: int, tracker_id: int, name: str) -> Tracker:
        tracker = await self.owned(author_id, tracker_id)
        name = " ".join(name.split())
        if not name or len(name) > NAME_MAX:
            raise TrackerError("tracker-name-invalid", {"max": NAME_MAX})
        tracker.name = name
        await tracker.save(update_fields=["name", "updated_at"])
        tracker_cache.forget(tracker_id=tracker.id)
        return tracker

    async def describe(self, author_id: int, tracker_id: int, description: str) -> Tracker:
        tracker = await self.owned(author_id, tracker_id)
        description = description.strip()
        if not description or len(description) > DESCRIPTION_MAX:
            raise TrackerError("tracker-description-invalid", {"max": DESCRIPTION_MAX})
        tracker.description = description
        await tracker.save(update_fields=["description", "updated_at"])
        tracker_cache.forget(tracker_id=tracker.id)
        await self._rt.publish_description(tracker)
        return tracker

    async def set_partners_recruit(self, author_id: int, tracker_id: int, on: bool) -> Tracker:
        """May partners hand out their own "become my partner" links (referral.may_recruit)?"""
        tracker = await self.owned(author_id, tracker_id)
        tracker.partners_recruit = on
        await tracker.save(update_fields=["partners_recruit", "updated_at"])
        tracker_cache.forget(tracker_id=tracker.id)
        return tracker

    async def pause(self, author_id: int, tracker_id: int, cancel_stars: bool = False) -> Stopped:
        """Clients get a pause notice. Stars subscriptions keep renewing unless the author chooses
        `cancel_stars` (a long pause: Telegram would charge for time the bot does not serve); then
        they are queued with the pause and cancelled in the background."""
        tracker = await self.owned(author_id, tracker_id)
        async with in_transaction() as tx:
            queued = await self._queue_stars(tx, tracker, stars_cancellations.PAUSED) if cancel_stars else 0
            if tracker.status == TrackerStatus.ACTIVE:
                tracker.status = TrackerStatus.PAUSED
                await tracker.save(update_fields=["status", "updated_at"], using_db=tx)
        tracker_cache.forget(tracker_id=tracker.id)
        self._wake_cancellations(queued)
        return Stopped(tracker, queued)

    async def resume(self, author_id: int, tracker_id: int) -> Tracker:
        tracker = await self.owned(author_id, tracker_id)
        if tracker.status == TrackerStatus.REVOKED:
            raise TrackerError("tracker-needs-new-token", {"username": tracker.username})
        if tracker.status == TrackerStatus.PAUSED:
            tracker.status = TrackerStatus.ACTIVE
            await tracker.save(update_fields=["status", "updated_at"])
            tracker_cache.forget(tracker_id=tracker.id)
        return tracker

    async def delete(self, author_id: int, tracker_id: int) -> Stopped:
        """Stops the bot; the row stays for the money history. Its clients' Stars subscriptions
        are queued for cancellation with the deletion (Telegram would go on charging them and the
        platform could no longer see it), and the token is kept, encrypted, until they are done;
        without any it is wiped at once."""
        tracker = await self.owned(author_id, tracker_id)
        await self._rt.unserve_tracker(tracker.bot_id)
        async with in_transaction() as tx:
            queued = await self._queue_stars(tx, tracker, stars_cancellations.DELETED)
            tracker.status = TrackerStatus.DELETED
            if not queued:
                tracker.token_encrypted = ""
            await tracker.save(update_fields=["status", "token_encrypted", "updated_at"], using_db=tx)
        tracker_cache.forget(tracker_id=tracker.id)
        self._wake_cancellations(queued)
        return Stopped(tracker, queued)

    async def _queue_stars(self, tx: Any, tracker: Tracker, reason: str) -> int:
        if not tracker.token_encrypted:
            log.warning("tracker %s has no token: its Stars subscriptions cannot be cancelled", tracker.id)
            return 0
        queued = await stars_cancellations.enqueue(tx, tracker.id, reason)
        if queued:
            log.info("tracker %s %s: %d Stars subscriptions queued for cancellation", tracker.id, reason, queued)
        return queued

    def _wake_cancellations(self, queued: int) -> None:
        worker = getattr(self._rt, "stars_cancel", None)
        if queued and worker is not None:
            worker.wake()
