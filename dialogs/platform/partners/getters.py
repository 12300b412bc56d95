from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

import referral
from bot.trackers import TrackerError, TrackerService
from dialogs.money import rub
from models import User

PAGE = 20


def _levels(i18n, amounts: referral.LevelAmounts) -> str:
    return i18n("partners-levels", l1=rub(amounts.l1), l2=rub(amounts.l2), l3=rub(amounts.l3))


async def partners_getter(dialog_manager: DialogManager, trackers: TrackerService, user: User, i18n, settings,
                          **_: Any) -> dict:
    try:
        tracker = await trackers.owned(user.id, int((dialog_manager.start_data or {})["tracker_id"]))
    except (TrackerError, KeyError, TypeError, ValueError):
        return {"missing": True, "found": False, "error": i18n("tracker-not-found"), "new_link": ""}
    page = await referral.tracker_partners(tracker.id, user.id, limit=PAGE)
    own = await referral.earnings(tracker.id, user.id, schedule=settings.commission)
    own_links = await referral.links_stats(tracker.id, user.id)
    blocks = []
    for p in page.partners:
        links = "\n".join(
            i18n("partners-link-line", label=s.label or i18n("partner-link-no-label"), clicks=s.clicks,
                 starts=s.starts, paying=s.paying, revenue=rub(s.revenue_kopecks))
            for s in p.links
        )
        blocks.append(i18n("partners-partner", first_name=p.first_name or str(p.user_id),
                           kind="named" if p.is_partner else "client", members=p.members,
                           subscribers=p.subscribers, total=rub(p.earnings.total), levels=_levels(i18n, p.earnings))
                      + ("\n" + links if links else ""))
    partner_links = [s for s in own_links if s.makes_partner]
    new_link_id = dialog_manager.dialog_data.get("new_link_id")
    new_link = next((referral.deep_link(tracker.username, s.code) for s in own_links if s.link_id == new_link_id), "")
    return {
        "missing": False,
        "found": True,
        "name": tracker.name,
        "username": tracker.username,
        "total": page.total,
        "has_partners": bool(page.partners),
        "no_partners": not page.partners,
        "partners_text": "\n\n".join(blocks),
        "as_author": rub(own.settled.author),
        "as_partner": rub(own.settled.l1 + own.settled.l2 + own.settled.l3),
        "forecast": rub(own.forecast.total),
        "own_clients": sum(s.starts for s in own_links if not s.makes_partner),
        "partner_links": len(partner_links),
        "new_link": new_link,
        "more": max(page.total - len(page.partners), 0),
        "error": "",
    }
