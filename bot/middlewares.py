"""Outer middlewares: who is writing (user row + language) and which tracker it is (tenant)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject
from aiogram.types import User as TgUser

from i18n.catalog import for_user
from models import Tracker, TrackerStatus, User

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


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
        user, created = await User.get_or_create(id=tg_user.id, defaults=profile)
        if not created and any(getattr(user, k) != v for k, v in profile.items()):
            await User.filter(id=user.id).update(**profile)
            for k, v in profile.items():
                setattr(user, k, v)
        data["user"] = user
        data["i18n"] = for_user(tg_user.language_code)
        return await handler(event, data)


class TenantMiddleware(BaseMiddleware):
    """Resolves the tracker an update belongs to from the bot that received it.

    An update for a bot that is no longer a tracker (deleted meanwhile) is dropped.
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        bot: Bot = data["bot"]
        tracker = await Tracker.get_or_none(bot_id=bot.id).prefetch_related("author")
        if tracker is None or tracker.status == TrackerStatus.DELETED:
            return None
        data["tracker"] = tracker
        return await handler(event, data)
