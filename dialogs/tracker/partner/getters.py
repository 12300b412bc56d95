"""What the partner cabinet shows. Every number comes from the referral domain, which only ever
returns the asking person's own money."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

import referral
from billing import partner as partner_money
from billing.commission import rule_at, schedule_at, schedule_in_force
from billing.plans import plan_on_sale
from billing.split import compile_schedule, role_amounts
from dialogs.tracker.partner.api_tokens import webapp_url
from dialogs.widgets import flashes
from i18n import format as fmt
from i18n.format import rub
from models import PlanKind, Tracker, User


def link_url(tracker: Tracker, code: str) -> str:
    return referral.deep_link(tracker.username, code)


def share_url(url: str, text: str) -> str:
    return referral.share_link(url, text)


async def main_getter(
    dialog_manager: DialogManager, tracker: Tracker, user: User, i18n, settings: Any = None, **_: Any
) -> dict:
    allowed = await referral.can_invite(tracker.id, user.id)
    data: dict[str, Any] = {"allowed": allowed, "not_allowed": not allowed, "name": tracker.name,
                            "first_name": user.first_name or "", "webapp_url": webapp_url(settings, tracker)}
    if allowed:
        # This tracker's money only: the balance is one over all trackers, and lives in "💸 Balance
        # and payouts" and the platform bot's "My partner programs" (partner-balance-where).
        e = await partner_money.earnings(tracker.id, user.id, schedule=await schedule_in_force(
            fallback=settings.commission), tz=settings.timezone)
        runtime = dialog_manager.middleware_data.get("runtime")
        data.update(settled=rub(e.settled.total, i18n.lang), forecast=rub(e.forecast.total, i18n.lang),
                    platform=getattr(runtime, "platform_username", "") or "none")
    else:
        plan = await plan_on_sale(tracker.id, PlanKind.MONTH)
        data["price"] = rub(plan.price_kopecks, i18n.lang) if plan else "—"
    return data


def _link_label(i18n, label: str) -> str:
    return label or i18n("partner-link-no-label")


def _conversion(i18n, clicks: int, starts: int, paying: int) -> str:
    return i18n("partner-conversion", to_start=fmt.conversion(starts, clicks, i18n.lang),
                to_pay=fmt.conversion(paying, starts, i18n.lang))


async def links_getter(
    dialog_manager: DialogManager, tracker: Tracker, user: User, i18n, settings, **_: Any
) -> dict:
    allowed = await referral.can_invite(tracker.id, user.id)
    period = dialog_manager.dialog_data.get("period", "all")
    window = referral.window_for(period, settings.timezone)
    every = await partner_money.links_stats(tracker.id, user.id, include_archived=True, window=window,
                                            tz=settings.timezone) if allowed else []
    stats = [s for s in every if not s.archived]
    may_recruit = allowed and await referral.may_recruit(tracker.id, user.id)
    lines = [
        i18n("partner-link-line", label=_link_label(i18n, s.label), clicks=s.clicks, starts=s.starts,
             paying=s.paying, revenue=rub(s.revenue_kopecks, i18n.lang), earned=rub(s.earned_kopecks, i18n.lang),
             url=link_url(tracker, s.code), kind="partner" if s.makes_partner else "client",
             conversion=_conversion(i18n, s.clicks, s.starts, s.paying))
        for s in stats
    ]
    # Every link counts, archived ones too: they brought these people, and still earn from them.
    totals = {k: sum(getattr(s, k) for s in every) for k in ("clicks", "starts", "paying")}
    return {
        "allowed": allowed,
        "has_links": bool(stats),
        "no_links": allowed and not stats,
        "has_any": bool(every),
        "may_recruit": may_recruit,
        "links": [{"id": s.link_id, "label": _link_label(i18n, s.label)} for s in stats],
        "links_text": "\n\n".join(lines),
        "period": period if period in referral.PERIODS else "all",
        "periods": [{"id": p, "label": i18n("partner-period-btn", period=p, on="yes" if p == period else "no")}
                    for p in referral.PERIODS] if allowed else [],
        "total_text": i18n("partner-links-total", archived=sum(s.archived for s in every),
                           revenue=rub(sum(s.revenue_kopecks for s in every), i18n.lang),
                           earned=rub(sum(s.earned_kopecks for s in every), i18n.lang),
                           conversion=_conversion(i18n, **totals), **totals),
        **flashes(dialog_manager, i18n),
    }


async def link_getter(dialog_manager: DialogManager, tracker: Tracker, user: User, i18n, **_: Any) -> dict:
    stats = None
    link_id = dialog_manager.dialog_data.get("link_id")
    if isinstance(link_id, int):
        stats = await partner_money.link_stats(user.id, link_id)
    if stats is None or stats.tracker_id != tracker.id:
        return {"missing": True, "found": False, "share": "https://t.me/" + tracker.username,
                "error": i18n("referral-link-not-found"), "notice": ""}
    url = link_url(tracker, stats.code)
    conversion = _conversion(i18n, stats.clicks, stats.starts, stats.paying)
    text = i18n("partner-recruit-share-text" if stats.makes_partner else "partner-share-text", name=tracker.name)
    return {
        "missing": False,
        "found": True,
        "label": _link_label(i18n, stats.label),
        "clicks": stats.clicks,
        "starts": stats.starts,
        "paying": stats.paying,
        "revenue": rub(stats.revenue_kopecks, i18n.lang),
        "earned": rub(stats.earned_kopecks, i18n.lang),
        "url": url,
        "share": share_url(url, text),
        "kind": "partner" if stats.makes_partner else "client",
        "conversion": conversion,
        **flashes(dialog_manager, i18n),
    }


def _levels(i18n, amounts: partner_money.LevelAmounts, *, with_author: bool, depth: int) -> str:
    parts = []
    if with_author:
        parts.append(i18n("partner-level-author", amount=rub(amounts.author, i18n.lang)))
    parts += [i18n("partner-level-n", level=n, amount=rub(amount, i18n.lang)) for n, amount in amounts.levels(depth)]
    return "\n".join(parts)


def _month_levels(i18n, amounts: partner_money.LevelAmounts, depth: int) -> str:
    return " · ".join(i18n("partner-month-level", level=n, amount=rub(amount, i18n.lang))
                      for n, amount in amounts.levels(depth))


async def earnings_getter(
    dialog_manager: DialogManager, tracker: Tracker, user: User, i18n, settings, **_: Any
) -> dict:
    is_author = tracker.author_id == user.id
    # The forecast splits by the schedule in force now (a dated one set by the admin, or the configured one).
    e = await partner_money.earnings(
        tracker.id, user.id, schedule=await schedule_in_force(fallback=settings.commission))
    months = await partner_money.monthly_earnings_by_level(tracker.id, user.id, months=12, tz=settings.timezone)
    # As many levels as the partner has money at (at least the default three), the same on every line.
    depth = partner_money.shown_depth(e.settled, e.forecast, *(m.amounts for m in months))
    month_lines = [
        i18n("partner-month-line", month=fmt.month_of(m.month, i18n.lang), total=rub(m.amounts.total, i18n.lang),
             levels=_month_levels(i18n, m.amounts, depth))
        + (i18n("partner-month-author", author=rub(m.amounts.author, i18n.lang)) if is_author else "")
        for m in reversed(months) if m.amounts.total
    ]
    return {
        "settled_total": rub(e.settled.total, i18n.lang),
        "forecast_total": rub(e.forecast.total, i18n.lang),
        "settled_levels": _levels(i18n, e.settled, with_author=is_author, depth=depth),
        "forecast_levels": _levels(i18n, e.forecast, with_author=is_author, depth=depth),
        "months_text": "\n".join(month_lines) or i18n("partner-months-empty"),
    }


async def network_getter(dialog_manager: DialogManager, tracker: Tracker, user: User, i18n, settings,
                         **_: Any) -> dict:
    # As many levels as the schedule in force pays (level 1 always: the people the partner brought).
    depth = compile_schedule(await schedule_in_force(fallback=settings.commission)).depth
    net = await referral.network(tracker.id, user.id, depth=depth)
    return {"people": net.people, "names": ", ".join(net.first_names) or "—",
            "empty": net.people == 0, "has_people": net.people > 0,
            "levels": "\n".join(i18n("partner-network-level", level=lv.level, people=lv.people, paying=lv.paying)
                                for lv in net.levels)}


async def howto_getter(dialog_manager: DialogManager, tracker: Tracker, i18n, settings, **_: Any) -> dict:
    schedule = await schedule_at(fallback=settings.commission)
    plan = await plan_on_sale(tracker.id, PlanKind.MONTH)
    price = plan.price_kopecks if plan else 0
    weights = compile_schedule(schedule)
    amounts = dict(zip((r.value for r in weights.roles), role_amounts(price, weights), strict=True)) \
        if price > 0 else {r.value: 0 for r in weights.roles}
    data: dict[str, Any] = {"name": tracker.name, "has_price": price > 0, "no_price": price <= 0,
                            "price": rub(price, i18n.lang),
                            "unattributed_to_author": await rule_at(fallback=settings.commission) == "author"}
    for role, percent in schedule.items():
        data[f"{role}_pct"] = f"{percent.normalize():f}"
        data[f"{role}_amount"] = rub(amounts.get(role, 0), i18n.lang)
    # One line per level of the schedule in force (0 to 6 of them).
    levels = [(n, data[f"{r.value}_pct"], data[f"{r.value}_amount"])
              for n, r in enumerate(weights.roles[2:], start=1)]
    data["levels"] = "\n".join(i18n("partner-howto-level", level=n, pct=pct, amount=amount)
                                for n, pct, amount in levels) or i18n("partner-howto-no-levels")
    data["levels_inline"] = ", ".join(i18n("partner-howto-level-inline", level=n, pct=pct)
                                      for n, pct, _ in levels) or i18n("commission-no-levels")
    return data
