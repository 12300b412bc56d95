"""The client's answer to "the price went up": the button under that notice (services.outbox)
agrees to the plan's new price for the next auto-renewals. Nothing is charged here; the next
renewal run charges it if the paid time is still about to end."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery

from billing.payments import RENEW_PRICE_CALLBACK, agree_to_price, subscription_state
from i18n import format as fmt
from i18n.catalog import Translator
from models import Tracker, User
from services.filters import on_loop
from services.payments import PaymentService


async def on_agree_to_price(callback: CallbackQuery, tracker: Tracker, user: User, i18n: Translator,
                            payments: PaymentService) -> None:
    raw = (callback.data or "").removeprefix(RENEW_PRICE_CALLBACK)
    kopecks = int(raw) if raw.isdigit() and len(raw) <= 12 else -1
    renewal = await agree_to_price(tracker.id, user.id, kopecks) if kopecks > 0 else None
    if renewal is None:
        # Off, or the price changed again since the notice: /subscription shows what is true now.
        await callback.answer(i18n("renew-price-stale"), show_alert=True)
        return
    state = await subscription_state(tracker.id, user.id)
    await callback.answer()
    if callback.message is not None:
        await callback.message.edit_reply_markup(reply_markup=None)
    await callback.bot.send_message(user.id, i18n(  # type: ignore[union-attr]
        "renew-price-agreed", name=tracker.name, amount=fmt.price(kopecks, i18n.lang),
        until=payments.local_date(state.paid_until)))


def router() -> Router:
    r = Router(name="tracker-renewal-price")
    r.callback_query.register(on_agree_to_price, on_loop(F.data.startswith(RENEW_PRICE_CALLBACK)))
    return r
