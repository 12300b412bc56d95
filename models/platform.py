"""People, tracker bots and who is on which tracker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from models.enums import Collector, TrackerStatus, enum_column

if TYPE_CHECKING:
    from models.referral import InviteLink


class User(Model):
    """A Telegram user. The primary key is the Telegram user id."""
    _no_comments = True

    id = fields.BigIntField(primary_key=True, generated=False)
    first_name = fields.CharField(max_length=128, default="")
    username = fields.CharField(max_length=64, null=True)
    language_code = fields.CharField(max_length=16, null=True)
    timezone = fields.CharField(max_length=64, null=True)  # IANA name; None: the platform's
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"


class Tracker(Model):
    """An author's tracker bot. The token is stored encrypted (bot.crypto.SecretBox)."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    bot_id = fields.BigIntField(unique=True)
    username = fields.CharField(max_length=64)
    name = fields.CharField(max_length=128)
    description = fields.TextField(default="")
    author: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="trackers")
    token_encrypted = fields.TextField()
    status = enum_column(TrackerStatus, default=TrackerStatus.ACTIVE, max_length=16)
    system_prompt = fields.TextField(default="")
    model = fields.CharField(max_length=128, null=True)
    free_messages = fields.IntField(default=0)
    # mJ a subscriber may spend per accounting period; None: what keeps the margin non-negative.
    period_mj_limit = fields.DecimalField(max_digits=14, decimal_places=3, null=True)
    # Telegram issues a payment provider token for one bot (@BotFather, Bot Settings → Payments):
    # the author enters this tracker's own; encrypted like the bot token, "" when none.
    provider_token_encrypted = fields.TextField(default="", db_default="")
    # Whose shop that token pays into: the author's own unless the admin says it is the platform's.
    provider_collector = enum_column(Collector, default=Collector.AUTHOR, db_default=Collector.AUTHOR.value,
                                     max_length=16)
    # May partners (not only the author) make "become my partner" links? The author's switch.
    partners_recruit = fields.BooleanField(default=True, db_default=True)
    # A digest of what Telegram was last told for this bot (webhook URL, secret, allowed updates,
    # commands; bot.registration): a start with nothing changed makes no call for it.
    registered = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        author_id: int

    class Meta:
        table = "trackers"

    @property
    def is_live(self) -> bool:
        return self.status == TrackerStatus.ACTIVE

    @property
    def link(self) -> str:
        return f"https://t.me/{self.username}"


class Membership(Model):
    """A user on a tracker, with the referral chain kept on the row.

    `l1` is the inviter, `l2` the inviter's inviter, `l3` the next one, all on this tracker.
    They are fixed by the first invite link opened here and locked at the first payment
    (`locked_at`), so settlement reads them without recursion. `l4`..`l6` continue the chain the
    same way (level k+1 is the inviter's level k) for commission schedules deeper than three
    (billing.split.MAX_LEVELS), indexed like l1..l3 for the cabinet's network under such a schedule.
    """
    _no_comments = True

    id = fields.IntField(primary_key=True)
    tracker: fields.ForeignKeyRelation[Tracker] = fields.ForeignKeyField("models.Tracker", related_name="memberships")
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="memberships")
    l1: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="l1_members", null=True
    )
    l2: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="l2_members", null=True
    )
    l3: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="l3_members", null=True
    )
    l4: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="l4_members", null=True
    )
    l5: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="l5_members", null=True
    )
    l6: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="l6_members", null=True
    )
    invite_link: fields.ForeignKeyNullableRelation[InviteLink] = fields.ForeignKeyField(
        "models.InviteLink", related_name="members", null=True
    )
    locked_at = fields.DatetimeField(null=True)
    is_partner = fields.BooleanField(default=False)
    messages_used = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        tracker_id: int
        user_id: int
        l1_id: int | None
        l2_id: int | None
        l3_id: int | None
        l4_id: int | None
        l5_id: int | None
        l6_id: int | None
        invite_link_id: int | None

    class Meta:
        table = "memberships"
        unique_together = (("tracker", "user"),)
        # "Everyone I brought, at each level" without recursion. Covering: a level's head count
        # and payers (locked = has paid) are index-only. The cabinet reads its counts from
        # network_totals (models/summaries.py), so levels 4-6 have no index to keep up on every
        # start; the last one serves a link's funnel (starts, payers, their payments).
        indexes = (
            ("l1_id", "tracker_id", "locked_at", "user_id"),
            ("l2_id", "tracker_id", "locked_at", "user_id"),
            ("l3_id", "tracker_id", "locked_at", "user_id"),
            ("invite_link_id", "tracker_id", "user_id", "locked_at"),
            ("tracker_id", "is_partner", "user_id"),  # the partners an author named
            ("user_id", "tracker_id"),  # a person's trackers (the web cabinet's GET /api/v1/me)
        )


class FsmRecord(Model):
    """aiogram FSM / aiogram-dialog state that survives a restart (see bot.storage)."""
    _no_comments = True

    key = fields.CharField(max_length=255, primary_key=True)
    state = fields.CharField(max_length=255, null=True)
    data: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "fsm_records"


class UpdateClaim(Model):
    """A Telegram update taken for handling, so a redelivered one is handled once (see bot.updates).

    `done_at` is set once its handling ended. A claim left without it by a worker that died is
    taken over when `claimed_at` is older than the claim lease. Kept for the update-id window.
    """
    _no_comments = True

    id = fields.BigIntField(primary_key=True)
    bot_id = fields.BigIntField()
    update_id = fields.BigIntField()
    holder = fields.CharField(max_length=128)
    claimed_at = fields.DatetimeField()
    done_at = fields.DatetimeField(null=True)

    class Meta:
        table = "update_claims"
        unique_together = (("bot_id", "update_id"),)
        indexes = (("claimed_at",),)
