"""What the admin's payout queue shows: pending requests with the person and a masked
destination; the payout's card with a phone or a wallet in full, to pay by hand, and a card only
masked (the platform never holds a card number)."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

from billing.payouts import Payouts, reason_text
from dialogs.tracker.payouts.getters import method_name
from dialogs.widgets import flashes
from i18n.format import day_time, rub
from models import PayoutStatus, Tracker

PAGE = 30


def who(view) -> str:
    name = view.first_name or str(view.user_id)
    return f"{name} (@{view.username})" if view.username else name


async def queue_getter(dialog_manager: DialogManager, payouts: Payouts, i18n, **_: Any) -> dict:
    views, total = await payouts.queue(limit=PAGE)
    lines = [i18n("admin-payouts-line", id=v.id, amount=rub(v.amount_kopecks, i18n.lang), who=who(v),
                  method_name=method_name(i18n, v.method), masked=v.masked,
                  status_name=i18n("payouts-status", status=v.status)) for v in views]
    return {
        "total": total,
        "has_payouts": bool(views),
        "no_payouts": not views,
        "payouts_text": "\n".join(lines),
        "items": [{"id": v.id, "label": f"№{v.id} · {rub(v.amount_kopecks, i18n.lang)} · {v.first_name or v.user_id}"}
                  for v in views],
        **flashes(dialog_manager, i18n),
    }


async def payout_getter(dialog_manager: DialogManager, payouts: Payouts, i18n, **_: Any) -> dict:
    view = None
    payout_id = dialog_manager.dialog_data.get("payout_id")
    if isinstance(payout_id, int):
        view = await payouts.card(payout_id)
    common = flashes(dialog_manager, i18n)
    if view is None:
        return {"found": False, "missing": True, "requested": False, "approved": False, "can_yookassa": False,
                "card_again": False, "stuck": False, "deciding": True, "closing": False, **common,
                "error": common["error"] or i18n("payouts-not-found")}
    source = i18n("admin-payouts-source-platform")
    if view.tracker_id:
        tracker = await Tracker.get_or_none(id=view.tracker_id)
        if tracker is not None:
            source = f"@{tracker.username}"
    requested = view.status == PayoutStatus.REQUESTED.value
    stuck = await payouts.stuck_reason(view.id)
    found = dialog_manager.dialog_data.get("stuck")  # what the last "check status" found
    if stuck is None and isinstance(found, dict) and found.get("id") == view.id:
        stuck = found.get("reason")
    if view.status != PayoutStatus.APPROVED.value:
        stuck = None
    closing = dialog_manager.dialog_data.get("action") == "close"
    extra = ""
    if view.reference:
        extra += "\n" + i18n("payouts-line-reference", reference=view.reference)
    if view.failure_reason:
        extra += "\n" + i18n("payouts-line-reason", reason=reason_text(i18n, view.failure_reason))
    return {
        "found": True,
        "missing": False,
        "id": view.id,
        "amount": rub(view.amount_kopecks, i18n.lang),
        "who": who(view),
        "user_id": view.user_id,
        "source": source,
        "method_name": method_name(i18n, view.method),
        "full": view.full or view.masked,
        "status_name": i18n("payouts-status", status=view.status),
        "date": day_time(view.created_at, lang=i18n.lang),
        "extra": extra,
        "requested": requested,
        "approved": view.status == PayoutStatus.APPROVED.value and payouts.gateway is not None,
        "can_yookassa": requested and payouts.can_pay_automatically(view.method) and not view.needs_new_card,
        "card_again": requested and view.needs_new_card,
        "stuck": bool(stuck),
        "stuck_text": i18n(f"admin-payouts-stuck-{stuck}") if stuck else "",
        "closing": closing,
        "deciding": not closing,
        **common,
    }
