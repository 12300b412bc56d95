"""YooKassa API v3 through the official (synchronous) ``yookassa`` SDK, made safe for asyncio.

Domain code: no aiogram here. Money in and out is integer kopecks; the API's ``"1234.56"`` strings
are converted exactly with ``Decimal`` (never ``float``).

Why it looks the way it does (read against yookassa 3.13):

* **Configuration is per gateway, not global.** ``Configuration.configure`` writes class attributes,
  and ``Payment.create`` & co. are classmethods that build ``ApiClient()`` from those globals on
  every call. Two gateways (the shop and the payouts account, or two test servers) would race, and
  a lock around "configure + call" would serialise every call behind a hung one. So each gateway
  owns one ``_ScopedApiClient``: the SDK's own ``ApiClient`` (its auth header, User-Agent, logging,
  session handling) with its settings given at construction. We send plain dicts through
  ``ApiClient.request`` rather than the SDK's request/response models because its ``Amount`` goes
  through ``float`` (``Decimal(str(float(value)))``) both ways.
* **Timeouts.** The SDK passes no ``timeout`` to ``requests`` (its ``Configuration.timeout`` is a
  retry back-off, not an HTTP timeout), so a silent server would hold a thread forever. Each call
  therefore has two limits: ``requests`` gets ``timeout=(timeout, timeout)`` so the worker thread
  ends by itself, and the coroutine waits under ``asyncio.wait_for(timeout)`` so the caller is free
  at the deadline even if the thread is not (a thread cannot be killed, and ``requests``' read
  timeout is per socket read, so a server trickling bytes can keep one busy longer).
* **A pool of its own.** Calls run in this gateway's ``ThreadPoolExecutor`` (what
  ``asyncio.to_thread`` does, context copied the same way) instead of the loop's default executor:
  hung YooKassa requests then cannot starve the default pool, which aiohttp uses for DNS lookups of
  every Telegram request. A call still queued when its deadline passes is cancelled, never sent.
* **After a timeout the outcome is unknown**: the request may have been processed. Retry with the
  *same* idempotence key (YooKassa then answers with the same object) or re-fetch by id.
* Notifications carry no signature: :func:`parse_notification` returns only the event and the
  object id, and the caller trusts the object re-fetched with :meth:`YooKassaGateway.get_payment`.

The parts are in `billing.yookassa_api`: the HTTP client, payments and refunds, payouts, values.
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
