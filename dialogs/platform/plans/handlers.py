from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button

from billing.plans import PriceError, parse_price, set_price, stop_selling
from dialogs.platform.states import PlansSG
from services.trackers import TrackerError


async def _tracker_id(manager: DialogManager) -> int | None:
    data = manager.middleware_data
    try:  # the id came with the dialog: check it is still this author's
        tracker = await data["trackers"].owned(data["user"].id, int((manager.start_data or {})["tracker_id"]))
    except (TrackerError, KeyError, TypeError, ValueError):
        manager.dialog_data["error"] = {"key": "tracker-not-found"}
        return None
    return tracker.id


async def on_open_plans(_: CallbackQuery, __: Button, manager: DialogManager) -> None:
    """The "Plans and prices" button on the tracker card."""
    await manager.start(PlansSG.main, data={"tracker_id": (manager.start_data or {}).get("tracker_id")})


async def on_plan_selected(_: CallbackQuery, __: Any, manager: DialogManager, item_id: str) -> None:
    manager.dialog_data["plan"] = item_id
    await manager.switch_to(PlansSG.price)


async def on_price_entered(message: Message, _: MessageInput, manager: DialogManager) -> None:
    tracker_id = await _tracker_id(manager)
    if tracker_id is None:
        return
    try:
        kopecks = parse_price(message.text)
    except PriceError as exc:
        manager.dialog_data["error"] = {"key": exc.key, "params": exc.params}
        return
    await set_price(tracker_id, manager.dialog_data["plan"], kopecks)
    manager.dialog_data["notice"] = "plans-saved"
    await manager.switch_to(PlansSG.main)


async def on_stop_selling(_: CallbackQuery, __: Button, manager: DialogManager) -> None:
    tracker_id = await _tracker_id(manager)
    if tracker_id is None:
        return
    await stop_selling(tracker_id, manager.dialog_data["plan"])
    manager.dialog_data["notice"] = "plans-stopped"
    await manager.switch_to(PlansSG.main)
