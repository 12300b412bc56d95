"""What "My partner programs" shows: the person's own figures only, from the cabinet's read model."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

from billing import partner as partner_money
from billing.commission import schedule_in_force
from dialogs.platform.webapp import programs_page_url
from dialogs.tracker.partner.dialogs import cabinet_url
from i18n.format import count, rub
from models import User


def program_line(i18n: Any, program: partner_money.Program) -> str:
    return i18n(
        "programs-line",
        name=program.name,
        username=program.username,
        role="author" if program.is_author else "partner",
        status=program.status,
        settled=rub(program.settled.total, i18n.lang),
        forecast=rub(program.forecast.total, i18n.lang),
        links=program.links,
        links_text=count(program.links, i18n.lang),
        url=cabinet_url(program.username),
    )


async def programs_getter(dialog_manager: DialogManager, user: User, i18n: Any, settings: Any, **_: Any) -> dict:
    found = await partner_money.programs(
        user.id, schedule=await schedule_in_force(fallback=settings.commission), tz=settings.timezone)
    # The balance is one account's over all trackers: shown here once, not beside each tracker's figures.
    b = await partner_money.balance(user.id)
    return {
        "has_programs": bool(found),
        "no_programs": not found,
        "programs_text": "\n\n".join(program_line(i18n, p) for p in found),
        "settled_all": rub(sum(p.settled.total for p in found), i18n.lang),
        "accrued": rub(b.accrued, i18n.lang),
        "reserved": rub(b.reserved, i18n.lang),
        "paid": rub(b.paid, i18n.lang),
        "available": rub(b.available, i18n.lang),
        "webapp_programs": programs_page_url(settings),
    }
