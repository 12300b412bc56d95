"""Refunds: the money goes back, so the periods not yet settled never accrue.

Settled periods stand (the service was delivered and their shares were accrued); every open
period of the subscription, the running one included, is cancelled and settlement skips it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from models import AccountingPeriod, Payment, Subscription
from models.enums import PeriodStatus, SubscriptionStatus
from notify import events as notify_events
from notify import notices


@dataclass(frozen=True, slots=True)
class RefundResult:
    subscription_id: int
    cancelled_periods: int  # cancelled by this call (0 on a repeat)
    settled_periods: int  # periods that stand
    already_refunded: bool


async def refund_subscription(subscription_id: int) -> RefundResult:
    """Mark the subscription (and its payment) refunded and cancel its open periods. Idempotent."""
    async with in_transaction() as conn:
        subscription = await Subscription.get(id=subscription_id)
        already = subscription.status == SubscriptionStatus.REFUNDED
        cancelled = await AccountingPeriod.filter(
            subscription_id=subscription_id, status=PeriodStatus.OPEN
        ).update(status=PeriodStatus.CANCELLED)
        if not already:
            subscription.status = SubscriptionStatus.REFUNDED
            await subscription.save(update_fields=["status"])
            if subscription.payment_id is not None:
                await Payment.filter(id=subscription.payment_id).update(refunded=True)
                await notices.payment_refunded(conn, await Payment.get(id=subscription.payment_id))
            await notify_events.subscription_refunded(conn, subscription)
        settled = await AccountingPeriod.filter(subscription_id=subscription_id, status=PeriodStatus.SETTLED).count()
    return RefundResult(subscription_id, cancelled, settled, already)
