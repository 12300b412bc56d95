"""Outer middlewares: who is writing (user row + language) and which tracker it is (tenant)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject
from aiogram.types import User as TgUser

from i18n.catalog import for_user
from models import User
from models.sql import default_connection, now, returning
from services import tracker_cache

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

# The person's row, created or brought in step with Telegram's profile, in one round trip (issue
# 20): SQLite (3.35+) and PostgreSQL both take INSERT ... ON CONFLICT DO UPDATE ... RETURNING.
_UPSERT_USER = """
INSERT INTO users (id, first_name, username, language_code, created_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name, username = excluded.username,
    language_code = excluded.language_code
RETURNING id, first_name, username, language_code, timezone, created_at
"""


async def upsert_user(user_id: int, profile: dict[str, Any]) -> User:
    conn = default_connection()
    found = await returning(conn, _UPSERT_USER, [user_id, profile["first_name"], profile["username"],
                                                 profile["language_code"], now(conn)])
    return User._init_from_db(**found[0])


class UserMiddleware(BaseMiddleware):
    """Puts `user` (our row, kept in step with Telegram's profile) and `i18n` into handler data."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        tg_user: TgUser | None = data.get("event_from_user")
        if tg_user is None or tg_user.is_bot:
            data["i18n"] = for_user(None)
            return await handler(event, data)
        profile = {
            "first_name": (tg_user.first_name or "")[:128],
            "username": tg_user.username,
            "language_code": tg_user.language_code,
        }
        data["user"] = await upsert_user(tg_user.id, profile)
        data["i18n"] = for_user(tg_user.language_code)
        return await handler(event, data)


class TenantMiddleware(BaseMiddleware):
    """Resolves the tracker an update belongs to from the bot that received it.

    An update for a bot that is no longer a tracker (deleted meanwhile) is dropped.
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        bot: Bot = data["bot"]
        tracker = await tracker_cache.trackers.by_bot(bot.id)  # no round trip once read (services.tracker_cache)
        if tracker is None:
            return None
        data["tracker"] = tracker
        return await handler(event, data)
