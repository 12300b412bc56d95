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


# --- the cabinet's summaries: kept by database triggers (models/summaries.py) -----------------
# Plain id columns, no foreign keys: a summary row follows the rows it sums and must never stop a
# delete or an archive of them. Each holds what a direct aggregate over the base tables gives;
# tests/referral/test_summaries.py checks that after varied histories.


class LinkTotals(Model):
    """One invite link's funnel over all time: its clicks, starts, paying members and their revenue."""

    id = fields.IntField(primary_key=True)
    link_id = fields.IntField(unique=True)
    clicks = fields.IntField(default=0)  # rows of invite_clicks
    starts = fields.IntField(default=0)  # memberships attributed to the link
    paying = fields.IntField(default=0)  # of those, locked (paid at least once)
    revenue_kopecks = fields.BigIntField(default=0)  # the locked ones' payments not refunded

    class Meta:
        table = "link_totals"


class NetworkTotals(Model):
    """How many people a holder has at one level of their chain on a tracker, and how many paid.
    Keyed by level number, so a deeper chain adds rows, not columns."""

    id = fields.IntField(primary_key=True)
    holder_id = fields.BigIntField()
    level = fields.IntField()
    tracker_id = fields.IntField()
    people = fields.IntField(default=0)
    paying = fields.IntField(default=0)

    class Meta:
        table = "network_totals"
        unique_together = (("holder_id", "level", "tracker_id"),)


class OpenPeriodTotals(Model):
    """Open accounting periods counted by the holder at one level of their chain and by revenue.

    A role's share depends only on the amount, so these price the forecast exactly. holder_id 0
    is "nobody at this level"; level 0 (holder 0) counts every open period of the tracker."""

    id = fields.IntField(primary_key=True)
    holder_id = fields.BigIntField()
    level = fields.IntField()
    tracker_id = fields.IntField()
    revenue_kopecks = fields.BigIntField()
    periods = fields.IntField(default=0)

    class Meta:
        table = "open_period_totals"
        unique_together = (("holder_id", "level", "tracker_id", "revenue_kopecks"),)


class RefundTotals(Model):
    """The payments of a partner's level-1 referrals on a tracker, and how many were refunded."""

    id = fields.IntField(primary_key=True)
    tracker_id = fields.IntField()
    partner_id = fields.BigIntField()
    payments = fields.IntField(default=0)
    refunded = fields.IntField(default=0)

    class Meta:
        table = "refund_totals"
        unique_together = (("tracker_id", "partner_id"),)
        # The alert job reads only the partners with enough refunds.
        indexes = (("tracker_id", "refunded"),)


class PartnerRoster(Model):
    """Who the author's partners page lists: link owners and named partners of a tracker.

    A row exists only while one of the two counts is above zero."""

    id = fields.IntField(primary_key=True)
    tracker_id = fields.IntField()
    user_id = fields.BigIntField()
    links = fields.IntField(default=0)  # invite links they own on the tracker
    named = fields.IntField(default=0)  # 1 when their membership is a partner's

    class Meta:
        table = "partner_roster"
        unique_together = (("tracker_id", "user_id"),)
