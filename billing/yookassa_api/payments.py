"""YooKassa payments and refunds: the calls, what they answer, the webhook's notification and the
54-FZ receipt that goes with a payment."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from billing.yookassa_api import values as v
from billing.yookassa_api.client import YooKassaClient
from billing.yookassa_api.values import OBJECT_ID, InvalidNotification


@dataclass(frozen=True, slots=True)
class PaymentInfo:
    id: str
    status: str  # pending | waiting_for_capture | succeeded | canceled
    paid: bool
    amount_kopecks: int
    currency: str
    metadata: Mapping[str, str] = field(default_factory=dict, hash=False)
    payment_method_id: str | None = None  # only when the method was saved (auto-renewal)
    card_fingerprint: str | None = None  # the card that paid, for billing.fraud (None: not a card)
    confirmation_url: str | None = None
    cancellation_reason: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded" and self.paid

    @property
    def final(self) -> bool:
        return self.status in ("succeeded", "canceled")


@dataclass(frozen=True, slots=True)
class RefundInfo:
    id: str
    payment_id: str
    status: str  # pending | succeeded | canceled
    amount_kopecks: int
    currency: str
    cancellation_reason: str | None = None


def card_fingerprint(payment_method: Mapping[str, Any]) -> str | None:
    """"first6:last4:MM/YYYY" of the card in a payment's `payment_method`, or None when it shows
    none: what tells one payer's card from another's without keeping a card number."""
    card = payment_method.get("card") or {}
    parts = [str(card.get(k) or "") for k in ("first6", "last4", "expiry_month", "expiry_year")]
    if not all(parts):
        return None
    first6, last4, month, year = parts
    return f"{first6}:{last4}:{month}/{year}"[:64]


def _payment_info(data: Mapping[str, Any]) -> PaymentInfo:
    method = data.get("payment_method") or {}
    return PaymentInfo(
        id=str(data["id"]),
        status=str(data["status"]),
        paid=bool(data.get("paid", False)),
        amount_kopecks=v.value_to_kopecks(data["amount"]["value"]),
        currency=str(data["amount"]["currency"]),
        metadata=dict(data.get("metadata") or {}),
        payment_method_id=method.get("id") if method.get("saved") else None,
        card_fingerprint=card_fingerprint(method),
        confirmation_url=(data.get("confirmation") or {}).get("confirmation_url"),
        cancellation_reason=(data.get("cancellation_details") or {}).get("reason"),
    )


def _refund_info(data: Mapping[str, Any]) -> RefundInfo:
    return RefundInfo(
        id=str(data["id"]),
        payment_id=str(data["payment_id"]),
        status=str(data["status"]),
        amount_kopecks=v.value_to_kopecks(data["amount"]["value"]),
        currency=str(data["amount"]["currency"]),
        cancellation_reason=(data.get("cancellation_details") or {}).get("reason"),
    )



def _payment_body(amount_kopecks: int, description: str, metadata: Mapping[str, str] | None,
                  receipt: Mapping[str, Any] | None, **how: Any) -> dict[str, Any]:
    """A one-stage payment (captured at once); `how` is its confirmation or its saved method."""
    body: dict[str, Any] = {"amount": v.amount(amount_kopecks), "capture": True, **how,
                            "description": v.clip(description), "metadata": v.metadata(metadata)}
    if receipt is not None:
        body["receipt"] = dict(receipt)
    return body


class PaymentsAPI(YooKassaClient):
    # -- payments

    async def create_payment(self, amount_kopecks: int, description: str, return_url: str,
                             metadata: Mapping[str, str] | None, idempotence_key: str,
                             save_payment_method: bool = False,
                             receipt: Mapping[str, Any] | None = None) -> PaymentInfo:
        """A one-stage payment with a redirect confirmation; starts ``pending``."""
        body = _payment_body(amount_kopecks, description, metadata, receipt,
                             confirmation={"type": "redirect", "return_url": return_url})
        if save_payment_method:
            body["save_payment_method"] = True
        return await self._create_payment(body, idempotence_key)

    async def get_payment(self, payment_id: str) -> PaymentInfo:
        data = await self._get(f"/payments/{v.object_id(payment_id)}")
        return v.parse("payment", _payment_info, data)

    async def charge_saved_method(self, payment_method_id: str, amount_kopecks: int,
                                  description: str, metadata: Mapping[str, str] | None,
                                  idempotence_key: str,
                                  receipt: Mapping[str, Any] | None = None) -> PaymentInfo:
        """Auto-renewal: no confirmation; answers ``succeeded`` or ``canceled`` (with a reason)
        at once, or ``pending`` if the bank is slow (then wait for the notification / re-fetch)."""
        body = _payment_body(amount_kopecks, description, metadata, receipt,
                             payment_method_id=v.object_id(payment_method_id))
        return await self._create_payment(body, idempotence_key)

    async def _create_payment(self, body: dict[str, Any], idempotence_key: str) -> PaymentInfo:
        data = await self._post("/payments", body, idempotence_key)
        return v.parse("payment", _payment_info, data)

    # -- refunds

    async def refund(self, payment_id: str, amount_kopecks: int, idempotence_key: str,
                     receipt: Mapping[str, Any] | None = None) -> RefundInfo:
        body: dict[str, Any] = {"payment_id": v.object_id(payment_id),
                                "amount": v.amount(amount_kopecks)}
        if receipt is not None:
            body["receipt"] = dict(receipt)
        data = await self._post("/refunds", body, idempotence_key)
        return v.parse("refund", _refund_info, data)

    async def get_refund(self, refund_id: str) -> RefundInfo:
        data = await self._get(f"/refunds/{v.object_id(refund_id)}")
        return v.parse("refund", _refund_info, data)


# --------------------------------------------------------------------------- notifications

NOTIFICATION_EVENTS = frozenset({
    "payment.waiting_for_capture", "payment.succeeded", "payment.canceled",
    "refund.succeeded", "payout.succeeded", "payout.canceled",
    "deal.closed", "payment_method.active",
})


def parse_notification(body: Any) -> tuple[str, str]:
    """``{"type": "notification", "event": ..., "object": {"id": ...}}`` -> (event, object id).

    Deliberately returns nothing else: the body is unsigned, so its status and amounts are
    worthless; re-fetch the object by id and act on that.
    """
    if not isinstance(body, Mapping):
        raise InvalidNotification("body is not a JSON object")
    if body.get("type") != "notification":
        raise InvalidNotification(f"type is {body.get('type')!r}, not 'notification'")
    event = body.get("event")
    if event not in NOTIFICATION_EVENTS:
        raise InvalidNotification(f"unknown event {event!r}")
    obj = body.get("object")
    if not isinstance(obj, Mapping):
        raise InvalidNotification("object is missing")
    object_id = obj.get("id")
    if not isinstance(object_id, str) or not OBJECT_ID.match(object_id):
        raise InvalidNotification(f"bad object id {object_id!r}")
    return event, object_id


# --------------------------------------------------------------------------- 54-FZ receipts

_PHONE_JUNK = re.compile(r"[\s()+-]")


def build_receipt(description: str, amount_kopecks: int, email_or_phone: str | None = None,
                  tax_system_code: int | None = None, vat_code: int = 1, *,
                  payment_mode: str = "full_payment") -> dict[str, Any]:
    """One-item service receipt in YooKassa's ``receipt`` format.

    For API payments pass the customer's email or phone (required by YooKassa when receipts are
    on). For Telegram Payments omit it (Telegram collects it: ``need_email`` /
    ``send_email_to_provider``) and send :func:`provider_data` of the result.
    ``vat_code`` 1 = no VAT; ``tax_system_code`` only if the shop has several tax systems.
    """
    if isinstance(vat_code, bool) or vat_code not in range(1, 13):
        raise ValueError(f"vat_code must be 1..12, not {vat_code!r}")
    if tax_system_code is not None and (isinstance(tax_system_code, bool)
                                        or tax_system_code not in range(1, 7)):
        raise ValueError(f"tax_system_code must be 1..6, not {tax_system_code!r}")
    receipt: dict[str, Any] = {
        "items": [{
            "description": v.clip(description),
            "quantity": "1.00",
            "amount": v.amount(amount_kopecks),
            "vat_code": vat_code,
            "payment_subject": "service",
            "payment_mode": payment_mode,
        }],
    }
    if email_or_phone is not None:
        receipt["customer"] = _customer(email_or_phone)
    if tax_system_code is not None:
        receipt["tax_system_code"] = tax_system_code
    return receipt


def provider_data(receipt: Mapping[str, Any]) -> str:
    """The ``provider_data`` string of a Telegram invoice paid through YooKassa."""
    return json.dumps({"receipt": receipt}, ensure_ascii=False, separators=(",", ":"))


def _customer(email_or_phone: str) -> dict[str, str]:
    value = email_or_phone.strip()
    if "@" in value:
        local, _, domain = value.rpartition("@")
        if not local or "." not in domain or any(c.isspace() for c in value):
            raise ValueError(f"not an email: {email_or_phone!r}")
        return {"email": value}
    digits = _PHONE_JUNK.sub("", value)
    if not digits.isdigit() or not 10 <= len(digits) <= 15:
        raise ValueError(f"not a phone number: {email_or_phone!r}")
    return {"phone": digits}  # YooKassa wants ITU-T E.164 digits, e.g. 79001234567
