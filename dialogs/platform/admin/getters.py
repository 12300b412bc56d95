from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiogram_dialog import DialogManager

from billing import admin as billing_admin
from billing import commission, rates, reports
from billing.default_prices import PRICES_AS_OF, is_default_endpoint
from dialogs.widgets import flashes
from i18n.format import day, month_of, rub, sortable_time
from models import ModelPrice, PayoutRequest, PayoutStatus
from notify import outbox
from notify.redact import redact

EVENTS_PAGE = 10
HISTORY = 10


def number(value: Decimal) -> str:
    """A Decimal without trailing zeros or an exponent: 1.500000 -> "1.5", 20.000 -> "20"."""
    return f"{Decimal(value).normalize():f}"


def shares_text(shares: dict[str, Decimal]) -> str:
    """platform / author / each level's percent, as many levels as the schedule has."""
    return " / ".join(number(percent) for percent in shares.values())


def levels_text(shares: dict[str, Decimal], i18n: Any) -> str:
    """"L1 30 %, L2 20 %, ..." for the schedule's levels, or a sentence that it has none."""
    levels = [i18n("commission-level-pct", level=str(k), pct=number(shares[role]))
              for k, role in enumerate(commission.LEVELS, start=1) if role in shares]
    return ", ".join(levels) if levels else i18n("commission-no-levels")


async def menu_getter(dialog_manager: DialogManager, i18n, settings, **_: Any) -> dict:
    rate = await rates.rate_at(datetime.now(UTC))
    shares = await commission.schedule_at(fallback=settings.commission)
    return {
        "rate": number(rate.rub_per_mj) if rate is not None else "—",
        "models": await ModelPrice.filter(active=True).count(),
        "shares": shares_text(shares),
        # " / L1 / L2 / L3" after "platform / author": as many as the schedule has levels.
        "level_names": "".join(f" / L{k}" for k, role in enumerate(commission.LEVELS, start=1) if role in shares),
        "undelivered": await outbox.count_undelivered(),
        "payouts": await PayoutRequest.filter(status=PayoutStatus.REQUESTED).count(),
        **flashes(dialog_manager, i18n),
    }


async def rate_getter(dialog_manager: DialogManager, i18n, settings, **_: Any) -> dict:
    now = datetime.now(UTC)
    tz = settings.timezone
    current = await rates.rate_at(now)
    lines = [
        i18n("admin-rate-line", valid_from=sortable_time(r.valid_from, tz, lang=i18n.lang), rate=number(r.rub_per_mj),
             state="current" if current is not None and r.id == current.id
             else "future" if r.valid_from > now else "past")
        for r in await billing_admin.rate_history(HISTORY)
    ]
    return {
        "current": number(current.rub_per_mj) if current is not None else "—",
        "history": "\n".join(lines) or "—",
        "tz": tz,
        **flashes(dialog_manager, i18n),
    }


def _price_label(i18n, p: ModelPrice) -> str:
    return i18n("admin-price-item", model=p.model, input=number(p.mj_per_1k_input),
                output=number(p.mj_per_1k_output), active="yes" if p.active else "no")


async def prices_getter(dialog_manager: DialogManager, i18n, settings, **_: Any) -> dict:
    prices = await billing_admin.all_prices()
    return {
        "prices": [{"id": p.id, "label": _price_label(i18n, p)} for p in prices],
        "has_prices": bool(prices),
        "no_prices": not prices,
        # The shipped prices' date, on the endpoint they are for (billing.default_prices).
        "shipped": is_default_endpoint(settings.openai_base_url),
        "as_of": day(PRICES_AS_OF, lang=i18n.lang),
        **flashes(dialog_manager, i18n),
    }


