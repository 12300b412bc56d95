from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

from dialogs.platform.webapp import dashboard_page_url
from dialogs.tracker.partner.getters import share_url
from dialogs.widgets import flash, flashes
from models import TrackerStatus, User
from services.trackers import TrackerError, TrackerService


async def trackers_getter(dialog_manager: DialogManager, trackers: TrackerService, user: User, i18n, **_: Any) -> dict:
    rows = await trackers.list_for(user.id)
    return {
        "trackers": [
            {"id": t.id, "label": i18n("tracker-list-item", name=t.name, username=t.username, status=t.status.value)}
            for t in rows
        ],
        "has_trackers": bool(rows),
        "first_name": user.first_name,
        "error": flash(dialog_manager, "error", i18n),
    }


async def tracker_getter(dialog_manager: DialogManager, trackers: TrackerService, user: User, i18n, settings=None,
                         **_: Any) -> dict:
    tracker_id = (dialog_manager.start_data or {}).get("tracker_id")
    try:
        tracker = await trackers.owned(user.id, int(tracker_id))
    except (TrackerError, TypeError, ValueError):
        return {"missing": True, "name": "", "username": "", "link": "", "share": "", "status": "", "description": "",
                "webapp_dashboard": "", "error": i18n("tracker-not-found")}
    share = await trackers.share_link(tracker, i18n("tracker-link-label"))
    return {
        "missing": False,
        "name": tracker.name,
        "username": tracker.username,
        "link": share,
        "share": share_url(share, i18n("partner-share-text", name=tracker.name)),
        "status": tracker.status.value,
        "description": tracker.description or i18n("tracker-no-description"),
        "is_active": tracker.status == TrackerStatus.ACTIVE,
        "is_paused": tracker.status == TrackerStatus.PAUSED,
        "is_revoked": tracker.status == TrackerStatus.REVOKED,
        "partners_recruit": "yes" if tracker.partners_recruit else "no",
        "webapp_dashboard": dashboard_page_url(settings, tracker.id),
        "created": bool(dialog_manager.dialog_data.get("created", (dialog_manager.start_data or {}).get("created"))),
        **flashes(dialog_manager, i18n),
    }


