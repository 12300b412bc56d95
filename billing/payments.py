"""Payments: from a signed invoice or a YooKassa payment to a subscription, exactly once.

Domain code, no aiogram. The three ways to pay meet here:

- **Telegram Payments** (a provider token, RUB in kopecks) and **Telegram Stars** (XTR): the invoice
  carries a signed payload (`encode_payload`), checked at pre-checkout (`check_invoice`) and again
  at the successful payment. Nothing is stored between the invoice and the payment, so a restart
  in between loses nothing.
- **YooKassa links**: a `Checkout` row is written before the API is called and its idempotence
  key goes with every attempt, so a timeout and a retry never make two payments. A notification
  is only a hint: `YooKassaPayments.confirm` re-fetches the payment and trusts only that.

`record_payment` is the one place a charge becomes a subscription: the `Payment` row (unique per
provider and charge id), the inviter lock and the subscription with its periods, in one
transaction. A duplicate update or a repeated notification finds the payment and changes nothing.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Awaitable, Callable, Protocol
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from billing.periods import DEFAULT_TIMEZONE
from billing.plans import plan_on_sale
from billing.refunds import RefundResult, refund_subscription
from models.sql import utc
from billing.subscriptions import create_subscription, current_end
from billing.yookassa_gateway import GatewayError, PaymentInfo, YooKassaGateway
from models import (
    AutoRenewal,
    Checkout,
    CheckoutStatus,
    Payment,
    PaymentProvider,
    PlanKind,
    SentNotice,
    Subscription,
    SubscriptionStatus,
    Tracker,
    TrackerStatus,
)
from referral.attribution import lock_inviter

log = logging.getLogger(__name__)

RUB = "RUB"
XTR = "XTR"
STARS_SUBSCRIPTION_PERIOD = 30 * 86400  # the only period Telegram accepts for Stars subscriptions

PAYLOAD_VERSION = "v1"
METHOD_TELEGRAM = "t"
METHOD_STARS = "s"
_METHODS = {METHOD_TELEGRAM: (PaymentProvider.TELEGRAM, RUB), METHOD_STARS: (PaymentProvider.STARS, XTR)}
_SIG_LEN = 16


class Signer(Protocol):
    """`bot.crypto.SecretBox` has this shape: an HMAC under the platform's secret key."""

    def sign(self, message: str, length: int = 16) -> str: ...
    def verify(self, message: str, signature: str, length: int = 16) -> bool: ...


# --------------------------------------------------------------------------- money


def stars_for(price_kopecks: int, rub_per_star: Decimal) -> int:
    """The price in whole stars at `rub_per_star`, rounded up (never below the RUB price)."""
    if rub_per_star <= 0:
        raise ValueError("the stars rate must be positive")
    stars = (Decimal(price_kopecks) / 100 / rub_per_star).to_integral_value(rounding=ROUND_CEILING)
    return max(int(stars), 1)


# --------------------------------------------------------------------------- invoice payloads


@dataclass(frozen=True, slots=True)
class InvoiceTerms:
    """What an invoice sells, as its signed payload says."""

    method: str                # METHOD_TELEGRAM or METHOD_STARS
    tracker_id: int
    user_id: int
    plan_kind: PlanKind
    price_kopecks: int
    nonce: str

    @property
    def provider(self) -> PaymentProvider:
        return _METHODS[self.method][0]

    @property
    def currency(self) -> str:
        return _METHODS[self.method][1]


class InvalidPayload(ValueError):
    """Not an invoice payload of ours, or one somebody changed."""


def _signed_part(bot_id: int, body: str) -> str:
    return f"invoice:{bot_id}:{body}"


def encode_payload(signer: Signer, bot_id: int, method: str, tracker_id: int, user_id: int,
                   plan_kind: PlanKind | str, price_kopecks: int, nonce: str | None = None) -> str:
    """`v1:<method>:<tracker>:<user>:<plan>:<price>:<nonce>:<sig>`, signed for this bot; ≤ 128 bytes."""
    if method not in _METHODS:
        raise ValueError(f"unknown method {method!r}")
    nonce = nonce or secrets.token_urlsafe(6)
    body = f"{PAYLOAD_VERSION}:{method}:{tracker_id}:{user_id}:{PlanKind(plan_kind).value}:{price_kopecks}:{nonce}"
    payload = f"{body}:{signer.sign(_signed_part(bot_id, body), _SIG_LEN)}"
    if len(payload.encode()) > 128:
        raise ValueError("invoice payload longer than 128 bytes")
    return payload