async def price_getter(dialog_manager: DialogManager, i18n, **_: Any) -> dict:
    price = await ModelPrice.get_or_none(id=dialog_manager.dialog_data.get("price_id", 0))
    messages = flashes(dialog_manager, i18n)
    if price is None:
        return {"found": False, "model": "", "input": "", "output": "", "is_active": False,
                **messages, "error": messages["error"] or i18n("admin-price-missing")}
    return {"found": True, "model": price.model, "input": number(price.mj_per_1k_input),
            "output": number(price.mj_per_1k_output), "is_active": price.active,
            "status": "yes" if price.active else "no", **messages}


async def commission_getter(dialog_manager: DialogManager, i18n, settings, **_: Any) -> dict:
    now = datetime.now(UTC)
    tz = settings.timezone
    in_force = await commission.schedule_at(now, settings.commission)
    lines = []
    for item in await commission.history(settings.commission, HISTORY):
        if item.valid_from is None:
            lines.append(i18n("admin-commission-configured", shares=shares_text(item.shares)))
        else:
            lines.append(i18n("admin-commission-line", valid_from=sortable_time(item.valid_from, tz, lang=i18n.lang),
                              shares=shares_text(item.shares), state="future" if item.valid_from > now else "past"))
    return {
        "platform_pct": number(in_force["platform"]),
        "author_pct": number(in_force["author"]),
        "levels": levels_text(in_force, i18n),
        "history": "\n".join(lines),
        "rule": await commission.rule_at(now, settings.commission),
        "tz": tz,
        **flashes(dialog_manager, i18n),
    }


async def events_getter(dialog_manager: DialogManager, i18n, **_: Any) -> dict:
    total = await outbox.count_undelivered()
    page = max(0, min(dialog_manager.dialog_data.get("page", 0), (max(total, 1) - 1) // EVENTS_PAGE))
    dialog_manager.dialog_data["page"] = page
    events = await outbox.undelivered(EVENTS_PAGE, page * EVENTS_PAGE)
    lines = [
        i18n("admin-event-line", id=str(e.id), kind=e.kind, chat=str(e.chat_id), attempts=e.attempts,
             error=redact(e.last_error or "—")[:120], created=sortable_time(e.created_at, lang=i18n.lang))
        for e in events
    ]
    return {
        "total": total,
        "has_events": total > 0,
        "no_events": total == 0,
        "events": [{"id": e.id, "label": f"🔁 #{e.id}"} for e in events],
        "lines": "\n".join(lines),
        "page": page + 1,
        "pages": max(1, (total + EVENTS_PAGE - 1) // EVENTS_PAGE),
        "has_prev": page > 0,
        "has_next": (page + 1) * EVENTS_PAGE < total,
        **flashes(dialog_manager, i18n),
    }


def _level_amounts(i18n: Any, amounts: dict[str, int]) -> str:
    return ", ".join(i18n("admin-totals-level", level=str(n), amount=rub(amounts[role], i18n.lang))
                     for n, role in enumerate(commission.LEVELS, start=1) if role in amounts)


async def totals_getter(dialog_manager: DialogManager, i18n, settings, **_: Any) -> dict:
    tz = settings.timezone
    month = dialog_manager.dialog_data.setdefault("month", reports.current_month(datetime.now(UTC), tz))
    t = await reports.month_totals(month, tz)
    return {
        "month": month_of(t.month, i18n.lang),
        "periods": t.periods,
        "revenue": rub(t.revenue_kopecks, i18n.lang),
        "token_cost": rub(t.token_cost_kopecks, i18n.lang),
        "margin": rub(t.margin_kopecks, i18n.lang),
        "losses": rub(t.loss_kopecks, i18n.lang),
        "platform_role": rub(t.by_role["platform"], i18n.lang),
        "author_role": rub(t.by_role["author"], i18n.lang),
        # L1..L3 always; a deeper level when the month's periods paid it.
        "level_roles": _level_amounts(i18n, t.by_role),
        "level_unheld": _level_amounts(i18n, t.unheld),
        "platform_kept": rub(t.platform_kopecks, i18n.lang),
        "to_people": rub(t.paid_to_people_kopecks, i18n.lang),
        "open_due": t.open_due,
        "tz": tz,
        **flashes(dialog_manager, i18n),
    }
