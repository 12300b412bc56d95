"""The private-events screen's actions, always on the asking person's own choice (the user and
the tracker come from the middlewares, never from the callback)."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.kbd import Button

from notify import private


async def on_kind(callback: CallbackQuery, widget: Any, manager: DialogManager, item_id: str) -> None:
    data = manager.middleware_data
    try:
        await private.toggle(data["tracker"].id, data["user"].id, item_id)
    except ValueError:  # a forged kind
        manager.show_mode = ShowMode.NO_UPDATE
        await callback.answer()


async def on_digest(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    data = manager.middleware_data
    tracker_id, user_id = data["tracker"].id, data["user"].id
    chosen = await private.choice(tracker_id, user_id)
    await private.set_digest(tracker_id, user_id, not chosen.accrual_digest)
