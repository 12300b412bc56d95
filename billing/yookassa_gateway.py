"""YooKassa API v3 on one account: `YooKassaGateway` (payments, refunds, payouts) and the names
callers use. Why the client looks the way it does (per-gateway configuration, two timeouts, a
thread pool of its own, unknown outcomes after a timeout, unsigned notifications) is told in
`billing.yookassa_api.client`; the parts are in `billing.yookassa_api`.
"""

from __future__ import annotations

from billing.yookassa_api.client import DEFAULT_API_URL
from billing.yookassa_api.payments import (
    PaymentInfo,
    PaymentsAPI,
    RefundInfo,
    build_receipt,
    parse_notification,
    provider_data,
)
from billing.yookassa_api.payouts import PayoutInfo, PayoutsAPI
from billing.yookassa_api.values import (
    CURRENCY,
    GatewayError,
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
    InvalidNotification,
    kopecks_to_value,
    value_to_kopecks,
)

__all__ = [
    "CURRENCY",
    "DEFAULT_API_URL",
    "GatewayError",
    "GatewayRejected",
    "GatewayTimeout",
    "GatewayUnavailable",
    "InvalidNotification",
    "PaymentInfo",
    "PayoutInfo",
    "RefundInfo",
    "YooKassaGateway",
    "build_receipt",
    "kopecks_to_value",
    "parse_notification",
    "provider_data",
    "value_to_kopecks",
]


class YooKassaGateway(PaymentsAPI, PayoutsAPI):
    """Async facade over one YooKassa account (shop). Payouts use a separate payout account
    (agent id + its key): make a second gateway for them.

    Every method takes the ``idempotence_key`` it must use, derived by the caller from its own
    record (e.g. ``f"pay:{order_id}"``), so a retry after a timeout or a crash reuses it.
    """
