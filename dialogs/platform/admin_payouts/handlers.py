"""The admin's payout actions. The dialog is behind `admin_only`, and each step in
`billing.payouts` moves a request only from the status it expects, so a stale card or a second
admin pressing at the same time changes nothing and is told what happened instead."""

from __future__ import annotations

import logging
from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, StartMode
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button

from billing.payouts import Outcome, PayoutError
from dialogs.platform.states import AdminPayoutsSG
from dialogs.widgets import reader_lang
from i18n.format import rub
from models import PayoutStatus
from services.outbox import OPEN_CARD

log = logging.getLogger(__name__)


def _ctx(manager: DialogManager) -> tuple[Any, Any]:
    data = manager.middleware_data
    return data["payouts"], data["user"]


def _payout_id(manager: DialogManager) -> int | None:
    value = manager.dialog_data.get("payout_id")
    return value if isinstance(value, int) else None


async def on_start(start_data: Any, manager: DialogManager) -> None:
    if isinstance(start_data, dict) and isinstance(start_data.get("payout_id"), int):
        manager.dialog_data["payout_id"] = start_data["payout_id"]


async def on_open_card(callback: CallbackQuery, dialog_manager: DialogManager) -> None:
    """The button of the admins' "new request" message (sent by the outbox, outside any dialog)."""
    try:
        payout_id = int((callback.data or "").removeprefix(OPEN_CARD))
    except ValueError:
        await callback.answer()
        return
    await callback.answer()
    await dialog_manager.start(AdminPayoutsSG.payout, data={"payout_id": payout_id}, mode=StartMode.RESET_STACK)


async def on_payout_selected(callback: CallbackQuery, _: Any, manager: DialogManager, item_id: str) -> None:
    try:
        manager.dialog_data["payout_id"] = int(item_id)
    except ValueError:
        return
    await manager.switch_to(AdminPayoutsSG.payout)


def _tell(manager: DialogManager, outcome: Outcome, done_key: str) -> None:
    payout = outcome.payout
    params = {"id": payout.id, "amount": rub(payout.amount_kopecks, reader_lang(manager))}
    if not outcome.changed:
        manager.dialog_data["error"] = {"key": "admin-payouts-already",
                                        "params": {**params, "status": PayoutStatus(payout.status).value}}
        return
    manager.dialog_data["notice"] = {"key": done_key, "params": {**params, "reason": payout.failure_reason or ""}}


def _after_yookassa(payout) -> str:
    status = PayoutStatus(payout.status)
    if status == PayoutStatus.PAID:
        return "admin-payouts-yk-paid"
    if status == PayoutStatus.FAILED:
        return "admin-payouts-yk-failed"
    return "admin-payouts-yk-pending"


async def on_yookassa(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    payouts, user = _ctx(manager)
    payout_id = _payout_id(manager)
    if payout_id is None:
        return
    try:
        outcome = await payouts.approve(payout_id, user.id)
    except PayoutError as exc:
        manager.dialog_data["error"] = {"key": exc.code, "params": {}}
        return
    _tell(manager, outcome, _after_yookassa(outcome.payout))


async def on_check(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """Ask YooKassa about this request now instead of waiting for the polling job; what it finds
    decides whether the card offers to close the request by hand."""
    payouts, _user = _ctx(manager)
    payout_id = _payout_id(manager)
    if payout_id is None:
        return
    payout, stuck, answered = await payouts.check(payout_id)
    if payout is None:
        manager.dialog_data["error"] = {"key": "payouts-not-found", "params": {}}
        return
    manager.dialog_data["stuck"] = {"id": payout_id, "reason": stuck}
    params = {"id": payout.id, "amount": rub(payout.amount_kopecks, reader_lang(manager)),
              "reason": payout.failure_reason or ""}
    status = PayoutStatus(payout.status)
    if status != PayoutStatus.APPROVED:
        key = _after_yookassa(payout) if status in (PayoutStatus.PAID, PayoutStatus.FAILED) else "admin-payouts-already"
        manager.dialog_data["notice"] = {"key": key, "params": {**params, "status": status.value}}
    elif stuck:
        manager.dialog_data["error"] = {"key": "admin-payouts-check-stuck", "params": params}
    elif answered:
        manager.dialog_data["notice"] = {"key": "admin-payouts-check-pending", "params": params}
    else:
        manager.dialog_data["error"] = {"key": "admin-payouts-check-no-answer", "params": params}


async def on_decide(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """Paid by hand / reject of a request not yet decided (the input below knows which step)."""
    manager.dialog_data["action"] = "decide"


async def on_close(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """Closing a stuck approved request by hand: failed or paid."""
    manager.dialog_data["action"] = "close"


async def _decide_by_hand(message: Message, manager: DialogManager, *, paid: bool) -> None:
    """The text typed after "paid"/"close as paid" (a reference) or "reject"/"close as failed" (a
    reason); `action` tells a fresh request from a stuck approved one."""
    payouts, user = _ctx(manager)
    payout_id = _payout_id(manager)
    if payout_id is None:
        await manager.switch_to(AdminPayoutsSG.queue)
        return
    closing = manager.dialog_data.get("action") == "close"
    if paid:
        step, done = (payouts.close_paid if closing else payouts.mark_paid), "admin-payouts-done-paid"
    elif closing:
        step, done = payouts.close_failed, "admin-payouts-done-closed-failed"
    else:
        step, done = payouts.reject, "admin-payouts-done-rejected"
    try:
        outcome = await step(payout_id, user.id, message.text or "")
    except PayoutError as exc:
        manager.dialog_data["error"] = {"key": exc.code, "params": {}}
        if exc.code == "admin-payouts-not-stuck":  # YooKassa may still pay it: back to the card
            await manager.switch_to(AdminPayoutsSG.payout)
        return
    _tell(manager, outcome, done)
    await manager.switch_to(AdminPayoutsSG.payout)


async def on_reference_entered(message: Message, _: MessageInput, manager: DialogManager) -> None:
    await _decide_by_hand(message, manager, paid=True)


async def on_reason_entered(message: Message, _: MessageInput, manager: DialogManager) -> None:
    await _decide_by_hand(message, manager, paid=False)
