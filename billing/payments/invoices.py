"""Invoices of Telegram Payments (RUB) and Telegram Stars (XTR): the signed payload that carries
the purchase from the invoice to the payment (nothing is stored in between, so a restart loses
nothing), its checks at pre-checkout, and the price in Stars."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Protocol

from billing.plans import plan_on_sale
from models import PaymentProvider, PlanKind, Tracker, TrackerStatus

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
