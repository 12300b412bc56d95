from __future__ import annotations

import asyncio
from typing import Any

from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button

from dialogs.platform.states import TrackerSG, TrackersSG
from dialogs.tracker.partner.handlers import qr_png
from i18n.format import count
from services.trackers import TrackerError, TrackerService


def _services(manager: DialogManager) -> tuple[TrackerService, int]:
    data = manager.middleware_data
    return data["trackers"], data["user"].id


def _tracker_id(manager: DialogManager) -> int:
    return int((manager.start_data or {})["tracker_id"])


def _fail(manager: DialogManager, exc: TrackerError) -> None:
    manager.dialog_data["error"] = {"key": exc.key, "params": exc.params}


async def on_tracker_selected(_: CallbackQuery, __: Any, manager: DialogManager, item_id: str) -> None:
    trackers, user_id = _services(manager)
    try:  # the id comes from a button: check it is this author's before opening
        tracker = await trackers.owned(user_id, int(item_id))
    except (TrackerError, ValueError):
        manager.dialog_data["error"] = {"key": "tracker-not-found"}
        return
    await manager.start(TrackerSG.card, data={"tracker_id": tracker.id})


async def on_token_entered(message: Message, _: MessageInput, manager: DialogManager) -> None:
    trackers, user_id = _services(manager)
    try:
        label = manager.middleware_data["i18n"]("tracker-link-label")
        tracker = await trackers.register(user_id, message.text, link_label=label)
    except TrackerError as exc:
        _fail(manager, exc)
        return
    finally:
        await _forget_token_message(message)
    await manager.switch_to(TrackersSG.main)
    await manager.start(TrackerSG.card, data={"tracker_id": tracker.id, "created": True})


async def _forget_token_message(message: Message) -> None:
    # The token stays in the chat history otherwise; deleting may fail in old chats, that is fine.
    try:
        await message.delete()
    except Exception:  # noqa: BLE001
        pass


async def _apply(manager: DialogManager, action, *args, notice: str | None = None) -> bool:
    trackers, user_id = _services(manager)
    try:
        await action(trackers, user_id, _tracker_id(manager), *args)
    except TrackerError as exc:
        _fail(manager, exc)
        return False
    if notice:
        manager.dialog_data["notice"] = notice
    return True


async def on_name_entered(message: Message, _: MessageInput, manager: DialogManager) -> None:
    if await _apply(manager, TrackerService.rename, message.text or "", notice="tracker-saved"):
        await manager.switch_to(TrackerSG.card)


async def on_description_entered(message: Message, _: MessageInput, manager: DialogManager) -> None:
    if await _apply(manager, TrackerService.describe, message.text or "", notice="tracker-saved"):
        await manager.switch_to(TrackerSG.card)


async def on_new_token_entered(message: Message, _: MessageInput, manager: DialogManager) -> None:
    ok = await _apply(manager, TrackerService.replace_token, message.text, notice="tracker-token-replaced")
    await _forget_token_message(message)
    if ok:
        await manager.switch_to(TrackerSG.card)


async def on_share_qr(callback: CallbackQuery, __: Button, manager: DialogManager) -> None:
    """The share link as a QR code (for a printed card or a slide), the card again below it."""
    trackers, user_id = _services(manager)
    i18n = manager.middleware_data["i18n"]
    try:
        tracker = await trackers.owned(user_id, _tracker_id(manager))
    except TrackerError as exc:
        _fail(manager, exc)
        return
    url = await trackers.share_link(tracker, i18n("tracker-link-label"))
    png = await asyncio.to_thread(qr_png, url)
    await callback.message.answer_photo(BufferedInputFile(png, "invite-qr.png"),
                                        caption=i18n("partner-qr-caption", url=url))
    manager.show_mode = ShowMode.SEND


async def on_pause(_: CallbackQuery, __: Button, manager: DialogManager) -> None:
    await _apply(manager, TrackerService.pause, notice="tracker-paused")
    await manager.switch_to(TrackerSG.card)


async def on_pause_cancel_stars(_: CallbackQuery, __: Button, manager: DialogManager) -> None:
    """A long pause: Telegram would go on charging Stars subscriptions for time the bot does not serve."""
    trackers, user_id = _services(manager)
    try:
        stopped = await trackers.pause(user_id, _tracker_id(manager), cancel_stars=True)
    except TrackerError as exc:
        _fail(manager, exc)
    else:
        cancelling = count(stopped.stars_cancelling, manager.middleware_data["i18n"].lang)
        manager.dialog_data["notice"] = {"key": "tracker-paused-stars-cancelling", "params": {"count": cancelling}}
    await manager.switch_to(TrackerSG.card)


async def on_resume(_: CallbackQuery, __: Button, manager: DialogManager) -> None:
    await _apply(manager, TrackerService.resume, notice="tracker-resumed")


async def on_partners_recruit(_: CallbackQuery, __: Button, manager: DialogManager) -> None:
    """Partners' own "become my partner" links on or off (the author's always work)."""
    trackers, user_id = _services(manager)
    try:
        tracker = await trackers.owned(user_id, _tracker_id(manager))
    except TrackerError as exc:
        _fail(manager, exc)
        return
    on = not tracker.partners_recruit
    await _apply(manager, TrackerService.set_partners_recruit, on,
                 notice="tracker-partners-recruit-on" if on else "tracker-partners-recruit-off")


async def on_delete_confirmed(callback: CallbackQuery, __: Button, manager: DialogManager) -> None:
    trackers, user_id = _services(manager)
    try:
        stopped = await trackers.delete(user_id, _tracker_id(manager))
    except TrackerError as exc:
        _fail(manager, exc)
        await manager.switch_to(TrackerSG.card)
        return
    i18n = manager.middleware_data["i18n"]
    text = i18n("tracker-deleted")
    if stopped.stars_cancelling:  # under way in the background: the press does not wait for them
        text += "\n" + i18n("tracker-stars-cancelling", count=count(stopped.stars_cancelling, i18n.lang))
    await callback.answer(text, show_alert=True)
    await manager.done(show_mode=ShowMode.EDIT)
