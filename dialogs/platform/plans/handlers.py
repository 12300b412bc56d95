from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button

from billing.plans import PriceError, parse_price, set_price, stop_selling
from dialogs.platform.states import PlansSG
from models import Tracker
from services.payments import CardTokenError
from services.trackers import TrackerError


async def _tracker(manager: DialogManager) -> Tracker | None:
    data = manager.middleware_data
    try:  # the id came with the dialog: check it is still this author's
        return await data["trackers"].owned(data["user"].id, int((manager.start_data or {})["tracker_id"]))
    except (TrackerError, KeyError, TypeError, ValueError):
        manager.dialog_data["error"] = {"key": "tracker-not-found"}
        return None


async def _tracker_id(manager: DialogManager) -> int | None:
    tracker = await _tracker(manager)
    return None if tracker is None else tracker.id


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


async def on_card_token_entered(message: Message, _: MessageInput, manager: DialogManager) -> None:
    tracker = await _tracker(manager)
    await _forget(message)  # a payment token, like a bot token, should not stay in the chat
    if tracker is None:
        return
    data = manager.middleware_data
    try:
        await data["payments"].connect_card_payments(tracker, data["user"].id, message.text, data["i18n"])
    except CardTokenError as exc:
        manager.dialog_data["error"] = {"key": exc.key, "params": exc.params}
        return
    manager.dialog_data["notice"] = {"key": "card-connected", "params": {"username": tracker.username}}
    await manager.switch_to(PlansSG.main)


async def on_card_disconnect(_: CallbackQuery, __: Button, manager: DialogManager) -> None:
    tracker = await _tracker(manager)
    if tracker is None:
        return
    await manager.middleware_data["payments"].disconnect_card_payments(tracker)
    manager.dialog_data["notice"] = "card-disconnected"
    await manager.switch_to(PlansSG.main)


async def _forget(message: Message) -> None:
    try:
        await message.delete()
    except Exception:  # noqa: BLE001 - an old message may not be deletable; nothing else to do
        pass
