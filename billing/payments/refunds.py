"""The admin's refund of a payment, whichever way it was paid."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from billing.payments.recording import RefundNotPossible, RefundOutcome, refund_recorded
from billing.payments.yookassa import YooKassaPayments
from models import Payment, PaymentProvider

StarsRefunder = Callable[[Payment], Awaitable[None]]


async def refund_payment(payment_id: int, *, refund_stars: StarsRefunder | None = None,
                         yookassa: YooKassaPayments | None = None, record_only: bool = False) -> RefundOutcome:
    """The admin's refund: Stars through `refund_stars` (the caller's refundStarPayment), YooKassa
    through the API; then the subscription's unsettled periods are cancelled and access ends.
    `record_only`: the money went back elsewhere (the provider's dashboard), just record it."""
    payment = await Payment.get_or_none(id=payment_id)
    if payment is None:
        raise RefundNotPossible("no payment has this id (the payments table lists them)")
    if payment.refunded:
        return await refund_recorded(payment)
    if record_only:
        return await refund_recorded(payment)
    if payment.provider == PaymentProvider.STARS:
        if refund_stars is None:
            raise RefundNotPossible("Stars refunds need the tracker bot")
        await refund_stars(payment)
        return await refund_recorded(payment)
    if payment.provider == PaymentProvider.YOOKASSA:
        if yookassa is None:
            raise RefundNotPossible("YooKassa is not configured (PAYMENTS__YOOKASSA_SHOP_ID / SECRET_KEY)")
        outcome = await yookassa.refund(payment)
        if outcome is None:  # pending at YooKassa: refund.succeeded will finish it
            return RefundOutcome(payment, None, False)
        return outcome
    raise RefundNotPossible(
        "Telegram Payments are refunded in the payment provider's dashboard; then record it with --record-only"
    )