def decode_payload(signer: Signer, bot_id: int, payload: str | None) -> InvoiceTerms:
    body, _, signature = (payload or "").rpartition(":")
    if not body or not signer.verify(_signed_part(bot_id, body), signature, _SIG_LEN):
        raise InvalidPayload("bad signature")
    parts = body.split(":")
    if len(parts) != 7 or parts[0] != PAYLOAD_VERSION or parts[1] not in _METHODS:
        raise InvalidPayload("unknown payload format")
    try:
        return InvoiceTerms(parts[1], int(parts[2]), int(parts[3]), PlanKind(parts[4]), int(parts[5]), parts[6])
    except ValueError as exc:
        raise InvalidPayload(str(exc)) from None


@dataclass(frozen=True, slots=True)
class InvoiceCheck:
    """The answer to a pre-checkout query: `error` is a locale key (None = ok)."""

    terms: InvoiceTerms | None
    error: str | None = None
    params: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


def expected_amount(terms: InvoiceTerms, rub_per_star: Decimal) -> int:
    return terms.price_kopecks if terms.method == METHOD_TELEGRAM else stars_for(terms.price_kopecks, rub_per_star)


async def check_invoice(signer: Signer, bot_id: int, tracker: Tracker, user_id: int, payload: str,
                        currency: str, total_amount: int, rub_per_star: Decimal) -> InvoiceCheck:
    """Pre-checkout: ours and untampered, for this bot and this person, the tracker running, the
    plan on sale at that very price, and the amount and currency as the invoice said."""
    try:
        terms = decode_payload(signer, bot_id, payload)
    except InvalidPayload:
        return InvoiceCheck(None, "payment-error-invalid")
    if terms.tracker_id != tracker.id or terms.user_id != user_id:
        return InvoiceCheck(terms, "payment-error-invalid")
    if tracker.status != TrackerStatus.ACTIVE:
        return InvoiceCheck(terms, "payment-error-tracker-paused", {"name": tracker.name})
    plan = await plan_on_sale(tracker.id, terms.plan_kind)
    if plan is None:
        return InvoiceCheck(terms, "payment-error-not-on-sale", {"plan": terms.plan_kind.value})
    if plan.price_kopecks != terms.price_kopecks:
        return InvoiceCheck(terms, "payment-error-price-changed", {"plan": terms.plan_kind.value})
    if currency != terms.currency or total_amount != expected_amount(terms, rub_per_star):
        return InvoiceCheck(terms, "payment-error-amount")
    return InvoiceCheck(terms)


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
) -> PaymentOutcome:
    """A successful charge → Payment + locked inviter + subscription and periods, one transaction.

    Keyed by (provider, external_id): a second call for the same charge returns what the first
    made and writes nothing. A renewal paid while the client still has paid time starts at its end.
    """
    if not external_id:
        raise ValueError("a charge id is required")
    paid_at = utc(paid_at or datetime.now(UTC))
    try:
        async with in_transaction() as conn:
            existing = await Payment.get_or_none(provider=provider, external_id=external_id, using_db=conn)
            if existing is not None:
                return await _outcome(existing, created=False)
            payment = await Payment.create(
                tracker_id=tracker_id, user_id=user_id, provider=provider, external_id=external_id,
                plan_kind=PlanKind(plan_kind), currency=currency, amount_minor=amount_minor,
                amount_kopecks=price_kopecks, using_db=conn,
            )
            await lock_inviter(tracker_id, user_id, using_db=conn, at=paid_at)
            subscription = await create_subscription(
                tracker_id, user_id, plan_kind, price_kopecks, paid_at, payment_id=payment.id, tz=tz,
                auto_renew=auto_renew,
            )
    except IntegrityError:
        # The same charge recorded at the same moment by another worker: theirs stands.
        existing = await Payment.get_or_none(provider=provider, external_id=external_id)
        if existing is None:
            raise
        return await _outcome(existing, created=False)
    return PaymentOutcome(payment, subscription, True, await current_end(tracker_id, user_id, paid_at))


