from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiogram_dialog import DialogManager

from billing.access import free_allowance
from billing.estimate import ScheduleLine, meetings_per_month, monthly_estimate
from billing.policy import load_policy
from billing.rates import MICRO, mj_to_kopecks, rate_at
from dialogs.widgets import flashes
from i18n.format import count as fmt_count
from i18n.format import decimal, fixed, price
from llm.conversation import fmt_mj
from models import Meeting, ModelPrice, Plan, PlanKind, Scenario, ScenarioTrigger, Tracker
from services.trackers import TrackerError


async def owned_tracker(manager: DialogManager) -> Tracker | None:
    data = manager.middleware_data
    try:
        return await data["trackers"].owned(data["user"].id, int((manager.start_data or {})["tracker_id"]))
    except (TrackerError, KeyError, TypeError, ValueError):
        return None


async def average_micro(scenario_id: int) -> tuple[int, int]:
    """(meetings held, their average mJ in millionths), ended meetings only (tests included)."""
    values = await Meeting.filter(scenario_id=scenario_id, ended_at__not_isnull=True).values_list("mj_micro", flat=True)
    return len(values), (sum(values) // len(values) if values else 0)


def trigger_text(scenario: Scenario, i18n) -> str:
    if scenario.trigger == ScenarioTrigger.ONCE:
        return i18n("ai-trigger-once")
    if scenario.trigger == ScenarioTrigger.ON_DEMAND:
        return i18n("ai-trigger-on-demand")
    days = ", ".join(i18n("weekday-short", day=d) for d in scenario.weekday_list)
    return i18n("ai-trigger-weekly", days=days, time=scenario.time_of_day)


def ending_text(scenario: Scenario, i18n) -> str:
    if scenario.end_marker:
        return i18n("ai-end-marker", marker=scenario.end_marker)
    if scenario.timeout_minutes:
        return i18n("ai-end-timeout", minutes=scenario.timeout_minutes)
    return i18n("ai-end-command")


async def estimate_text(tracker: Tracker, i18n) -> str:
    """The seed's "Chat" figure: regular meetings a month x average mJ x rate, and the margin."""
    rate = await rate_at(datetime.now(UTC))
    if rate is None:
        return ""
    lines, labels = [], []
    for scenario in await Scenario.filter(tracker_id=tracker.id, active=True, trigger=ScenarioTrigger.WEEKLY):
        _, avg = await average_micro(scenario.id)
        count = meetings_per_month(len(scenario.weekday_list))
        lines.append(ScheduleLine(count, Decimal(avg) / MICRO))
        labels.append(i18n("ai-estimate-line", name=scenario.name, count=count, avg=fmt_mj(avg, i18n.lang)))
    month = await Plan.get_or_none(tracker_id=tracker.id, kind=PlanKind.MONTH)
    est = monthly_estimate(lines, rate.rub_per_mj, month.price_kopecks if month else None)
    if est.margin_kopecks is None or est.price_kopecks is None:
        margin = i18n("ai-estimate-no-price")
    else:
        margin = i18n("ai-estimate-margin", price=price(est.price_kopecks, i18n.lang),
                      margin=price(est.margin_kopecks, i18n.lang))
    return i18n(
        "ai-estimate", lines="; ".join(labels) or i18n("ai-estimate-none"), mj=fixed(est.mj, lang=i18n.lang),
        cost=price(est.cost_kopecks, i18n.lang), rate=decimal(rate.rub_per_mj, i18n.lang), margin=margin,
    )


async def panel_getter(dialog_manager: DialogManager, i18n, settings, **_: Any) -> dict:
    tracker = await owned_tracker(dialog_manager)
    if tracker is None:
        return {"missing": True, "scenarios": [], "models": [], "error": i18n("tracker-not-found")}
    scenarios = await Scenario.filter(tracker_id=tracker.id, active=True).order_by("id")
    lines = []
    for s in scenarios:
        _, avg = await average_micro(s.id)
        lines.append(i18n("ai-scenario-line", name=s.name, trigger=trigger_text(s, i18n), avg=fmt_mj(avg, i18n.lang)))
    rate = await rate_at(datetime.now(UTC))
    limit = tracker.period_mj_limit
    models = await ModelPrice.filter(active=True).order_by("model").values_list("model", flat=True)
    return {
        "missing": False,
        "name": tracker.name,
        "model": tracker.model or settings.default_model,
        "free": fmt_count(free_allowance(tracker, await load_policy()), lang=i18n.lang),  # within the platform's cap
        "limit": (i18n("ai-mj-amount", mj=decimal(limit, i18n.lang)) if limit is not None
                  else i18n("ai-panel-limit-default")),
        "rate": decimal(rate.rub_per_mj, i18n.lang) if rate else i18n("ai-panel-no-rate"),
        "prompt": (tracker.system_prompt or i18n("ai-panel-no-prompt"))[:1500],
        "scenario_lines": "\n".join(lines) or i18n("ai-panel-no-scenarios"),
        "scenarios": [{"id": s.id, "name": s.name} for s in scenarios],
        "models": [{"id": model, "name": model} for model in models],
        "has_models": bool(models),
        **flashes(dialog_manager, i18n),
    }


async def scenario_getter(dialog_manager: DialogManager, i18n, **_: Any) -> dict:
    tracker = await owned_tracker(dialog_manager)
    scenario = None
    if tracker is not None:
        scenario = await Scenario.get_or_none(id=dialog_manager.dialog_data.get("scenario_id"), tracker_id=tracker.id)
    if scenario is None:
        return {"missing": True, "error": i18n("tracker-not-found"), "name": "", "mj": "0"}
    count, avg = await average_micro(scenario.id)
    meeting_id = dialog_manager.dialog_data.get("meeting_id")
    meeting = await Meeting.get_or_none(id=meeting_id) if meeting_id else None
    rate = await rate_at(datetime.now(UTC))
    mj_micro = meeting.mj_micro if meeting else 0
    return {
        "missing": False,
        "name": scenario.name,
        "trigger": trigger_text(scenario, i18n),
        "ending": ending_text(scenario, i18n),
        "meetings": count,
        "avg": fmt_mj(avg, i18n.lang),
        "prompt": scenario.prompt[:1500] or "—",
        "mj": fmt_mj(mj_micro, i18n.lang),
        "cost": price(mj_to_kopecks(Decimal(mj_micro) / MICRO, rate.rub_per_mj), lang=i18n.lang) if rate else "—",
        "estimate": await estimate_text(tracker, i18n),
        **flashes(dialog_manager, i18n),
    }


