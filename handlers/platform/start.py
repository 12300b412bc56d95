"""/start, /help and recovery from a dialog that outlived a restart."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandStart, ExceptionTypeFilter
from aiogram.types import ErrorEvent, Message
from aiogram_dialog import DialogManager, StartMode
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState

from billing import commission
from dialogs.platform.states import TrackersSG
from dialogs.widgets import tell_stale
from i18n.catalog import Translator
from services.filters import on_loop

log = logging.getLogger(__name__)


async def on_start(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(TrackersSG.main, mode=StartMode.RESET_STACK)


async def on_help(message: Message, i18n: Translator, settings: Any) -> None:
    # The admin changes the schedule (dated): the text shows the one in force, never fixed numbers.
    shares = await commission.schedule_at(fallback=settings.commission)
    percents = {role: f"{Decimal(percent).normalize():f}" for role, percent in shares.items()}
    # "30% / 20% / 10%": one per level of the schedule in force, however many it has.
    levels = " / ".join(f"{percents[role]}%" for role in commission.LEVELS if role in percents)
    await message.answer(i18n("platform-help", platform=percents["platform"], author=percents["author"],
                              levels=levels or i18n("commission-no-levels")))


async def on_stale_dialog(event: ErrorEvent, dialog_manager: DialogManager, i18n: Translator) -> None:
    """A button from before a restart or from a closed dialog: say so and show the menu again."""
    log.info("stale dialog: %s", event.exception)
    await tell_stale(event.update.callback_query, i18n("dialog-expired"))
    await dialog_manager.start(TrackersSG.main, mode=StartMode.RESET_STACK)


async def on_anything_else(message: Message, i18n: Translator) -> None:
    await message.answer(i18n("platform-unknown"))


def router() -> Router:
    r = Router(name="platform-start")
    r.message.register(on_start, CommandStart())
    r.message.register(on_help, Command("help"))
    r.errors.register(on_stale_dialog, ExceptionTypeFilter(UnknownIntent, OutdatedIntent, UnknownState))
    return r


def fallback_router() -> Router:
    r = Router(name="platform-fallback")
    r.message.register(on_anything_else, on_loop(F.chat.type == "private"))
    return r
