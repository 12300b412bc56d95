"""Invite deep links, the clicks on them, and the partner cabinet's running earnings totals."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import Role, enum_column

if TYPE_CHECKING:
    from models.billing import Account
    from models.platform import Tracker, User


class InviteLink(Model):
    """`https://t.me/<tracker>?start=<code>`. `makes_partner` links are the author's
    "become my partner" invitations: whoever opens one is named a partner."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    tracker: fields.ForeignKeyRelation[Tracker] = fields.ForeignKeyField("models.Tracker", related_name="invite_links")
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="invite_links")
    code = fields.CharField(max_length=32, unique=True)
    label = fields.CharField(max_length=64, default="")
    makes_partner = fields.BooleanField(default=False)
    archived = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        tracker_id: int
        owner_id: int

    class Meta:
        table = "invite_links"
        # A partner's links on a tracker, and a tracker's partners in id order (the author's list).
        indexes = (("tracker_id", "owner_id"),)


class InviteClick(Model):
    """A `/start` through a link, one per user per link (repeat opens are not clicks)."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    link: fields.ForeignKeyRelation[InviteLink] = fields.ForeignKeyField("models.InviteLink", related_name="clicks")
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="clicks")
    created_at = fields.DatetimeField(auto_now_add=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        link_id: int
        user_id: int

    class Meta:
        table = "invite_clicks"
        unique_together = (("link", "user"),)


class EarningsRollup(Model):
    """A person's accruals summed by tracker, own invite link, role and month (from the ledger).

    A cache of the append-only ledger, so the partner cabinet reads a few rows instead of summing
    every entry of a big account. `billing.partner.totals` folds each account's new entries (after its
    `EarningsCursor`) in id order. `link_id` is the subscriber's invite link when that link is the
    account holder's own, else 0 (a plain int: part of the unique key, where NULLs would repeat).
    `month` is "YYYY-MM" in the cursor's time zone.
    """
    _no_comments = True

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="earnings_rollup"
    )
    tracker: fields.ForeignKeyRelation[Tracker] = fields.ForeignKeyField(
        "models.Tracker", related_name="earnings_rollup"
    )
    link_id = fields.IntField(default=0)
    role = enum_column(Role, max_length=16)
    month = fields.CharField(max_length=7)
    amount_kopecks = fields.BigIntField(default=0)
    entries = fields.IntField(default=0)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        account_id: int
        tracker_id: int

    class Meta:
        table = "earnings_rollup"
        unique_together = (("account", "tracker", "link_id", "role", "month"),)


class EarningsCursor(Model):
    """How far an account's ledger is folded into EarningsRollup, and in which time zone."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    account: fields.OneToOneRelation[Account] = fields.OneToOneField("models.Account", related_name="earnings_cursor")
    last_entry_id = fields.BigIntField(default=0)
    timezone = fields.CharField(max_length=64)
    updated_at = fields.DatetimeField(auto_now=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        account_id: int

    class Meta:
        table = "earnings_cursors"
