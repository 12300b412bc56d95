"""What the author's partners window shows: one page of partners at a time (an author may have
hundreds), each with their newest links, and the author's own earnings."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

import referral
from billing import partner as partner_money
from billing.commission import schedule_in_force
from i18n.format import rub
from models import User
from services.trackers import TrackerError, TrackerService

PAGE = 10  # partners per page
PAGER_ID = "partners_page"  # the window's StubScroll: it keeps the page number
LINKS_SHOWN = 3  # a partner's newest links on the page; a partner may have up to 100
# Telegram refuses a message over 4,096 characters. The title and ten partners' own lines fit
# well under this; if their links would not, the page lists only how many links each one has.
TEXT_BUDGET = 3_300


def _levels(i18n, amounts: partner_money.LevelAmounts) -> str:
    """Level 1 — X · level 2 — Y · ...: the default three, or as deep as this partner earned."""
    return " · ".join(i18n("partner-month-level", level=n, amount=rub(amount, i18n.lang))
                      for n, amount in amounts.levels(partner_money.shown_depth(amounts)))


def _partners_text(i18n, partners: list[partner_money.PartnerSummary], links_shown: int) -> str:
    blocks = []
    for p in partners:
        lines = [
            i18n("partners-partner", first_name=p.first_name or str(p.user_id),
                 kind="named" if p.is_partner else "client", members=p.members,
                 subscribers=p.subscribers, total=rub(p.earnings.total, i18n.lang), levels=_levels(i18n, p.earnings))
        ]
        lines += [
            i18n("partners-link-line", label=s.label or i18n("partner-link-no-label"), clicks=s.clicks,
                 starts=s.starts, paying=s.paying, revenue=rub(s.revenue_kopecks, i18n.lang))
            for s in p.links[:links_shown]
        ]
        if p.links and not links_shown:
            lines.append(i18n("partners-links-count", count=len(p.links)))
        elif len(p.links) > links_shown:
            lines.append(i18n("partners-more-links", more=len(p.links) - links_shown))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


async def partners_getter(dialog_manager: DialogManager, trackers: TrackerService, user: User, i18n, settings,
                          **_: Any) -> dict:
    try:
        tracker = await trackers.owned(user.id, int((dialog_manager.start_data or {})["tracker_id"]))
    except (TrackerError, KeyError, TypeError, ValueError):
        return {"missing": True, "found": False, "error": i18n("tracker-not-found"), "new_link": "", "pages": 1,
                "paged": False}
    scroll = dialog_manager.find(PAGER_ID)
    number = await scroll.get_page()
    page = await partner_money.tracker_partners(tracker.id, user.id, limit=PAGE, offset=number * PAGE)
    pages = max(1, -(-page.total // PAGE))
    if number >= pages:  # fewer partners than when the page was picked: show the last page
        number = pages - 1
        await scroll.set_page(number)
        page = await partner_money.tracker_partners(tracker.id, user.id, limit=PAGE, offset=number * PAGE)
    # The forecast splits by the schedule in force now (a dated one set by the admin, or the configured one).
    own = await partner_money.earnings(
        tracker.id, user.id, schedule=await schedule_in_force(fallback=settings.commission))
    own_links = await partner_money.links_stats(tracker.id, user.id)
    text = _partners_text(i18n, page.partners, LINKS_SHOWN)
    if len(text) > TEXT_BUDGET:
        text = _partners_text(i18n, page.partners, 0)
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
        "partners_text": text,
        "pages": pages,
        "paged": pages > 1,
        "as_author": rub(own.settled.author, i18n.lang),
        "as_partner": rub(sum(own.settled.by_level), i18n.lang),
        "forecast": rub(own.forecast.total, i18n.lang),
        "own_clients": sum(s.starts for s in own_links if not s.makes_partner),
        "partner_links": len(partner_links),
        "new_link": new_link,
        "error": "",
    }
