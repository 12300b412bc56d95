"""The admin's payout actions. The dialog is behind `admin_only`, and each step in
`billing.payouts` moves a request only from the status it expects, so a stale card or a second
admin pressing at the same time changes nothing and is told what happened instead."""

from __future__ import annotations

import logging
from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button

from billing.payouts import Outcome, PayoutError
from dialogs.money import rub
from dialogs.platform.states import AdminPayoutsSG
from models import PayoutStatus

log = logging.getLogger(__name__)


def _ctx(manager: DialogManager) -> tuple[Any, Any, Any]:
    data = manager.middleware_data
    return data["payouts"], data["user"], data["i18n"]


def _payout_id(manager: DialogManager) -> int | None:
    value = manager.dialog_data.get("payout_id")
    return value if isinstance(value, int) else None


async def on_payout_selected(callback: CallbackQuery, _: Any, manager: DialogManager, item_id: str) -> None:
    try:
        manager.dialog_data["payout_id"] = int(item_id)
    except ValueError:
        return
    await manager.switch_to(AdminPayoutsSG.payout)


def _tell(manager: DialogManager, outcome: Outcome, done_key: str) -> None:
    payout = outcome.payout
    params = {"id": payout.id, "amount": rub(payout.amount_kopecks)}
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
    payouts, user, i18n = _ctx(manager)
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
    """Ask YooKassa now instead of waiting for the polling job."""
    payouts, _user, _i18n = _ctx(manager)
    await payouts.poll()


async def on_reference_entered(message: Message, _: MessageInput, manager: DialogManager) -> None:
    payouts, user, _i18n = _ctx(manager)
    payout_id = _payout_id(manager)
    if payout_id is None:
        await manager.switch_to(AdminPayoutsSG.queue)
        return
    try:
        outcome = await payouts.mark_paid(payout_id, user.id, message.text or "")
    except PayoutError as exc:
        manager.dialog_data["error"] = {"key": exc.code, "params": {}}
        return
    _tell(manager, outcome, "admin-payouts-done-paid")
    await manager.switch_to(AdminPayoutsSG.payout)


async def on_reason_entered(message: Message, _: MessageInput, manager: DialogManager) -> None:
    payouts, user, _i18n = _ctx(manager)
    payout_id = _payout_id(manager)
    if payout_id is None:
        await manager.switch_to(AdminPayoutsSG.queue)
        return
    try:
        outcome = await payouts.reject(payout_id, user.id, message.text or "")
    except PayoutError as exc:
        manager.dialog_data["error"] = {"key": exc.code, "params": {}}
        return
    _tell(manager, outcome, "admin-payouts-done-rejected")
    await manager.switch_to(AdminPayoutsSG.payout)
