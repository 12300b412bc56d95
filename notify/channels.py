"""Partner channels: linking a Telegram channel to its owner on a tracker, and their choices.

Every change is checked against the asking person: a channel id from a callback that is not
theirs on this tracker finds nothing.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import ChannelStatus, PartnerChannel
from notify import outbox
from notify.events import ACCRUAL, CHANNEL_KINDS


async def connect(tracker_id: int, chat_id: int, owner_id: int, title: str) -> tuple[PartnerChannel, bool]:
    """The bot may post in this channel, on `owner_id`'s behalf: link it (again). Returns the
    channel and whether it was not connected before. A reconnected channel keeps its choices."""
    title = (title or "")[:255]
    channel = await PartnerChannel.get_or_none(tracker_id=tracker_id, chat_id=chat_id)
    if channel is None:
        try:
            channel = await PartnerChannel.create(
                tracker_id=tracker_id, chat_id=chat_id, owner_id=owner_id, title=title,
                status=ChannelStatus.CONNECTED, events=list(CHANNEL_KINDS),
            )
            return channel, True
        except IntegrityError:  # the same update handled twice at once
            channel = await PartnerChannel.get(tracker_id=tracker_id, chat_id=chat_id)
    was_connected = channel.status == ChannelStatus.CONNECTED and channel.owner_id == owner_id
    channel.owner_id, channel.title, channel.status = owner_id, title, ChannelStatus.CONNECTED
    await channel.save(update_fields=["owner_id", "title", "status", "updated_at"])
    return channel, not was_connected


async def disconnect(channel: PartnerChannel, reason: str) -> bool:
    """Mark it disconnected and skip what was waiting for it; False if it already was."""
    async with in_transaction():
        changed = await PartnerChannel.filter(id=channel.id, status=ChannelStatus.CONNECTED).update(
            status=ChannelStatus.DISCONNECTED
        )
        await outbox.skip_channel(channel.id, reason)
    channel.status = ChannelStatus.DISCONNECTED
    return bool(changed)


async def by_chat(tracker_id: int, chat_id: int) -> PartnerChannel | None:
    return await PartnerChannel.get_or_none(tracker_id=tracker_id, chat_id=chat_id)


async def mine(tracker_id: int, owner_id: int) -> list[PartnerChannel]:
    """The owner's channels on this tracker, connected first."""
    channels = await PartnerChannel.filter(tracker_id=tracker_id, owner_id=owner_id).order_by("id")
    return sorted(channels, key=lambda c: c.status != ChannelStatus.CONNECTED)


async def own(tracker_id: int, owner_id: int, channel_id: object) -> PartnerChannel | None:
    try:
        channel_id = int(channel_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return await PartnerChannel.get_or_none(id=channel_id, tracker_id=tracker_id, owner_id=owner_id)


async def toggle(channel: PartnerChannel, kind: str) -> list[str]:
    """Turn one event kind on or off; the kinds stay in the cabinet's order."""
    if kind not in CHANNEL_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    chosen = set(channel.events or [])
    chosen ^= {kind}
    channel.events = [k for k in CHANNEL_KINDS if k in chosen]
    await channel.save(update_fields=["events", "updated_at"])
    return channel.events


async def set_digest(channel: PartnerChannel, digest: bool) -> None:
    """Accruals one by one or as one post a day; either choice turns accruals on."""
    channel.accrual_digest = digest
    if ACCRUAL not in (channel.events or []):
        channel.events = [k for k in CHANNEL_KINDS if k in {*channel.events, ACCRUAL}]
    await channel.save(update_fields=["accrual_digest", "events", "updated_at"])
