"""Payment attempts, auto-renewal settings and notices sent once (issue 4, payments).

Money is integer kopecks. A `Payment` (models.billing) is a charge that succeeded; a `Checkout` is
an attempt that may not have, kept so that a retry after a timeout or a restart reuses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import CheckoutStatus, PaymentProvider, PlanKind, StarsCancelStatus, enum_column

if TYPE_CHECKING:
    from models.platform import Tracker, User


class Checkout(Model):
    """A YooKassa payment we asked for (a link or an auto-renewal charge).

    `idempotence_key` is sent to YooKassa with every attempt of the same checkout, so a retry
    after a timeout never creates a second payment. A renewal's key names the subscription it
    extends, so each subscription is renewed at most once.
    """
    _no_comments = True

    id = fields.IntField(primary_key=True)
    tracker: fields.ForeignKeyRelation[Tracker] = fields.ForeignKeyField(
        "models.Tracker", related_name="checkouts", on_delete=fields.RESTRICT
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="checkouts", on_delete=fields.RESTRICT
    )
    provider = enum_column(PaymentProvider, max_length=16, default=PaymentProvider.YOOKASSA)
    plan_kind = enum_column(PlanKind, max_length=16)
    price_kopecks = fields.BigIntField()
    auto_renew = fields.BooleanField(default=False)      # the client opted in to auto-renewal
    is_renewal = fields.BooleanField(default=False)
    idempotence_key = fields.CharField(max_length=64, unique=True)
    external_id = fields.CharField(max_length=64, null=True, db_index=True)
    confirmation_url = fields.CharField(max_length=1024, null=True)
    status = enum_column(CheckoutStatus, max_length=16, default=CheckoutStatus.OPEN)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        tracker_id: int
        user_id: int

    class Meta:
        table = "checkouts"


class AutoRenewal(Model):
    """How a client's subscription on a tracker renews: a saved YooKassa method or Telegram Stars.

    One row per (tracker, user). `enabled=False` is the client's "turn it off".
    `method_id` is the YooKassa saved payment method (usable only with this shop's secret key),
    or the Telegram charge id of the Stars subscription. `agreed_price_kopecks` is the price the
    client agreed to when they opted in (or confirmed later): a renewal never charges more
    (null for rows from before it was kept: the price of their last subscription stands).
    """
    _no_comments = True

    id = fields.IntField(primary_key=True)
    tracker: fields.ForeignKeyRelation[Tracker] = fields.ForeignKeyField("models.Tracker", related_name="auto_renewals")
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="auto_renewals")
    provider = enum_column(PaymentProvider, max_length=16)
    method_id = fields.CharField(max_length=255)
    method_title = fields.CharField(max_length=128, default="")
    plan_kind = enum_column(PlanKind, max_length=16)
    agreed_price_kopecks = fields.BigIntField(null=True)
    enabled = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField(auto_now=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        tracker_id: int
        user_id: int

    class Meta:
        table = "auto_renewals"
        unique_together = (("tracker", "user"),)


class SentNotice(Model):
    """A notice sent once: renewal reminders and failed renewals, keyed by the end of paid time.

    The row is written before the message is sent, so a notice goes out at most once even when
    two scheduler runs overlap.
    """
    _no_comments = True

    id = fields.IntField(primary_key=True)
    tracker: fields.ForeignKeyRelation[Tracker] = fields.ForeignKeyField("models.Tracker", related_name="notices")
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="notices")
    kind = fields.CharField(max_length=32)
    ends_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        tracker_id: int
        user_id: int

    class Meta:
        table = "sent_notices"
        unique_together = (("tracker", "user", "kind", "ends_at"),)


class StarsCancellation(Model):
    """One client's Stars subscription to cancel because its tracker was deleted or paused.

    Written with the tracker's new status, worked off in the background (services.stars_cancel),
    paced per bot. `status` moves PENDING -> CANCELLED (Telegram accepted) -> DONE (client told),
    each step committed after its call, so a restart neither repeats a step nor loses one.
    `claimed_by`/`claimed_until` let several workers share the queue, one bot at a time.
    """
    _no_comments = True

    id = fields.IntField(primary_key=True)
    tracker: fields.ForeignKeyRelation[Tracker] = fields.ForeignKeyField(
        "models.Tracker", related_name="stars_cancellations", on_delete=fields.RESTRICT
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="stars_cancellations", on_delete=fields.RESTRICT
    )
    charge_id = fields.CharField(max_length=255)
    reason = fields.CharField(max_length=16)   # "deleted" or "paused": which message the client gets
    status = enum_column(StarsCancelStatus, max_length=16, default=StarsCancelStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claimed_by = fields.CharField(max_length=64, null=True)
    claimed_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        tracker_id: int
        user_id: int

    class Meta:
        table = "stars_cancellations"
        unique_together = (("tracker", "charge_id"),)
        indexes = (("status", "next_attempt_at"),)


class StarsCursor(Model):
    """How far the daily Stars reconciliation has read a tracker bot's getStarTransactions.

    `read` is how many transactions of the bot's history (oldest first, as the Bot API lists them)
    are recorded, `last_key` names the last of them, so the next run starts there and checks that
    the history still lines up before it trusts the count.
    """
    _no_comments = True

    id = fields.IntField(primary_key=True)
    tracker: fields.OneToOneRelation[Tracker] = fields.OneToOneField(
        "models.Tracker", related_name="stars_cursor", on_delete=fields.RESTRICT
    )
    read = fields.IntField(default=0)
    last_key = fields.CharField(max_length=300, default="")
    updated_at = fields.DatetimeField(auto_now=True)

    if TYPE_CHECKING:  # the id column tortoise adds for the relation above
        tracker_id: int

    class Meta:
        table = "stars_cursors"
