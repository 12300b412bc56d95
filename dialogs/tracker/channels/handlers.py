"""The channel screens' actions. Each one looks the channel up again as the asking person's own
on this tracker (`notify.channels.own`): a forged callback finds nothing."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.kbd import Button

from dialogs.tracker.states import ChannelsSG
from models import ChannelStatus, PartnerChannel
from notify import channels
from notify.events import TEST
from services.outbox import channel_lost, render

log = logging.getLogger(__name__)


async def _channel(callback: CallbackQuery, manager: DialogManager) -> PartnerChannel | None:
    data = manager.middleware_data
    channel = await channels.own(data["tracker"].id, data["user"].id, manager.dialog_data.get("channel_id"))
    if channel is None:
        manager.show_mode = ShowMode.NO_UPDATE
        await callback.answer(data["i18n"]("referral-link-not-found"), show_alert=True)
    return channel


async def on_channel_selected(callback: CallbackQuery, widget: Any, manager: DialogManager, item_id: str) -> None:
    manager.dialog_data["channel_id"] = item_id
    if await _channel(callback, manager) is not None:
        await manager.switch_to(ChannelsSG.channel)


async def on_kind(callback: CallbackQuery, widget: Any, manager: DialogManager, item_id: str) -> None:
    channel = await _channel(callback, manager)
    if channel is None:
        return
    try:
        await channels.toggle(channel, item_id)
    except ValueError:
        manager.show_mode = ShowMode.NO_UPDATE
        await callback.answer()


async def on_digest(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    channel = await _channel(callback, manager)
    if channel is not None:
        await channels.set_digest(channel, not channel.accrual_digest)


async def on_test(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    channel = await _channel(callback, manager)
    if channel is None or channel.status != ChannelStatus.CONNECTED:
        return
    bot: Bot = manager.middleware_data["bot"]
    tracker = manager.middleware_data["tracker"]
    owner_language = manager.middleware_data["user"].language_code
    try:
        await bot.send_message(channel.chat_id, render(TEST, {"tracker": tracker.name}, owner_language))
        manager.dialog_data["notice"] = "channel-test-sent"
    except (TelegramForbiddenError, TelegramBadRequest) as exc:  # Telegram refused: as the outbox does
        log.info("test post to channel %s refused: %s", channel.id, exc)
        await channel_lost(bot, channel, f"test post failed: {exc}")
        manager.dialog_data["error"] = "channel-test-failed"
    except Exception as exc:  # network, 5xx, flood wait: a retry may work, the channel stays
        log.info("test post to channel %s failed: %s", channel.id, exc)
        manager.dialog_data["error"] = "channel-test-try-later"


async def on_disconnect(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    channel = await _channel(callback, manager)
    if channel is None:
        return
    await channels.disconnect(channel, "disconnected by the owner")
    bot: Bot = manager.middleware_data["bot"]
    try:  # an admin bot in a channel it no longer posts to would only confuse
        await bot.leave_chat(channel.chat_id)
    except Exception as exc:
        log.info("could not leave channel %s: %s", channel.chat_id, exc)
    manager.dialog_data["notice"] = "channel-disconnected-done"
    await manager.switch_to(ChannelsSG.main)
