from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

from billing.holds import flagged_partners
from dialogs.widgets import flashes
from i18n.format import rub


async def holds_getter(dialog_manager: DialogManager, i18n, **_: Any) -> dict:
    partners = await flagged_partners()
    chosen = dialog_manager.dialog_data.get("partner_id")
    current = next((p for p in partners if p.user_id == chosen), None)
    reasons = ""
    if current is not None:
        # the stored evidence (ids) is for the logs and the database; the screen names the reason
        reasons = "\n".join(i18n("holds-reason-line", reason=reason, tracker=tracker)
                            for reason, tracker, _ in current.reasons)
    return {
        "has_flagged": bool(partners),
        "no_flagged": not partners,
        "total": rub(sum(p.held_kopecks for p in partners), i18n.lang),
        "items": [{"id": p.user_id, "label": i18n("holds-line", name=p.name,
                                                  held=rub(p.held_kopecks, i18n.lang))} for p in partners],
        "name": current.name if current else "",
        "held": rub(current.held_kopecks if current else 0, i18n.lang),
        "has_held": bool(current and current.held_kopecks),
        "reasons": reasons,
        **flashes(dialog_manager, i18n),
    }
