"""The withdrawal form: amount → where to pay → confirm. A card is never typed here: it is the one
the person added through YooKassa's widget in the Mini App (its synonym and mask). A phone or a
wallet is encrypted before it is kept in the dialog's data (which lives in the FSM storage), and
the message that carried it is deleted from the chat. The form's `request_key` is made when it opens, so a double tap on
"send" is one request."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button

from billing import partner as partner_money
from billing.payouts import CARD, SBP, Destination, PayoutError, parse_bank, parse_phone, parse_rubles
from dialogs.tracker.payouts.getters import offered_methods
from dialogs.tracker.states import PayoutsSG
from dialogs.widgets import reader_lang
from i18n.format import rub

log = logging.getLogger(__name__)


def _ctx(manager: DialogManager) -> tuple[Any, Any]:
    data = manager.middleware_data
    return data["payouts"], data["user"]


def _error(manager: DialogManager, exc: PayoutError) -> None:
    params = {k: rub(v, reader_lang(manager)) if k in ("minimum", "available") else v for k, v in exc.params.items()}
    manager.dialog_data["error"] = {"key": exc.code, "params": params}


async def on_withdraw(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    manager.dialog_data.pop("dest", None)
    manager.dialog_data["request_key"] = uuid.uuid4().hex
    await manager.switch_to(PayoutsSG.amount)


async def _set_amount(manager: DialogManager, amount: int) -> None:
    payouts, user = _ctx(manager)
    available = (await partner_money.balance(user.id)).available
    try:
        if amount < payouts.min_kopecks:
            raise PayoutError("payouts-below-minimum", minimum=payouts.min_kopecks)
        if amount > available:
            raise PayoutError("payouts-not-enough", available=max(available, 0))
    except PayoutError as exc:
        _error(manager, exc)
        return
    manager.dialog_data["amount"] = amount
    await manager.switch_to(PayoutsSG.method)


async def on_amount_entered(message: Message, _: MessageInput, manager: DialogManager) -> None:
    try:
        amount = parse_rubles(message.text or "")
    except PayoutError as exc:
        _error(manager, exc)
        return
    await _set_amount(manager, amount)


async def on_all(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    _, user = _ctx(manager)
    await _set_amount(manager, (await partner_money.balance(user.id)).available)


async def on_method(callback: CallbackQuery, _: Any, manager: DialogManager, item_id: str) -> None:
    payouts, _user = _ctx(manager)
    if item_id not in offered_methods(payouts):
        return
    manager.dialog_data["method"] = item_id
    if item_id == CARD:  # never typed: the saved card from YooKassa's widget, or the Mini App to add one
        if await _use_saved_card(manager):
            return
        await manager.switch_to(PayoutsSG.card)
        return
    await manager.switch_to(PayoutsSG.destination)


async def _use_saved_card(manager: DialogManager) -> bool:
    payouts, user = _ctx(manager)
    card = await payouts.saved_card(user.id)
    if card is None:
        return False
    manager.dialog_data["dest"] = payouts.box.encrypt(card.to_json())
    await manager.switch_to(PayoutsSG.confirm)
    return True


async def on_card_done(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """Back from the Mini App: the card it saved, or a word that none came."""
    if manager.dialog_data.get("amount") and await _use_saved_card(manager):
        return
    if not manager.dialog_data.get("amount"):
        await manager.switch_to(PayoutsSG.main)
        return
    manager.dialog_data["error"] = {"key": "payouts-card-missing", "params": {}}


async def _forget(message: Message) -> None:
    """The chat should not keep a phone or a wallet in plain sight."""
    try:
        await message.delete()
    except TelegramAPIError as exc:
        log.info("could not delete a payout destination message: %s", exc)


async def on_destination_entered(message: Message, _: MessageInput, manager: DialogManager) -> None:
    payouts, _user = _ctx(manager)
    method = manager.dialog_data.get("method", "")
    text = message.text or ""
    await _forget(message)
    try:
        if method == SBP:
            manager.dialog_data["phone"] = payouts.box.encrypt(parse_phone(text))
            await manager.switch_to(PayoutsSG.bank)
            return
        dest = Destination.parse(method, text)
    except PayoutError as exc:
        _error(manager, exc)
        return
    manager.dialog_data["dest"] = payouts.box.encrypt(dest.to_json())
    await manager.switch_to(PayoutsSG.confirm)


async def on_bank_entered(message: Message, _: MessageInput, manager: DialogManager) -> None:
    payouts, _user = _ctx(manager)
    phone = manager.dialog_data.pop("phone", None)
    if not phone:
        await manager.switch_to(PayoutsSG.destination)
        return
    try:
        dest = Destination(SBP, payouts.box.decrypt(phone), parse_bank(message.text or ""))
    except PayoutError as exc:
        manager.dialog_data["phone"] = phone
        _error(manager, exc)
        return
    manager.dialog_data["dest"] = payouts.box.encrypt(dest.to_json())
    await manager.switch_to(PayoutsSG.confirm)


async def on_confirm(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    payouts, user = _ctx(manager)
    data = manager.dialog_data
    if not data.get("dest") or not data.get("request_key") or not data.get("amount"):
        await manager.switch_to(PayoutsSG.main)
        return
    tracker = manager.middleware_data.get("tracker")  # None in the platform bot
    try:
        outcome = await payouts.request(
            user_id=user.id, amount_kopecks=int(data["amount"]),
            destination=Destination.from_json(payouts.box.decrypt(data["dest"])),
            request_key=data["request_key"], tracker_id=tracker.id if tracker is not None else None)
    except PayoutError as exc:
        _error(manager, exc)
        await manager.switch_to(PayoutsSG.amount if exc.code in ("payouts-below-minimum", "payouts-not-enough")
                                else PayoutsSG.confirm)
        return
    for key in ("dest", "request_key", "amount", "method"):
        data.pop(key, None)
    data["notice"] = {"key": "payouts-sent", "params": {"id": outcome.payout.id,
                                                        "amount": rub(outcome.payout.amount_kopecks,
                                                                      reader_lang(manager))}}
    await manager.switch_to(PayoutsSG.history)
