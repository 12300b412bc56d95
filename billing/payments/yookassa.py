"""Payments through YooKassa links: a `Checkout` row is written before the API is called and its
idempotence key goes with every attempt, so a timeout and a retry never make two payments. A
notification is only a hint: `YooKassaPayments.confirm` re-fetches the payment and trusts only
that. Also the saved-method renewals and the refunds through the same shop."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from billing.payments.invoices import RUB
from billing.payments.recording import PaymentOutcome, RefundOutcome, record_payment, refund_recorded, remember_renewal
from billing.payments.renewals import latest_subscription, renewal_terms
from billing.periods import DEFAULT_TIMEZONE
from billing.yookassa_gateway import PaymentInfo, YooKassaGateway
from models import AutoRenewal, Checkout, CheckoutStatus, Payment, PaymentProvider, PlanKind, Tracker
from models.sql import utc

log = logging.getLogger("billing.payments")

IDEMPOTENCE_LIFETIME = timedelta(hours=23)   # YooKassa keeps a key 24 h; an hour to spare
POLL_RENEWALS_FOR = timedelta(days=7)         # a pending payment is settled or cancelled well before


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
            renewal=checkout.is_renewal, payer_fingerprint=info.card_fingerprint,
        )
        await Checkout.filter(id=checkout.id).update(status=CheckoutStatus.PAID, external_id=info.id)
        if outcome.created and checkout.auto_renew and info.payment_method_id and not checkout.is_renewal:
            await remember_renewal(checkout.tracker_id, checkout.user_id, PaymentProvider.YOOKASSA,
                                    info.payment_method_id, checkout.plan_kind, price_kopecks=checkout.price_kopecks)
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
        # partial refunds are refunds too: the amount decides whether the subscription ends
        return await refund_recorded(payment, refund.amount_kopecks, key=f"yookassa:{refund.id}")

    async def refund(self, payment: Payment) -> RefundOutcome | None:
        """Ask YooKassa to refund; when it succeeds at once the subscription ends now, otherwise the
        `refund.succeeded` notification ends it."""
        refund = await self.gateway.refund(payment.external_id, payment.amount_minor, f"refund-{payment.id}")
        if refund.status == "succeeded":
            return await refund_recorded(payment, refund.amount_kopecks, key=f"yookassa:{refund.id}")
        return None

    # -- auto-renewal through a saved method

    async def renew(self, renewal: AutoRenewal, now: datetime | None = None) -> RenewalResult:
        """Charge the saved method for the next period of the subscription that ends soonest, at
        the price the client agreed to. Keyed by that subscription: it is renewed once, whatever
        the scheduler does. A charge YooKassa already has (pending) is asked about, never made
        again: its idempotence key expires after 24 h, and a second request would be a second
        payment. A price the author raised waits for the client's word (`"confirm"`)."""
        now = utc(now or datetime.now(UTC))
        latest = await latest_subscription(renewal.tracker_id, renewal.user_id, now - timedelta(days=1))
        if latest is None:
            return RenewalResult("skipped")
        if latest.ends_at > now + timedelta(days=1):
            return RenewalResult("skipped", ends_at=latest.ends_at)  # renewed already, or not due yet
        checkout = await Checkout.get_or_none(idempotence_key=f"renew-{latest.id}")
        if checkout is None:
            terms = await renewal_terms(renewal, latest)
            if terms.current is None:
                return RenewalResult("failed", ends_at=latest.ends_at, reason="plan-gone")
            if terms.needs_confirmation:
                return RenewalResult("confirm", ends_at=latest.ends_at, reason="price-changed", price=terms.current)
            checkout, _ = await Checkout.get_or_create(
                idempotence_key=f"renew-{latest.id}",
                defaults=dict(tracker_id=renewal.tracker_id, user_id=renewal.user_id, plan_kind=renewal.plan_kind,
                              price_kopecks=terms.charge, auto_renew=True, is_renewal=True),
            )
        if checkout.status == CheckoutStatus.PAID:
            return RenewalResult("skipped", ends_at=latest.ends_at)
        if checkout.status == CheckoutStatus.CANCELED:
            return RenewalResult("failed", ends_at=latest.ends_at, reason="declined")
        if checkout.external_id is not None:
            info = await self.gateway.get_payment(checkout.external_id)
        elif utc(checkout.created_at) < datetime.now(UTC) - IDEMPOTENCE_LIFETIME:  # YooKassa's clock, not `now`
            # The charge was asked for a day ago and no answer ever came: YooKassa may hold a
            # payment we cannot name, and the key no longer protects a retry. Never charge again;
            # its notification, if any, still records it. The client renews by hand.
            await Checkout.filter(id=checkout.id, status=CheckoutStatus.OPEN).update(status=CheckoutStatus.CANCELED)
            log.warning("renewal checkout %s got no answer within a day; not charged again", checkout.id)
            return RenewalResult("failed", ends_at=latest.ends_at, reason="no-answer")
        else:
            tracker = await Tracker.get(id=renewal.tracker_id)
            info = await self.gateway.charge_saved_method(
                renewal.method_id, checkout.price_kopecks, f"{tracker.name}: {checkout.plan_kind.value}",
                self._metadata(checkout), checkout.idempotence_key,
            )
            await Checkout.filter(id=checkout.id, external_id=None).update(external_id=info.id)
        result = await self._settle(info)
        if result.status in ("recorded", "duplicate"):
            return RenewalResult("renewed", ends_at=latest.ends_at, outcome=result.outcome)
        if info.status == "canceled":
            return RenewalResult("failed", ends_at=latest.ends_at, reason=info.cancellation_reason or "declined")
        return RenewalResult("pending", ends_at=latest.ends_at)

    async def poll_pending_renewals(self) -> int:
        """Renewal charges still pending at YooKassa, asked about again (past the due window
        `renew` no longer looks at them). Returns how many were recorded now. Their age is the
        real clock's, like the `created_at` it is measured from."""
        since = datetime.now(UTC) - POLL_RENEWALS_FOR
        recorded = 0
        for checkout in await Checkout.filter(is_renewal=True, status=CheckoutStatus.OPEN, external_id__isnull=False,
                                              created_at__gte=since).order_by("id"):
            result = await self.confirm(str(checkout.external_id))
            recorded += result.status == "recorded"
        return recorded


@dataclass(frozen=True, slots=True)
class RenewalResult:
    status: str                        # renewed | failed | pending | skipped | confirm
    ends_at: datetime | None = None    # the end of paid time that this renewal would extend
    reason: str | None = None
    outcome: PaymentOutcome | None = None
    price: int | None = None           # "confirm": the plan's new price, in kopecks
