"""What every tracker bot does: greet, help, and never stay silent.

The tenant (`tracker`) and the person (`user`) come from the outer middlewares.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart, Filter
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.i18n import Translator
from models import Membership, Tracker, User


class TrackerPaused(Filter):
    async def __call__(self, event: TelegramObject, tracker: Tracker | None = None) -> bool:
        return tracker is not None and not tracker.is_live


async def on_paused_message(message: Message, tracker: Tracker, i18n: Translator) -> None:
    await message.answer(i18n("tracker-is-paused", name=tracker.name))


async def on_paused_callback(callback: CallbackQuery, tracker: Tracker, i18n: Translator) -> None:
    await callback.answer(i18n("tracker-is-paused", name=tracker.name), show_alert=True)


async def on_start(message: Message, command: CommandObject, tracker: Tracker, user: User, i18n: Translator) -> None:
    await Membership.get_or_create(tracker=tracker, user=user)
    await message.answer(
        i18n("tracker-greeting", name=tracker.name, first_name=user.first_name,
             description=tracker.description or i18n("tracker-no-description"))
    )


async def on_help(message: Message, tracker: Tracker, i18n: Translator) -> None:
    await message.answer(i18n("tracker-help", name=tracker.name))


def paused_router() -> Router:
    r = Router(name="tracker-paused")
    r.message.filter(TrackerPaused())
    r.callback_query.filter(TrackerPaused())
    r.message.register(on_paused_message)
    r.callback_query.register(on_paused_callback)
    return r


def router() -> Router:
    r = Router(name="tracker-basics")
    r.message.register(on_start, CommandStart())
    r.message.register(on_help, Command("help"))
    return r


def fallback_router() -> Router:
    """Anything no other handler took gets help, in private chats (channels and groups stay quiet)."""
    r = Router(name="tracker-fallback")
    r.message.register(on_help, F.chat.type == "private")
    return r
