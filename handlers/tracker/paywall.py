"""What a client without access sees: the tracker's plans on sale, what each gives, and buy buttons.

`show_paywall` is the one entry point: the conversation calls it when access runs out, and
`/subscription` shows it to a client without a subscription. A plan button leads to the ways to
pay that are switched on (handlers.tracker.payments).
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from billing.access import access_for
from billing.plans import PLAN_ORDER, PriceTag, plans_on_sale
from i18n.catalog import Translator
from i18n.format import price
from models import Plan, Tracker, User
from services.payments import plan_args

__all__ = ["PLAN_ORDER", "BuyPlan", "plans_keyboard", "show_paywall"]


class BuyPlan(CallbackData, prefix="buy"):
    plan: str


def plans_keyboard(plans: Sequence[Plan | PriceTag], i18n: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=i18n("btn-plan", **plan_args(i18n, p.kind.value),
                                        price=price(p.price_kopecks, i18n.lang)),
                              callback_data=BuyPlan(plan=p.kind.value).pack())]
        for p in plans
    ])


async def show_paywall(message: Message, tracker: Tracker, user: User, i18n: Translator, *,
                       extend: bool = False, plans: Sequence[Plan | PriceTag] | None = None) -> None:
    """The plans with their prices and a button each; `extend`: for a client who already pays.
    `plans`: the plans on sale if the caller read them already (the conversation reads them with
    the client's access)."""
    if plans is None:
        plans = await plans_on_sale(tracker.id)
    if not plans:
        await message.answer(i18n("paywall-nothing-on-sale", name=tracker.name))
        return
    lines = [i18n("paywall-plan-line", **plan_args(i18n, p.kind.value),
                  price=price(p.price_kopecks, i18n.lang)) for p in plans]
    title = i18n("paywall-extend-title", name=tracker.name) if extend else i18n("paywall-title", name=tracker.name)
    text = title + "\n\n" + "\n".join(lines)
    if not extend and tracker.free_messages > 0:
        access = await access_for(tracker, user.id)
        text += "\n\n" + i18n("paywall-free-left", left=access.free_left, total=access.free_total)
    await message.answer(text, reply_markup=plans_keyboard(plans, i18n))
