"""Partner channels and the outbox of live events delivered to them (issue 7)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from models.enums import ChannelStatus, OutboxStatus, enum_column

if TYPE_CHECKING:
    from models.platform import Tracker, User


class PartnerChannel(Model):
    """A Telegram channel where a partner (or author) added a tracker bot to receive live events.

    `events` lists the event kinds the owner chose to receive. `accrual_digest` turns the
    per-period accrual posts into one post a day.
    """
    _no_comments = True

    id = fields.IntField(primary_key=True)
    tracker: fields.ForeignKeyRelation[Tracker] = fields.ForeignKeyField("models.Tracker", related_name="channels")
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="channels")
    chat_id = fields.BigIntField()
    title = fields.CharField(max_length=255, default="")
    status = enum_column(ChannelStatus, max_length=16, default=ChannelStatus.CONNECTED)
    events: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    accrual_digest = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        tracker_id: int
        owner_id: int

    class Meta:
        table = "partner_channels"
        unique_together = (("tracker", "chat_id"),)
        indexes = (("owner_id", "tracker_id", "status"),)


class PrivateEvents(Model):
    """What a partner or author hears from a tracker bot in their private chat, while they have no channel.

    No row means the defaults: every kind, accruals as they settle. `events` lists the kinds
    chosen (notify.private.PRIVATE_KINDS), `accrual_digest` turns accruals into one message a day.
    """
    _no_comments = True

    id = fields.IntField(primary_key=True)
    tracker: fields.ForeignKeyRelation[Tracker] = fields.ForeignKeyField(
        "models.Tracker", related_name="private_events"
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="private_events")
    events: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    accrual_digest = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField(auto_now=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        tracker_id: int
        user_id: int

    class Meta:
        table = "private_events"
        unique_together = (("tracker", "user"),)


class OutboxEvent(Model):
    """A message to deliver after the fact it reports was committed (written in that transaction).

    `dedupe_key` makes writing the same event twice a no-op, so it is shown once. `bot_id` is the
    Telegram bot that sends it (a tracker bot, or the platform bot), `chat_id` where it goes.
    Text is rendered at delivery from `kind` and `params` in `language`. Delivery is in id order
    per chat. `claimed_by`/`claimed_until` let several workers share the queue.
    """
    _no_comments = True

    id = fields.BigIntField(primary_key=True)
    dedupe_key = fields.CharField(max_length=160, unique=True)
    kind = fields.CharField(max_length=32)
    bot_id = fields.BigIntField()
    chat_id = fields.BigIntField()
    tracker: fields.ForeignKeyNullableRelation[Tracker] = fields.ForeignKeyField(
        "models.Tracker", related_name="outbox", null=True
    )
    channel: fields.ForeignKeyNullableRelation[PartnerChannel] = fields.ForeignKeyField(
        "models.PartnerChannel", related_name="outbox", null=True
    )
    language = fields.CharField(max_length=16, default="ru")
    params: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    status = enum_column(OutboxStatus, max_length=16, default=OutboxStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claimed_by = fields.CharField(max_length=64, null=True)
    claimed_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        tracker_id: int | None
        channel_id: int | None

    class Meta:
        table = "outbox_events"
        indexes = (("status", "next_attempt_at", "id"), ("chat_id", "status", "id"))


class Lease(Model):
    """A named lease held by one worker until `expires_at` (the scheduler leader, issue 8)."""
    _no_comments = True

    name = fields.CharField(max_length=64, primary_key=True)
    holder = fields.CharField(max_length=128)
    expires_at = fields.DatetimeField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "leases"
