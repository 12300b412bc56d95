"""Buying, paying and `/subscription` in every tracker bot.

`money_router()` (pre-checkout and successful payments) goes before the paused gate: money that
Telegram already took is always recorded, and a paused tracker refuses at pre-checkout with a
message. `router()` (plan buttons, ways to pay, /subscription, auto-renewal) is behind the gate.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    Message,
    PreCheckoutQuery,
)

from billing.payments import (
    METHOD_STARS,
    METHOD_TELEGRAM,
    STARS_SUBSCRIPTION_PERIOD,
    InvalidPayload,
    check_invoice,
    decode_payload,
    record_telegram_payment,
    refund_recorded,
    set_auto_renew,
    subscription_state,
)
from billing.plans import plan_on_sale
from billing.yookassa_gateway import GatewayError, build_receipt, provider_data
from handlers.tracker.paywall import BuyPlan, show_paywall
from i18n import format as fmt
from i18n.catalog import Translator
from models import Membership, Payment, PaymentProvider, Plan, PlanKind, Tracker, User
from services.filters import on_loop
from services.payments import METHOD_YOOKASSA, PaymentService, plan_args

log = logging.getLogger(__name__)


class PayWith(CallbackData, prefix="pay"):
    method: str
    plan: str
    price: int
    renew: int = 0


class AutoRenew(CallbackData, prefix="renew"):
    on: int


class Extend(CallbackData, prefix="extend"):
    pass


def _button(text: str, data: CallbackData | None = None, url: str | None = None) -> list[InlineKeyboardButton]:
    if url is not None:
        return [InlineKeyboardButton(text=text, url=url)]
    return [InlineKeyboardButton(text=text, callback_data=data.pack())]  # type: ignore[union-attr]


# --------------------------------------------------------------------------- choosing


async def on_buy(callback: CallbackQuery, callback_data: BuyPlan, tracker: Tracker, user: User, i18n: Translator,
                 payments: PaymentService) -> None:
    await callback.answer()
    plan = await plan_on_sale(tracker.id, callback_data.plan)
    if plan is None:
        await callback.message.answer(i18n("payment-error-not-on-sale", **plan_args(i18n, callback_data.plan)))
        await show_paywall(callback.message, tracker, user, i18n)
        return
    methods = payments.methods(tracker)
    if not methods:
        await callback.message.answer(i18n("payments-not-configured"))
        return
    kind, price = plan.kind.value, plan.price_kopecks
    rows = []
    for method in methods:
        if method == METHOD_TELEGRAM:
            rows.append(_button(i18n("btn-pay-telegram", price=fmt.price(price, i18n.lang)),
                                PayWith(method=method, plan=kind, price=price)))
        elif method == METHOD_STARS:
            key = "btn-pay-stars-monthly" if plan.kind == PlanKind.MONTH else "btn-pay-stars"
            rows.append(_button(i18n(key, stars=payments.stars(price)), PayWith(method=method, plan=kind, price=price)))
        elif method == METHOD_YOOKASSA:
            rows.append(_button(i18n("btn-pay-yookassa", price=fmt.price(price, i18n.lang)),
                                PayWith(method=method, plan=kind, price=price)))
            rows.append(_button(i18n("btn-pay-yookassa-auto", price=fmt.price(price, i18n.lang)),
                                PayWith(method=method, plan=kind, price=price, renew=1)))
    await callback.message.answer(
        i18n("paywall-choose-method", **plan_args(i18n, kind), price=fmt.price(price, i18n.lang)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def on_pay(callback: CallbackQuery, callback_data: PayWith, bot: Bot, tracker: Tracker, user: User,
                 i18n: Translator, payments: PaymentService) -> None:
    await callback.answer()
    message = callback.message
    plan = await plan_on_sale(tracker.id, callback_data.plan)
    if plan is None or plan.price_kopecks != callback_data.price:
        await message.answer(i18n("payment-error-price-changed", **plan_args(i18n, callback_data.plan)))
        await show_paywall(message, tracker, user, i18n)
        return
    if callback_data.method not in payments.methods(tracker):
        await message.answer(i18n("payments-not-configured"))
        return
    if callback_data.method == METHOD_YOOKASSA:
        await _pay_by_link(message, tracker, user, plan, bool(callback_data.renew), i18n, payments)
        return
    title = i18n("invoice-title", **plan_args(i18n, plan.kind.value))[:32]
    description = i18n("invoice-description", name=tracker.name, **plan_args(i18n, plan.kind.value))[:255]
    payload = payments.payload(bot.id, callback_data.method, tracker, user.id, plan.kind, plan.price_kopecks)
    if callback_data.method == METHOD_TELEGRAM:
        extra: dict = {}
        if payments.settings.tax_system_code is not None:  # 54-FZ: Telegram asks for the email
            receipt = build_receipt(description, plan.price_kopecks, tax_system_code=payments.settings.tax_system_code,
                                    vat_code=payments.settings.vat_code)
            extra = dict(need_email=True, send_email_to_provider=True, provider_data=provider_data(receipt))
        await bot.send_invoice(
            message.chat.id, title=title, description=description, payload=payload,
            provider_token=payments.provider_token(tracker), currency="RUB",
            prices=[LabeledPrice(label=title, amount=plan.price_kopecks)], **extra,
        )
        return
    stars = payments.stars(plan.price_kopecks)
    prices = [LabeledPrice(label=title, amount=stars)]
    if plan.kind == PlanKind.MONTH:  # a Stars subscription: Telegram charges every 30 days
        link = await bot.create_invoice_link(title=title, description=description, payload=payload, currency="XTR",
                                             prices=prices, subscription_period=STARS_SUBSCRIPTION_PERIOD)
        await message.answer(i18n("stars-subscription-offer", stars=stars),
                             reply_markup=InlineKeyboardMarkup(inline_keyboard=[_button(
                                 i18n("btn-pay-link-stars", stars=stars), url=link)]))
        return
    await bot.send_invoice(message.chat.id, title=title, description=description, payload=payload, currency="XTR",
                           prices=prices)


async def _pay_by_link(message: Message, tracker: Tracker, user: User, plan: Plan, auto_renew: bool,
                       i18n: Translator, payments: PaymentService) -> None:
    assert payments.yookassa is not None
    description = i18n("invoice-description", name=tracker.name, **plan_args(i18n, plan.kind.value))
    try:
        checkout = await payments.yookassa.start_checkout(
            tracker, user.id, plan.kind, plan.price_kopecks, auto_renew=auto_renew,
            return_url=payments.return_url(tracker), description=description,
        )
    except GatewayError as exc:
        log.warning("YooKassa link for tracker %s, user %s failed: %s", tracker.id, user.id, exc)
        await message.answer(i18n("yookassa-unavailable"))
        return
    key = "yookassa-link-offer-auto" if auto_renew else "yookassa-link-offer"
    await message.answer(
        i18n(key, **plan_args(i18n, plan.kind.value), price=fmt.price(plan.price_kopecks, i18n.lang)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[_button(
            i18n("btn-pay-link", price=fmt.price(plan.price_kopecks, i18n.lang)), url=checkout.confirmation_url)]),
    )


# --------------------------------------------------------------------------- paying


async def on_pre_checkout(query: PreCheckoutQuery, bot: Bot, tracker: Tracker, i18n: Translator,
                          payments: PaymentService) -> None:
    # Money is decided on the row itself, not the per-bot cache (services.tracker_cache), which a
    # sibling worker may see a pause up to one tracker sync late; a pre-checkout is rare.
    tracker = await Tracker.get(id=tracker.id)
    check = await check_invoice(payments.box, bot.id, tracker, query.from_user.id, query.invoice_payload,
                                query.currency, query.total_amount, payments.rate)
    if check.ok:
        await query.answer(ok=True)
        return
    log.info("pre-checkout refused for user %s on tracker %s: %s", query.from_user.id, tracker.id, check.error)
    params = dict(check.params)
    if "plan" in params:
        params.update(plan_args(i18n, params.pop("plan")))
    await query.answer(ok=False, error_message=i18n(check.error, **params)[:255])


async def on_successful_payment(message: Message, bot: Bot, tracker: Tracker, i18n: Translator,
                                payments: PaymentService) -> None:
    paid = message.successful_payment
    try:
        terms = decode_payload(payments.box, bot.id, paid.invoice_payload)
    except InvalidPayload:
        terms = None
    if terms is None or terms.tracker_id != tracker.id or terms.user_id != message.from_user.id:
        log.error("successful payment %s with a payload that is not ours: %r", paid.telegram_payment_charge_id,
                  paid.invoice_payload)
        await message.answer(i18n("payment-not-recognized"))
        return
    recurring = bool(paid.is_recurring or paid.subscription_expiration_date)
    renewal = bool(paid.is_recurring and not paid.is_first_recurring)
    await Membership.get_or_create(tracker_id=tracker.id, user_id=terms.user_id)
    # The client's "paid until ..." is written to the outbox with the payment: it arrives once,
    # even if this process stops before answering and Telegram sends the update again.
    outcome = await record_telegram_payment(terms, paid.telegram_payment_charge_id, paid.currency,
                                            paid.total_amount, tz=payments.tz, recurring=recurring, renewal=renewal)
    if not outcome.created:
        log.info("duplicate successful payment %s ignored", paid.telegram_payment_charge_id)


async def on_refunded_payment(message: Message, tracker: Tracker) -> None:
    """A refund made outside the platform (the bot's owner refunding Stars elsewhere, Telegram
    itself): Telegram's `refunded_payment` service message. Recorded like the admin's refund, so
    access and accruals stop and settled shares are clawed back; the client is told through the
    outbox. A Stars refund is always the whole payment."""
    refunded = message.refunded_payment
    charge_id = refunded.telegram_payment_charge_id
    payment = await Payment.get_or_none(
        tracker_id=tracker.id, external_id=charge_id, provider__in=[PaymentProvider.STARS, PaymentProvider.TELEGRAM])
    if payment is None:
        log.warning("refunded_payment %s on tracker %s: no such payment recorded", charge_id, tracker.id)
        return
    outcome = await refund_recorded(payment, key=f"telegram:{charge_id}")
    log.info("payment %s refunded outside the platform%s", payment.id, " (already recorded)" if outcome.already else "")


# --------------------------------------------------------------------------- /subscription


def _method_label(provider: PaymentProvider, i18n: Translator) -> str:
    return i18n("payment-method-name", method=provider.value)


async def on_subscription(message: Message, tracker: Tracker, user: User, i18n: Translator,
                          payments: PaymentService) -> None:
    state = await subscription_state(tracker.id, user.id)
    if state.paid_until is None:
        await message.answer(i18n("subscription-none", name=tracker.name))
        await show_paywall(message, tracker, user, i18n)
        return
    plan = (
        state.current.plan_kind.value
        if state.current
        else (state.payments[0].plan_kind.value if state.payments else "month")
    )
    lines = [i18n("subscription-status", name=tracker.name, **plan_args(i18n, plan),
                  until=payments.local_date(state.paid_until, i18n.lang))]
    rows = []
    renewal = state.renewal
    if renewal is not None and renewal.provider == PaymentProvider.STARS:
        lines.append(i18n("subscription-renewal-stars-on" if renewal.enabled else "subscription-renewal-stars-off"))
        rows.append(_button(i18n("btn-auto-renew-off" if renewal.enabled else "btn-auto-renew-on"),
                            AutoRenew(on=0 if renewal.enabled else 1)))
    elif renewal is not None:
        lines.append(i18n("subscription-renewal-card-on" if renewal.enabled else "subscription-renewal-card-off",
                          card=renewal.method_title or "—"))
        rows.append(_button(i18n("btn-auto-renew-off" if renewal.enabled else "btn-auto-renew-on"),
                            AutoRenew(on=0 if renewal.enabled else 1)))
    else:
        lines.append(i18n("subscription-renewal-manual"))
    lines.append("")
    lines.append(i18n("subscription-history-title"))
    for p in state.payments:
        amount = f"{p.amount_minor} ⭐" if p.currency == "XTR" else fmt.rub(p.amount_kopecks, i18n.lang)
        lines.append(i18n("subscription-history-line", date=payments.local_date(p.created_at, i18n.lang),
                          **plan_args(i18n, p.plan_kind.value),
                          amount=amount, method=_method_label(p.provider, i18n),
                          refunded="yes" if p.refunded else "no"))
    rows.append(_button(i18n("btn-extend"), Extend()))
    await message.answer("\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


async def on_extend(callback: CallbackQuery, tracker: Tracker, user: User, i18n: Translator) -> None:
    await callback.answer()
    await show_paywall(callback.message, tracker, user, i18n, extend=True)


async def on_auto_renew(callback: CallbackQuery, callback_data: AutoRenew, bot: Bot, tracker: Tracker, user: User,
                        i18n: Translator, payments: PaymentService) -> None:
    state = await subscription_state(tracker.id, user.id)
    renewal = state.renewal
    if renewal is None:
        await callback.answer(i18n("subscription-renewal-manual"), show_alert=True)
        return
    on = bool(callback_data.on)
    if renewal.provider == PaymentProvider.STARS:
        try:
            await bot.edit_user_star_subscription(user_id=user.id, telegram_payment_charge_id=renewal.method_id,
                                                  is_canceled=not on)
        except TelegramAPIError as exc:
            log.warning("Stars subscription %s of user %s: %s", renewal.method_id, user.id, exc)
            await callback.answer(i18n("auto-renew-change-failed"), show_alert=True)
            return
    await set_auto_renew(tracker.id, user.id, on)
    await callback.answer()
    await callback.message.answer(i18n("auto-renew-turned-on" if on else "auto-renew-turned-off",
                                       until=payments.local_date(state.paid_until, i18n.lang)))


# --------------------------------------------------------------------------- routers


def money_router() -> Router:
    """Before the paused gate: Telegram has taken the money, so it is always recorded."""
    r = Router(name="tracker-money")
    r.pre_checkout_query.register(on_pre_checkout)
    r.message.register(on_successful_payment, on_loop(F.successful_payment))
    r.message.register(on_refunded_payment, on_loop(F.refunded_payment))
    return r


def router() -> Router:
    r = Router(name="tracker-payments")
    r.callback_query.register(on_buy, BuyPlan.filter())
    r.callback_query.register(on_pay, PayWith.filter())
    r.callback_query.register(on_extend, Extend.filter())
    r.callback_query.register(on_auto_renew, AutoRenew.filter())
    r.message.register(on_subscription, Command("subscription"))
    return r
