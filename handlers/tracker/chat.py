"""The conversation in every tracker bot: a client's text goes to the AI tracker.

Registered among the fallback routers (after the dialogs, before the help fallback), so a tracker
dialog's text input is never taken. Commands: /meet lists the on-demand scenarios, /end ends the
current meeting, /tz sets the client's time zone for scheduled meetings.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from billing.plans import PriceTag
from handlers.tracker.paywall import show_paywall
from i18n.catalog import Translator
from llm import meetings as mt
from llm.conversation import Request, fmt_mj
from models import MeetingEnd, Scenario, ScenarioTrigger, Tracker, User
from services.ai import AIRuntime, Paywall
from services.filters import on_loop

MEET_PREFIX = "meet:"


def _paywall(message: Message, tracker: Tracker, user: User, i18n: Translator) -> Paywall:
    """The conversation's paywall for this chat, with the plans it read along with the access."""

    async def show(plans: Sequence[PriceTag] | None) -> None:
        await show_paywall(message, tracker, user, i18n, plans=plans)

    return show


async def on_text(message: Message, tracker: Tracker, user: User, i18n: Translator, ai: AIRuntime) -> None:
    sink = ai.sink(message.bot, message.chat.id, i18n, paywall=_paywall(message, tracker, user, i18n))
    # A sticker is a reaction the model can read: its emoji stands for it.
    text = message.text if message.text is not None else (message.sticker.emoji if message.sticker else None) or "🙂"
    ai.conversations.submit(Request(tracker.id, user.id, text, sink, tracker=tracker))


async def on_end(message: Message, tracker: Tracker, user: User, i18n: Translator) -> None:
    meeting = await mt.end_current(tracker.id, user.id, MeetingEnd.COMMAND)
    if meeting is None:
        await message.answer(i18n("ai-no-meeting"))
        return
    await message.answer(i18n("ai-meeting-ended", mj=fmt_mj(meeting.mj_micro)))


async def on_meet(message: Message, tracker: Tracker, i18n: Translator) -> None:
    scenarios = await Scenario.filter(
        tracker_id=tracker.id, active=True, trigger=ScenarioTrigger.ON_DEMAND
    ).order_by("id")
    if not scenarios:
        await message.answer(i18n("ai-meet-none"))
        return
    rows = [[InlineKeyboardButton(text=s.name, callback_data=f"{MEET_PREFIX}{s.id}")] for s in scenarios]
    await message.answer(i18n("ai-meet-pick"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


async def on_meet_pick(callback: CallbackQuery, tracker: Tracker, user: User, i18n: Translator, ai: AIRuntime) -> None:
    await callback.answer()
    try:
        scenario_id = int((callback.data or "").removeprefix(MEET_PREFIX))
    except ValueError:
        return
    scenario = await Scenario.get_or_none(id=scenario_id, tracker_id=tracker.id, active=True)
    if scenario is None or callback.message is None:
        return
    message = callback.message
    sink = ai.sink(callback.bot, message.chat.id, i18n, paywall=_paywall(message, tracker, user, i18n))
    ai.conversations.submit(Request(tracker.id, user.id, None, sink, open_scenario_id=scenario.id))


async def on_tz(message: Message, command: CommandObject, user: User, i18n: Translator) -> None:
    name = (command.args or "").strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        await message.answer(i18n("ai-tz-help", current=user.timezone or "—"))
        return
    await User.filter(id=user.id).update(timezone=name)
    await message.answer(i18n("ai-tz-set", tz=name))


def router() -> Router:
    r = Router(name="tracker-chat")
    r.message.filter(on_loop(F.chat.type == "private"))
    r.message.register(on_end, Command("end"))
    r.message.register(on_meet, Command("meet"))
    r.message.register(on_tz, Command("tz"))
    r.message.register(on_text, on_loop(F.text), on_loop(~F.text.startswith("/")))
    r.message.register(on_text, on_loop(F.sticker))
    r.callback_query.register(on_meet_pick, on_loop(F.data.startswith(MEET_PREFIX)))
    return r
