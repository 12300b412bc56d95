"""What the channel screens show: only the asking person's own channels on this tracker."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

from dialogs.widgets import flash, flashes
from models import ChannelStatus, Tracker, User
from notify import channels
from notify.events import ACCRUAL, CHANNEL_KINDS


async def list_getter(dialog_manager: DialogManager, tracker: Tracker, user: User, i18n, **_: Any) -> dict:
    mine = await channels.mine(tracker.id, user.id)
    items = [{"id": str(c.id), "label": i18n("channels-line", title=c.title, status=c.status.value)} for c in mine]
    return {
        "tracker": tracker.name,
        "username": tracker.username,
        "channels": items,
        "has_channels": bool(items),
        "empty": not items,
        "notice": flash(dialog_manager, "notice", i18n),
    }


async def channel_getter(dialog_manager: DialogManager, tracker: Tracker, user: User, i18n, **_: Any) -> dict:
    channel = await channels.own(tracker.id, user.id, dialog_manager.dialog_data.get("channel_id"))
    data: dict[str, Any] = {
        "found": channel is not None,
        **flashes(dialog_manager, i18n),
    }
    if channel is None:
        data.update(title="", status="disconnected", kinds=[], connected=False, has_accruals=False, digest="no")
        return data
    chosen = set(channel.events or [])
    connected = channel.status == ChannelStatus.CONNECTED
    data.update(
        title=channel.title,
        status=channel.status.value,
        connected=connected,
        kinds=[
            {"id": kind, "label": i18n("channel-btn-kind", on="yes" if kind in chosen else "no",
                                       label=i18n("channel-kind", kind=kind))}
            for kind in CHANNEL_KINDS
        ] if connected else [],
        has_accruals=connected and ACCRUAL in chosen,
        digest="yes" if channel.accrual_digest else "no",
    )
    return data
