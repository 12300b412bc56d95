"""What the private-events screen shows: the asking person's own choice on this tracker."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

from dialogs.widgets import flashes
from models import Tracker, User
from notify import private
from notify.kinds import ACCRUAL


async def private_events_getter(dialog_manager: DialogManager, tracker: Tracker, user: User, i18n,
                                **_: Any) -> dict:
    chosen = await private.choice(tracker.id, user.id)
    return {
        "tracker": tracker.name,
        "has_channel": await private.has_channel(tracker.id, user.id),
        "kinds": [
            {"id": kind, "label": i18n("channel-btn-kind", on="yes" if kind in chosen.events else "no",
                                       label=i18n("channel-kind", kind=kind))}
            for kind in private.PRIVATE_KINDS
        ],
        "has_accruals": ACCRUAL in chosen.events,
        "digest": "yes" if chosen.accrual_digest else "no",
        **flashes(dialog_manager, i18n),
    }
