"""Invite deep links and the clicks on them (the partner funnel's first step)."""

from tortoise import fields
from tortoise.models import Model


class InviteLink(Model):
    """`https://t.me/<tracker>?start=<code>`. `makes_partner` links are the author's
    "become my partner" invitations: whoever opens one is named a partner."""

    id = fields.IntField(primary_key=True)
    tracker = fields.ForeignKeyField("models.Tracker", related_name="invite_links")
    owner = fields.ForeignKeyField("models.User", related_name="invite_links")
    code = fields.CharField(max_length=32, unique=True)
    label = fields.CharField(max_length=64, default="")
    makes_partner = fields.BooleanField(default=False)
    archived = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invite_links"


class InviteClick(Model):
    """A `/start` through a link, one per user per link (repeat opens are not clicks)."""

    id = fields.IntField(primary_key=True)
    link = fields.ForeignKeyField("models.InviteLink", related_name="clicks")
    user = fields.ForeignKeyField("models.User", related_name="clicks")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invite_clicks"
        unique_together = (("link", "user"),)
