"""What the payouts screen shows: the person's own balance and requests, nothing of anyone else's."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

from billing import partner as partner_money
from billing.payouts import CARD, METHODS, Destination, Payouts, reason_text
from dialogs.widgets import flashes
from i18n.format import day, rub
from models import User


async def main_getter(dialog_manager: DialogManager, payouts: Payouts, user: User, i18n, **_: Any) -> dict:
    b = await partner_money.balance(user.id)  # folds what is new first, so big accounts read fast
    return {
        "accrued": rub(b.accrued, i18n.lang), "reserved": rub(b.reserved, i18n.lang),
        "paid": rub(b.paid, i18n.lang), "available": rub(b.available, i18n.lang),
        # what the author's own use of their trackers' AI cost them (already out of "available")
        "own_usage": rub(-b.usage, i18n.lang), "has_own_usage": b.usage != 0,
        "minimum": rub(payouts.min_kopecks, i18n.lang),
        "can_withdraw": b.available >= payouts.min_kopecks,
        "too_little": b.available < payouts.min_kopecks,
        **flashes(dialog_manager, i18n),
    }


async def amount_getter(dialog_manager: DialogManager, payouts: Payouts, user: User, i18n, **_: Any) -> dict:
    b = await partner_money.balance(user.id)
    return {"available": rub(b.available, i18n.lang), "minimum": rub(payouts.min_kopecks, i18n.lang),
            **flashes(dialog_manager, i18n)}


def method_name(i18n, method: str) -> str:
    return i18n("payouts-method", method=method)


def offered_methods(payouts: Payouts) -> list[str]:
    """A card only with the YooKassa payout account: its widget takes the number, never the chat."""
    return [m for m in METHODS if m != CARD or payouts.cards_enabled]


def card_url(manager: DialogManager) -> str:
    """The Mini App's card page for the bot this chat is with, or "" without WEBAPP_BASE_URL."""
    data = manager.middleware_data
    base = getattr(data.get("settings"), "webapp_base_url", None)
    if not base:
        return ""
    tracker = data.get("tracker")
    if tracker is not None:
        return f"{base}/app/tracker/{tracker.bot_id}/card"
    return f"{base}/app/platform/{data['bot'].id}/card"


async def card_getter(dialog_manager: DialogManager, payouts: Payouts, user: User, i18n, **_: Any) -> dict:
    card = await payouts.saved_card(user.id)
    url = card_url(dialog_manager)
    return {
        "card_url": url, "no_webapp": not url,
        "has_card": card is not None, "masked": card.masked if card else "",
        "card_again": card is None and await has_old_card(payouts, user.id),
        **flashes(dialog_manager, i18n),
    }


async def has_old_card(payouts: Payouts, user_id: int) -> bool:
    """Whether the person's last card request holds a number from before the widget."""
    views = [v for v in await payouts.mine(user_id, limit=10) if v.method == CARD]
    return bool(views) and views[0].needs_new_card


async def method_getter(dialog_manager: DialogManager, payouts: Payouts, i18n, **_: Any) -> dict:
    return {
        "amount": rub(int(dialog_manager.dialog_data.get("amount", 0)), lang=i18n.lang),
        "methods": [{"id": m, "label": method_name(i18n, m)} for m in offered_methods(payouts)],
        **flashes(dialog_manager, i18n),
    }


async def destination_getter(dialog_manager: DialogManager, i18n, **_: Any) -> dict:
    method = dialog_manager.dialog_data.get("method", "")
    return {"method": method, "is_sbp": method == "sbp", "is_wallet": method == "yoomoney",
            **flashes(dialog_manager, i18n)}


async def confirm_getter(dialog_manager: DialogManager, payouts: Payouts, i18n, **_: Any) -> dict:
    data = dialog_manager.dialog_data
    dest = Destination.from_json(payouts.box.decrypt(data["dest"])) if data.get("dest") else None
    return {
        "amount": rub(int(data.get("amount", 0)), lang=i18n.lang),
        "method_name": method_name(i18n, dest.method) if dest else "",
        "masked": dest.masked if dest else "",
        "is_card": bool(dest and dest.method == CARD),
        **flashes(dialog_manager, i18n),
    }


def payout_line(i18n, view, tz=None) -> str:
    line = i18n("payouts-line", id=view.id, date=day(view.created_at, tz, lang=i18n.lang),
                amount=rub(view.amount_kopecks, i18n.lang),
                method_name=method_name(i18n, view.method), masked=view.masked,
                status_name=i18n("payouts-status", status=view.status))
    if view.failure_reason and view.status in ("rejected", "failed"):
        line += "\n" + i18n("payouts-line-reason", reason=reason_text(i18n, view.failure_reason))
    if view.reference and view.status == "paid":
        line += "\n" + i18n("payouts-line-reference", reference=view.reference)
    return line


async def history_getter(dialog_manager: DialogManager, payouts: Payouts, user: User, i18n, **_: Any) -> dict:
    views = await payouts.mine(user.id, limit=10)
    return {
        "has_payouts": bool(views),
        "no_payouts": not views,
        "payouts_text": "\n\n".join(payout_line(i18n, v) for v in views),
        **flashes(dialog_manager, i18n),
    }
