"""What every tracker bot does: greet, help, and never stay silent.

The tenant (`tracker`) and the person (`user`) come from the outer middlewares. `/start` always
brings the greeting back: it closes whatever dialog (the partner cabinet, payouts, channels) was
open, so the next message goes to the AI again.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart, Filter
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, TelegramObject
from aiogram_dialog import DialogManager

from billing.access import client_facts
from dialogs.tracker.partner.dialogs import CABINET_START, OPEN_CABINET
from dialogs.tracker.partner.handlers import start_cabinet
from handlers.tracker.greeting import help_text, send_greeting
from i18n.catalog import Translator
from models import Membership, Tracker, User
from referral import can_invite, record_start
from services.filters import on_loop

log = logging.getLogger(__name__)


class TrackerPaused(Filter):
    async def __call__(self, event: TelegramObject, tracker: Tracker | None = None) -> bool:
        return tracker is not None and not tracker.is_live


async def on_paused_message(message: Message, tracker: Tracker, i18n: Translator) -> None:
    await message.answer(i18n("tracker-is-paused", name=tracker.name))


async def on_paused_callback(callback: CallbackQuery, tracker: Tracker, i18n: Translator) -> None:
    await callback.answer(i18n("tracker-is-paused", name=tracker.name), show_alert=True)


async def on_start(message: Message, command: CommandObject, tracker: Tracker, user: User, i18n: Translator,
                   dialog_manager: DialogManager, settings: Any) -> None:
    # A /start with a code goes through the referral domain: it counts the click and sets the
    # inviter; a malformed or unknown code is an ordinary /start (record_start never raises on a
    # payload). A plain /start needs it only to make a newcomer's membership: the greeting's facts,
    # read first, say whether there is one (a member's plain /start costs no statement of its own).
    became_partner = False
    facts = None if command.args else await client_facts(tracker, user.id)
    if facts is None or not facts.member:
        try:
            became_partner = (await record_start(tracker.id, user.id, command.args, author_id=tracker.author_id,
                                                 user_saved=True)).became_partner
        except Exception:  # the greeting matters more than the bookkeeping
            log.exception("record_start failed for user %s on tracker %s", user.id, tracker.id)
            await Membership.get_or_create(tracker=tracker, user=user)
        # A code may have made them a partner: the greeting reads the facts again. A plain /start
        # only made the membership, which changes nothing else the facts say (a new one has used
        # no message and names no partner).
        facts = replace(facts, member=True) if facts is not None else None
    if dialog_manager.has_context():
        await dialog_manager.reset_stack()
    # "My partner programs" in the platform bot links here; someone who may not invite (yet) gets
    # the greeting, which is what this bot is for them.
    if (command.args or "").strip() == CABINET_START and await can_invite(tracker.id, user.id):
        await start_cabinet(dialog_manager)
        return
    await send_greeting(message, tracker, user, i18n, tz=settings.timezone, facts=facts)
    if became_partner:
        menu = InlineKeyboardMarkup(inline_keyboard=[[
            InlineKeyboardButton(text=i18n("partner-btn-open"), callback_data=OPEN_CABINET)]])
        await message.answer(i18n("partner-welcome", name=tracker.name), reply_markup=menu)


async def on_help(message: Message, tracker: Tracker, i18n: Translator) -> None:
    await message.answer(help_text(tracker, i18n))


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
    r.message.register(on_help, on_loop(F.chat.type == "private"))
    return r
