from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

from billing.plans import all_plans
from dialogs.widgets import flashes
from i18n.format import price
from models import User
from services.payments import plan_args
from services.trackers import TrackerError, TrackerService


def _price(plan) -> str:
    return price(plan.price_kopecks) if plan is not None and plan.on_sale and plan.price_kopecks > 0 else "none"


async def plans_getter(dialog_manager: DialogManager, trackers: TrackerService, user: User, i18n, **_: Any) -> dict:
    tracker_id = (dialog_manager.start_data or {}).get("tracker_id")
    try:
        tracker = await trackers.owned(user.id, int(tracker_id))
    except (TrackerError, TypeError, ValueError):
        return {"missing": True, "name": "", "plans": [], "lines": "", "error": i18n("tracker-not-found"),
                "notice": "", "plan": "", "price": "none", "on_sale": False, "card_on": False,
                "username": "", "collector": ""}
    plans = await all_plans(tracker.id)
    chosen = dialog_manager.dialog_data.get("plan")
    current = plans.get(chosen) if chosen else None  # type: ignore[call-overload]
    messages = flashes(dialog_manager, i18n)
    return {
        "missing": False,
        "name": tracker.name,
        "plans": [{"id": kind.value, "label": i18n("btn-plans-edit", **plan_args(i18n, kind), price=_price(plan))}
                  for kind, plan in plans.items()],
        **messages,
        **(plan_args(i18n, chosen) if chosen else {"plan": ""}),
        "price": _price(current),
        "on_sale": _price(current) != "none",
        "card_on": bool(tracker.provider_token_encrypted),
        "username": tracker.username,
        "collector": tracker.provider_collector.value,
    }
