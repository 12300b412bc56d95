"""`record_payment`: the one place a charge becomes a subscription (the `Payment` row, unique per
provider and charge id, the inviter lock and the subscription with its periods, in one
transaction), and the record of a refund that went through."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from billing import fraud
from billing.payments.invoices import InvoiceTerms
from billing.periods import DEFAULT_TIMEZONE
from billing.policy import load_policy
from billing.refunds import RefundResult, refund_subscription
from billing.subscriptions import create_subscription, current_end
from models import AutoRenewal, Collector, Payment, PaymentProvider, PlanKind, Subscription, Tracker
from models.sql import utc, write_first
from notify import notices
from referral.attribution import lock_inviter
from referral.codes import deep_link, personal_link

log = logging.getLogger("billing.payments")


# --------------------------------------------------------------------------- recording


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    payment: Payment
    subscription: Subscription | None
    created: bool            # False: this charge was recorded before (a duplicate)
    paid_until: datetime | None = None


async def record_payment(
    *,
    tracker_id: int,
    user_id: int,
    provider: PaymentProvider,
    external_id: str,
    plan_kind: PlanKind | str,
    price_kopecks: int,
    currency: str,
    amount_minor: int,
    paid_at: datetime | None = None,
    tz: str | ZoneInfo | None = DEFAULT_TIMEZONE,
    auto_renew: bool = False,
    renewal: bool = False,
    collector: Collector = Collector.PLATFORM,
    payer_fingerprint: str | None = None,
) -> PaymentOutcome:
    """A successful charge → Payment + locked inviter + subscription and periods + the client's
    "payment received" (or, for an automatic `renewal`, "renewed") notice, one transaction.

    `collector` is who holds the money (`collector_for` tells for a charge made in Telegram).
    Keyed by (provider, external_id): a second call for the same charge returns what the first
    made and writes nothing. A renewal paid while the client still has paid time starts at its end.
    `payer_fingerprint` names the card that paid where the provider shows it (billing.fraud checks
    the payer's chain against it in the same transaction).
    """
    if not external_id:
        raise ValueError("a charge id is required")
    paid_at = utc(paid_at or datetime.now(UTC))
    policy = await load_policy()  # read before the transaction: it is cached, and may query
    try:
        async with in_transaction() as conn:
            await write_first(conn, "payments")  # another process (the CLI, a worker) may write beside us
            existing = await Payment.get_or_none(provider=provider, external_id=external_id, using_db=conn)
            if existing is not None:
                return await _outcome(existing, created=False)
            payment = await Payment.create(
                tracker_id=tracker_id, user_id=user_id, provider=provider, external_id=external_id,
                plan_kind=PlanKind(plan_kind), currency=currency, amount_minor=amount_minor,
                amount_kopecks=price_kopecks, collector=collector, using_db=conn,
            )
            await lock_inviter(tracker_id, user_id, using_db=conn, at=paid_at)
            await fraud.check_payment(conn, payment, payer_fingerprint, policy)
            subscription = await create_subscription(
                tracker_id, user_id, plan_kind, price_kopecks, paid_at, payment_id=payment.id, tz=tz,
                auto_renew=auto_renew, collector=collector,
            )
            until = await current_end(tracker_id, user_id, paid_at)
            await notices.payment_received(conn, payment.id, subscription, until, renewal=renewal, tz=tz)
            await _nudge_to_earn(conn, tracker_id, user_id, subscription)
    except IntegrityError:
        # The same charge recorded at the same moment by another worker: theirs stands.
        existing = await Payment.get_or_none(provider=provider, external_id=external_id)
        if existing is None:
            raise
        return await _outcome(existing, created=False)
    return PaymentOutcome(payment, subscription, True, until)  # the end the client was told


async def _nudge_to_earn(conn: BaseDBAsyncClient, tracker_id: int, user_id: int, subscription: Subscription) -> None:
    """A first subscription here makes the client someone who may invite: tell them, with a link
    of their own (the seed's "through satisfied clients" needs them to know). Not the author."""
    earlier = Subscription.filter(tracker_id=tracker_id, user_id=user_id, id__lt=subscription.id)
    if await earlier.using_db(conn).exists():
        return
    tracker = await Tracker.get(id=tracker_id, using_db=conn)
    if tracker.author_id == user_id:
        return
    link = await personal_link(tracker_id, user_id, using_db=conn)
    await notices.earn_nudge(conn, tracker_id, user_id, deep_link(tracker.username, link.code))


async def _outcome(payment: Payment, *, created: bool) -> PaymentOutcome:
    subscription = await Subscription.get_or_none(payment_id=payment.id)
    until = await current_end(payment.tracker_id, payment.user_id, datetime.now(UTC))
    return PaymentOutcome(payment, subscription, created, until)


async def collector_for(provider: PaymentProvider, tracker_id: int) -> Collector:
    """Who holds a charge made in a tracker bot. Stars land in the bot's own balance, which only
    its owner, the author, can withdraw; a card payment lands in the shop the tracker's provider
    token is connected to (the author's own unless an admin marked it the platform's); a YooKassa
    link is paid into the platform's shop."""
    if provider == PaymentProvider.STARS:
        return Collector.AUTHOR
    if provider == PaymentProvider.TELEGRAM:
        tracker = await Tracker.get_or_none(id=tracker_id).only("id", "provider_collector")
        return Collector(tracker.provider_collector) if tracker else Collector.AUTHOR
    return Collector.PLATFORM


async def record_telegram_payment(
    terms: InvoiceTerms, charge_id: str, currency: str, total_amount: int, *,
    paid_at: datetime | None = None, tz: str | ZoneInfo | None = DEFAULT_TIMEZONE,
    recurring: bool = False, renewal: bool = False,
) -> PaymentOutcome:
    """A `successful_payment` whose payload was verified. Stars subscriptions (the first charge
    and every renewal Telegram makes) also keep the charge id for a later cancellation."""
    outcome = await record_payment(
        tracker_id=terms.tracker_id, user_id=terms.user_id, provider=terms.provider, external_id=charge_id,
        plan_kind=terms.plan_kind, price_kopecks=terms.price_kopecks, currency=currency,
        amount_minor=total_amount, paid_at=paid_at, tz=tz, auto_renew=recurring, renewal=renewal,
        collector=await collector_for(terms.provider, terms.tracker_id),
    )
    if recurring and outcome.created:
        await remember_renewal(terms.tracker_id, terms.user_id, PaymentProvider.STARS, charge_id, terms.plan_kind,
                                keep_method=True, price_kopecks=terms.price_kopecks)
    return outcome


async def remember_renewal(tracker_id: int, user_id: int, provider: PaymentProvider, method_id: str,
                            plan_kind: PlanKind, *, title: str = "", keep_method: bool = False,
                            price_kopecks: int | None = None) -> None:
    """The client opted in to auto-renewal at `price_kopecks` (what they just agreed to pay)."""
    row = await AutoRenewal.get_or_none(tracker_id=tracker_id, user_id=user_id)
    if row is None:
        try:
            await AutoRenewal.create(tracker_id=tracker_id, user_id=user_id, provider=provider, method_id=method_id,
                                     method_title=title[:128], plan_kind=plan_kind, enabled=True,
                                     agreed_price_kopecks=price_kopecks)
        except IntegrityError:
            pass
        return
    if keep_method and row.provider == provider and row.enabled:
        return  # a Stars renewal: the subscription's first charge id stays the handle
    row.provider, row.method_id, row.method_title = provider, method_id, title[:128]
    row.plan_kind, row.enabled, row.agreed_price_kopecks = plan_kind, True, price_kopecks
    await row.save()


# --------------------------------------------------------------------------- refunds


@dataclass(frozen=True, slots=True)
class RefundOutcome:
    payment: Payment
    result: RefundResult | None        # None: the payment had no subscription
    already: bool


class RefundNotPossible(Exception):
    """This payment cannot be refunded from here; `str()` says what to do instead."""


async def refund_recorded(payment: Payment, amount_kopecks: int | None = None, *, key: str = "full") -> RefundOutcome:
    """A refund that went through: all that is left of the payment (None) or `amount_kopecks`,
    recorded once under `key` (billing.refunds)."""
    subscription = await Subscription.get_or_none(payment_id=payment.id)
    if subscription is None:
        async with in_transaction() as conn:
            already = not await Payment.filter(id=payment.id, refunded=False).update(refunded=True)
            if not already:
                await notices.payment_refunded(conn, payment)
        return RefundOutcome(payment, None, already)
    result = await refund_subscription(subscription.id, amount_kopecks, key=key)
    await payment.refresh_from_db()
    return RefundOutcome(payment, result, result.already_refunded)