async def _outcome(payment: Payment, *, created: bool) -> PaymentOutcome:
    subscription = await Subscription.get_or_none(payment_id=payment.id)
    until = await current_end(payment.tracker_id, payment.user_id, datetime.now(UTC))
    return PaymentOutcome(payment, subscription, created, until)


async def record_telegram_payment(
    terms: InvoiceTerms, charge_id: str, currency: str, total_amount: int, *,
    paid_at: datetime | None = None, tz: str | ZoneInfo | None = DEFAULT_TIMEZONE,
    recurring: bool = False,
) -> PaymentOutcome:
    """A `successful_payment` whose payload was verified. Stars subscriptions (the first charge
    and every renewal Telegram makes) also keep the charge id for a later cancellation."""
    outcome = await record_payment(
        tracker_id=terms.tracker_id, user_id=terms.user_id, provider=terms.provider, external_id=charge_id,
        plan_kind=terms.plan_kind, price_kopecks=terms.price_kopecks, currency=currency,
        amount_minor=total_amount, paid_at=paid_at, tz=tz, auto_renew=recurring,
    )
    if recurring and outcome.created:
        await _remember_renewal(terms.tracker_id, terms.user_id, PaymentProvider.STARS, charge_id, terms.plan_kind,
                                keep_method=True)
    return outcome


async def _remember_renewal(tracker_id: int, user_id: int, provider: PaymentProvider, method_id: str,
                            plan_kind: PlanKind, *, title: str = "", keep_method: bool = False) -> None:
    row = await AutoRenewal.get_or_none(tracker_id=tracker_id, user_id=user_id)
    if row is None:
        try:
            await AutoRenewal.create(tracker_id=tracker_id, user_id=user_id, provider=provider, method_id=method_id,
                                     method_title=title[:128], plan_kind=plan_kind, enabled=True)
        except IntegrityError:
            pass
        return
    if keep_method and row.provider == provider and row.enabled:
        return  # a Stars renewal: the subscription's first charge id stays the handle
    row.provider, row.method_id, row.method_title = provider, method_id, title[:128]
    row.plan_kind, row.enabled = plan_kind, True
    await row.save()


# --------------------------------------------------------------------------- YooKassa


