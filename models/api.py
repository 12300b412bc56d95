"""Personal API tokens of partners and authors (the read-only REST API, issue 18)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.platform import Tracker, User


class ApiToken(Model):
    """A person's API token: only its SHA-256 is kept, the token itself is shown once.

    `tracker` narrows it to one tracker (None: every tracker the person is in). `revoked_at` set:
    refused at once (every request reads the row)."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="api_tokens")
    tracker: fields.ForeignKeyNullableRelation[Tracker] = fields.ForeignKeyField(
        "models.Tracker", related_name="api_tokens", null=True
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    hint = fields.CharField(max_length=16)  # the token's last characters, to tell tokens apart in the list
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        user_id: int
        tracker_id: int | None

    class Meta:
        table = "api_tokens"
        indexes = (("user_id", "revoked_at"),)
