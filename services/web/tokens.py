"""Personal API tokens: created in the cabinet and shown once, kept only as a SHA-256, listed by
their last characters, revoked at once (every request reads the row, nothing is cached)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from models import ApiToken

PREFIX = "gpt_"
MAX_ACTIVE = 10  # per person: a list that fits one screen of the cabinet


class TooManyTokens(Exception):
    pass


@dataclass(frozen=True, slots=True)
class TokenOwner:
    token_id: int
    user_id: int
    tracker_id: int | None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(user_id: int, tracker_id: int | None = None) -> tuple[ApiToken, str]:
    """A new token for the person (optionally for one tracker): the row and the token itself,
    which is not kept anywhere and cannot be shown again."""
    if await ApiToken.filter(user_id=user_id, revoked_at=None).count() >= MAX_ACTIVE:
        raise TooManyTokens()
    token = PREFIX + secrets.token_urlsafe(32)
    row = await ApiToken.create(user_id=user_id, tracker_id=tracker_id, token_hash=digest(token), hint=token[-6:])
    return row, token


async def active_tokens(user_id: int) -> list[ApiToken]:
    return await ApiToken.filter(user_id=user_id, revoked_at=None).order_by("-id")


async def revoke_token(user_id: int, token_id: int) -> bool:
    """Revoke one of the person's own tokens; False if there is no such active token of theirs."""
    updated = await ApiToken.filter(id=token_id, user_id=user_id, revoked_at=None).update(revoked_at=datetime.now(UTC))
    return updated > 0


async def owner_of(token: str) -> TokenOwner | None:
    """Whose live token this is, or None (unknown, revoked, or not one of ours)."""
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    row = await ApiToken.get_or_none(token_hash=digest(token), revoked_at=None)
    return TokenOwner(row.id, row.user_id, row.tracker_id) if row else None