class YooKassaNotConfigured(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class ConfirmResult:
    status: str   # "recorded" | "duplicate" | "not_paid" | "unknown" | "mismatch"
    outcome: PaymentOutcome | None = None
    checkout: Checkout | None = None


class YooKassaPayments:
    """Payment links, confirmations, saved-method renewals and refunds through one shop."""

    REUSE_FOR = timedelta(hours=1)   # an unpaid link is offered again for an hour

    def __init__(self, gateway: YooKassaGateway, *, tz: str | ZoneInfo | None = DEFAULT_TIMEZONE) -> None:
        self.gateway = gateway
        self.tz = tz

    async def start_checkout(self, tracker: Tracker, user_id: int, plan_kind: PlanKind, price_kopecks: int, *,
                             auto_renew: bool, return_url: str, description: str) -> Checkout:
        """A payment link for this plan. An open attempt of the same purchase is reused with its
        idempotence key, so pressing the button again after a timeout never makes two payments.
        Raises `GatewayError` (the client is told to try again; the attempt stays reusable)."""
        since = datetime.now(UTC) - self.REUSE_FOR
        checkout = await Checkout.filter(
            tracker_id=tracker.id, user_id=user_id, plan_kind=plan_kind, price_kopecks=price_kopecks,
            auto_renew=auto_renew, is_renewal=False, status=CheckoutStatus.OPEN, created_at__gte=since,
        ).order_by("-id").first()
        if checkout is None:
            checkout = await Checkout.create(
                tracker_id=tracker.id, user_id=user_id, plan_kind=plan_kind, price_kopecks=price_kopecks,
                auto_renew=auto_renew, idempotence_key=f"ck-{uuid.uuid4().hex}",
            )
        if checkout.confirmation_url:
            return checkout
        info = await self.gateway.create_payment(
            price_kopecks, description, return_url, self._metadata(checkout), checkout.idempotence_key,
            save_payment_method=auto_renew,
        )
        await Checkout.filter(id=checkout.id).update(external_id=info.id, confirmation_url=info.confirmation_url)
        checkout.external_id, checkout.confirmation_url = info.id, info.confirmation_url
        return checkout

    @staticmethod
    def _metadata(checkout: Checkout) -> dict[str, str]:
        return {"checkout": str(checkout.id), "tracker": str(checkout.tracker_id), "user": str(checkout.user_id),
                "plan": checkout.plan_kind.value}

    async def confirm(self, payment_id: str) -> ConfirmResult:
        """Re-fetch the payment (a notification is unsigned) and record it if it really succeeded.
        Raises `GatewayError` when YooKassa cannot say: the notification is then retried."""
        info = await self.gateway.get_payment(payment_id)
        return await self._settle(info)

    async def _settle(self, info: PaymentInfo) -> ConfirmResult:
        checkout = await self._checkout_for(info)
        if checkout is None:
            log.warning("YooKassa payment %s is not one of our checkouts", info.id)
            return ConfirmResult("unknown")
        if not info.succeeded:
            if info.status == "canceled":
                await Checkout.filter(id=checkout.id, status=CheckoutStatus.OPEN).update(status=CheckoutStatus.CANCELED)
            return ConfirmResult("not_paid", checkout=checkout)
        if info.currency != RUB or info.amount_kopecks != checkout.price_kopecks:
            log.error("YooKassa payment %s: %s %s, expected %s RUB", info.id, info.amount_kopecks, info.currency,
                      checkout.price_kopecks)
            return ConfirmResult("mismatch", checkout=checkout)
        outcome = await record_payment(
            tracker_id=checkout.tracker_id, user_id=checkout.user_id, provider=PaymentProvider.YOOKASSA,
            external_id=info.id, plan_kind=checkout.plan_kind, price_kopecks=checkout.price_kopecks, currency=RUB,
            amount_minor=info.amount_kopecks, tz=self.tz, auto_renew=checkout.auto_renew,
        )
        await Checkout.filter(id=checkout.id).update(status=CheckoutStatus.PAID, external_id=info.id)
        if outcome.created and checkout.auto_renew and info.payment_method_id and not checkout.is_renewal:
            await _remember_renewal(checkout.tracker_id, checkout.user_id, PaymentProvider.YOOKASSA,
                                    info.payment_method_id, checkout.plan_kind)
        return ConfirmResult("recorded" if outcome.created else "duplicate", outcome, checkout)

    @staticmethod
    async def _checkout_for(info: PaymentInfo) -> Checkout | None:
        checkout = await Checkout.get_or_none(external_id=info.id)
        if checkout is None and str(info.metadata.get("checkout", "")).isdigit():
            # The create call timed out after YooKassa processed it: the id never reached us.
            checkout = await Checkout.get_or_none(id=int(info.metadata["checkout"]), external_id=None)
        return checkout

    async def refund_succeeded(self, refund_id: str) -> RefundOutcome | None:
        """A `refund.succeeded` notification: re-fetch the refund, then cancel the subscription."""
        refund = await self.gateway.get_refund(refund_id)
        if refund.status != "succeeded":
            return None
        payment = await Payment.get_or_none(provider=PaymentProvider.YOOKASSA, external_id=refund.payment_id)
        if payment is None:
            return None
        return await _refund_recorded(payment)

    async def refund(self, payment: Payment) -> RefundOutcome | None:
        """Ask YooKassa to refund; when it succeeds at once the subscription ends now, otherwise the
        `refund.succeeded` notification ends it."""
        refund = await self.gateway.refund(payment.external_id, payment.amount_minor, f"refund-{payment.id}")
        if refund.status == "succeeded":
            return await _refund_recorded(payment)
        return None

    # -- auto-renewal through a saved method

    async def renew(self, renewal: AutoRenewal, now: datetime | None = None) -> RenewalResult:
        """Charge the saved method for the next period of the subscription that ends soonest.
        Keyed by that subscription: it is renewed once, whatever the scheduler does."""
        now = utc(now or datetime.now(UTC))
        latest = await _latest_subscription(renewal.tracker_id, renewal.user_id, now - timedelta(days=1))
        if latest is None:
            return RenewalResult("skipped")
        if latest.ends_at > now + timedelta(days=1):
            return RenewalResult("skipped", ends_at=latest.ends_at)  # renewed already, or not due yet
        plan = await plan_on_sale(renewal.tracker_id, renewal.plan_kind)
        if plan is None:
            return RenewalResult("failed", ends_at=latest.ends_at, reason="plan-gone")
        checkout, _ = await Checkout.get_or_create(
            idempotence_key=f"renew-{latest.id}",
            defaults=dict(tracker_id=renewal.tracker_id, user_id=renewal.user_id, plan_kind=plan.kind,
                          price_kopecks=plan.price_kopecks, auto_renew=True, is_renewal=True),
        )
        if checkout.status == CheckoutStatus.PAID:
            return RenewalResult("skipped", ends_at=latest.ends_at)
        if checkout.status == CheckoutStatus.CANCELED:
            return RenewalResult("failed", ends_at=latest.ends_at, reason="declined")
        tracker = await Tracker.get(id=renewal.tracker_id)
        info = await self.gateway.charge_saved_method(
            renewal.method_id, checkout.price_kopecks, f"{tracker.name}: {plan.kind.value}", self._metadata(checkout),
            checkout.idempotence_key,
        )
        if checkout.external_id is None:
            await Checkout.filter(id=checkout.id).update(external_id=info.id)
        result = await self._settle(info)
        if result.status in ("recorded", "duplicate"):
            return RenewalResult("renewed", ends_at=latest.ends_at, outcome=result.outcome)
        if info.status == "canceled":
            return RenewalResult("failed", ends_at=latest.ends_at, reason=info.cancellation_reason or "declined")
        return RenewalResult("pending", ends_at=latest.ends_at)


@dataclass(frozen=True, slots=True)
class RenewalResult:
    status: str                        # renewed | failed | pending | skipped
    ends_at: datetime | None = None    # the end of paid time that this renewal would extend
    reason: str | None = None
    outcome: PaymentOutcome | None = None


# --------------------------------------------------------------------------- refunds


@dataclass(frozen=True, slots=True)
class RefundOutcome:
    payment: Payment
    result: RefundResult | None        # None: the payment had no subscription
    already: bool


class RefundNotPossible(Exception):
    """This payment cannot be refunded from here; `str()` says what to do instead."""


async def _refund_recorded(payment: Payment) -> RefundOutcome:
    subscription = await Subscription.get_or_none(payment_id=payment.id)
    if subscription is None:
        already = payment.refunded
        await Payment.filter(id=payment.id).update(refunded=True)
        return RefundOutcome(payment, None, already)
    result = await refund_subscription(subscription.id)
    await payment.refresh_from_db()
    return RefundOutcome(payment, result, result.already_refunded)


StarsRefunder = Callable[[Payment], Awaitable[None]]


async def refund_payment(payment_id: int, *, refund_stars: StarsRefunder | None = None,
                         yookassa: YooKassaPayments | None = None, record_only: bool = False) -> RefundOutcome:
    """The admin's refund: Stars through `refund_stars` (the caller's refundStarPayment), YooKassa
    through the API; then the subscription's unsettled periods are cancelled and access ends.
    `record_only`: the money went back elsewhere (the provider's dashboard), just record it."""
    payment = await Payment.get(id=payment_id)
    if payment.refunded:
        return await _refund_recorded(payment)
    if record_only:
        return await _refund_recorded(payment)
    if payment.provider == PaymentProvider.STARS:
        if refund_stars is None:
            raise RefundNotPossible("Stars refunds need the tracker bot")
        await refund_stars(payment)
        return await _refund_recorded(payment)
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


# --------------------------------------------------------------------------- renewals and reminders


REMIND_3D = "renew-3d"
REMIND_1D = "renew-1d"
RENEWAL_FAILED = "renew-failed"


@dataclass(frozen=True, slots=True)
class Reminder:
    tracker_id: int
    user_id: int
    kind: str
    ends_at: datetime
    auto_renewal: AutoRenewal | None


async def _latest_subscription(tracker_id: int, user_id: int, after: datetime) -> Subscription | None:
    return await Subscription.filter(
        tracker_id=tracker_id, user_id=user_id, status=SubscriptionStatus.ACTIVE, ends_at__gt=utc(after)
    ).order_by("-ends_at").first()


async def due_reminders(now: datetime | None = None) -> list[Reminder]:
    """Clients on a live tracker whose paid time ends within 3 days (1 day for the second one).
    Day plans get none: they end within a day of being bought."""
    now = utc(now or datetime.now(UTC))
    soon = await Subscription.filter(
        status=SubscriptionStatus.ACTIVE, ends_at__gt=now, ends_at__lte=now + timedelta(days=3)
    ).values_list("tracker_id", "user_id")
    reminders = []
    for tracker_id, user_id in sorted(set(soon)):
        latest = await _latest_subscription(tracker_id, user_id, now)
        if latest is None or latest.ends_at > now + timedelta(days=3) or latest.plan_kind == PlanKind.DAY:
            continue
        if not await Tracker.filter(id=tracker_id, status=TrackerStatus.ACTIVE).exists():
            continue
        kind = REMIND_1D if latest.ends_at <= now + timedelta(days=1) else REMIND_3D
        renewal = await AutoRenewal.get_or_none(tracker_id=tracker_id, user_id=user_id, enabled=True)
        reminders.append(Reminder(tracker_id, user_id, kind, latest.ends_at, renewal))
    return reminders


async def claim_notice(tracker_id: int, user_id: int, kind: str, ends_at: datetime) -> bool:
    """True once per (tracker, user, kind, end): the caller may send the notice."""
    try:
        await SentNotice.create(tracker_id=tracker_id, user_id=user_id, kind=kind, ends_at=utc(ends_at))
    except IntegrityError:
        return False
    return True


async def renewal_failed(tracker_id: int, user_id: int, ends_at: datetime) -> bool:
    """A renewal of the paid time that ends at `ends_at` was declined (and the client told)."""
    return await SentNotice.filter(tracker_id=tracker_id, user_id=user_id, kind=RENEWAL_FAILED,
                                   ends_at=utc(ends_at)).exists()


async def due_yookassa_renewals(now: datetime | None = None) -> list[AutoRenewal]:
    """Opted-in clients whose paid time ends within a day (or ended less than a day ago)."""
    now = utc(now or datetime.now(UTC))
    due = []
    for renewal in await AutoRenewal.filter(enabled=True, provider=PaymentProvider.YOOKASSA).order_by("id"):
        latest = await _latest_subscription(renewal.tracker_id, renewal.user_id, now - timedelta(days=1))
        if latest is None or latest.ends_at > now + timedelta(days=1):
            continue
        if await Tracker.filter(id=renewal.tracker_id, status=TrackerStatus.ACTIVE).exists():
            due.append(renewal)
    return due


async def set_auto_renew(tracker_id: int, user_id: int, enabled: bool) -> AutoRenewal | None:
    row = await AutoRenewal.get_or_none(tracker_id=tracker_id, user_id=user_id)
    if row is None:
        return None
    if row.enabled != enabled:
        row.enabled = enabled
        await row.save(update_fields=["enabled", "updated_at"])
        await Subscription.filter(tracker_id=tracker_id, user_id=user_id, ends_at__gt=datetime.now(UTC)).update(
            auto_renew=enabled)
    return row


# --------------------------------------------------------------------------- what /subscription shows


@dataclass(frozen=True, slots=True)
class SubscriptionState:
    current: Subscription | None
    paid_until: datetime | None
    renewal: AutoRenewal | None
    payments: list[Payment]


async def subscription_state(tracker_id: int, user_id: int, now: datetime | None = None,
                             history: int = 10) -> SubscriptionState:
    now = utc(now or datetime.now(UTC))
    current = await Subscription.filter(
        tracker_id=tracker_id, user_id=user_id, status=SubscriptionStatus.ACTIVE, starts_at__lte=now, ends_at__gt=now
    ).order_by("starts_at").first()
    until = await current_end(tracker_id, user_id, now)
    renewal = await AutoRenewal.get_or_none(tracker_id=tracker_id, user_id=user_id)
    payments = await Payment.filter(tracker_id=tracker_id, user_id=user_id).order_by("-id").limit(history)
    return SubscriptionState(current, until, renewal, list(payments))


__all__ = [
    "ConfirmResult", "GatewayError", "InvalidPayload", "InvoiceCheck", "InvoiceTerms", "PaymentOutcome",
    "RefundNotPossible", "RefundOutcome", "Reminder", "RenewalResult", "YooKassaPayments", "check_invoice",
    "claim_notice", "decode_payload", "due_reminders", "due_yookassa_renewals", "encode_payload",
    "record_payment", "record_telegram_payment", "refund_payment", "set_auto_renew", "stars_for",
    "subscription_state",
]
