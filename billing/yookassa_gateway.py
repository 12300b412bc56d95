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
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import json
import re
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3 import Retry
from urllib3 import exceptions as urllib3_exceptions
from yookassa import Configuration
from yookassa.client import ApiClient
from yookassa.domain.common import HttpVerb, UserAgent

__all__ = [
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

DEFAULT_API_URL = "https://api.yookassa.ru/v3"
CURRENCY = "RUB"

_DESCRIPTION_MAX = 128  # payment description and receipt item description (API limits)
_IDEMPOTENCE_KEY_MAX = 64
_METADATA_MAX_KEYS, _METADATA_KEY_MAX, _METADATA_VALUE_MAX = 16, 32, 512
# Object ids come from notifications, i.e. from anyone: they go into URL paths, so keep them tame.
_OBJECT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

T = TypeVar("T")


# --------------------------------------------------------------------------- errors


class GatewayError(Exception):
    """Base of every error this gateway raises for a failed API call."""


class GatewayUnavailable(GatewayError):
    """5xx, 429, a network error or a malformed answer: transient; the outcome may be unknown."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GatewayTimeout(GatewayUnavailable):
    """No answer within the gateway's timeout. The request may still have been processed:
    retry with the same idempotence key, or re-fetch."""


class GatewayRejected(GatewayError):
    """4xx: the API refused the request; retrying the same request will not help."""

    def __init__(self, status: int, code: str | None, description: str,
                 parameter: str | None = None) -> None:
        super().__init__(f"YooKassa rejected the request ({status} {code}): {description}"
                         + (f" [parameter: {parameter}]" if parameter else ""))
        self.status = status
        self.code = code
        self.description = description
        self.parameter = parameter


class InvalidNotification(ValueError):
    """A webhook body that is not a YooKassa notification we understand."""


# --------------------------------------------------------------------------- money


def kopecks_to_value(kopecks: int) -> str:
    """12345 -> "123.45": the API's amount string, exact."""
    if isinstance(kopecks, bool) or not isinstance(kopecks, int):
        raise TypeError(f"kopecks must be int, not {type(kopecks).__name__}")
    if kopecks < 0:
        raise ValueError(f"negative amount: {kopecks}")
    rubles, rest = divmod(kopecks, 100)
    return f"{rubles}.{rest:02d}"


def value_to_kopecks(value: str | Decimal) -> int:
    """ "123.45" -> 12345, exact; a float, a fraction of a kopeck or a negative is an error."""
    if isinstance(value, float):
        raise TypeError("amounts are never floats")
    if not isinstance(value, (str, Decimal)):
        raise TypeError(f"amount must be str or Decimal, not {type(value).__name__}")
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"not an amount: {value!r}")
    kopecks = amount.scaleb(2)
    if kopecks != kopecks.to_integral_value():
        raise ValueError(f"fraction of a kopeck: {value!r}")
    return int(kopecks)


def _amount(kopecks: int) -> dict[str, str]:
    value = kopecks_to_value(kopecks)  # checks int and >= 0
    if kopecks == 0:
        raise ValueError("amount must be positive")
    return {"value": value, "currency": CURRENCY}


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class PaymentInfo:
    id: str
    status: str  # pending | waiting_for_capture | succeeded | canceled
    paid: bool
    amount_kopecks: int
    currency: str
    metadata: Mapping[str, str] = field(default_factory=dict, hash=False)
    payment_method_id: str | None = None  # only when the method was saved (auto-renewal)
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


@dataclass(frozen=True, slots=True)
class PayoutInfo:
    id: str
    status: str  # pending | succeeded | canceled
    amount_kopecks: int
    currency: str
    metadata: Mapping[str, str] = field(default_factory=dict, hash=False)
    cancellation_reason: str | None = None


def _parse(kind: str, build: Callable[[Mapping[str, Any]], T], data: Any) -> T:
    # A 200 with an unexpected shape is the API's fault, not the caller's: treat as transient.
    try:
        return build(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise GatewayUnavailable(f"malformed {kind} in YooKassa's answer: {exc!r}") from exc


def _payment_info(data: Mapping[str, Any]) -> PaymentInfo:
    method = data.get("payment_method") or {}
    return PaymentInfo(
        id=str(data["id"]),
        status=str(data["status"]),
        paid=bool(data.get("paid", False)),
        amount_kopecks=value_to_kopecks(data["amount"]["value"]),
        currency=str(data["amount"]["currency"]),
        metadata=dict(data.get("metadata") or {}),
        payment_method_id=method.get("id") if method.get("saved") else None,
        confirmation_url=(data.get("confirmation") or {}).get("confirmation_url"),
        cancellation_reason=(data.get("cancellation_details") or {}).get("reason"),
    )


def _refund_info(data: Mapping[str, Any]) -> RefundInfo:
    return RefundInfo(
        id=str(data["id"]),
        payment_id=str(data["payment_id"]),
        status=str(data["status"]),
        amount_kopecks=value_to_kopecks(data["amount"]["value"]),
        currency=str(data["amount"]["currency"]),
        cancellation_reason=(data.get("cancellation_details") or {}).get("reason"),
    )


def _payout_info(data: Mapping[str, Any]) -> PayoutInfo:
    return PayoutInfo(
        id=str(data["id"]),
        status=str(data["status"]),
        amount_kopecks=value_to_kopecks(data["amount"]["value"]),
        currency=str(data["amount"]["currency"]),
        metadata=dict(data.get("metadata") or {}),
        cancellation_reason=(data.get("cancellation_details") or {}).get("reason"),
    )


# --------------------------------------------------------------------------- SDK transport


class _DeadlineSession(requests.Session):
    """A requests session that never waits forever (the SDK passes no timeout)."""

    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, method, url, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, **kwargs)


class _ScopedApiClient(ApiClient):
    """The SDK's ApiClient with this gateway's settings instead of the global Configuration.

    Thread-safe to share: ``execute`` opens and closes a session per request and the client keeps
    no per-request state.
    """

    def __init__(self, *, api_url: str, shop_id: str, secret_key: str, http_timeout: float,
                 max_attempts: int = 3) -> None:
        # No super().__init__(): it reads (and requires) the process-global Configuration.
        # A bare Configuration instance keeps the class defaults for anything we do not set.
        config = Configuration.__new__(Configuration)
        config.account_id, config.secret_key, config.auth_token = shop_id, secret_key, None
        config.api_url, config.max_attempts, config.verify = api_url, max_attempts, None
        self.configuration = config
        self.endpoint = api_url.rstrip("/")
        self.shop_id = shop_id
        self.shop_password = secret_key
        self.auth_token = None
        self.timeout = config.timeout
        self.max_attempts = max_attempts
        self.user_agent = UserAgent()
        self._http_timeout = (http_timeout, http_timeout)

    def get_session(self) -> requests.Session:
        session = _DeadlineSession(self._http_timeout)
        # Keep the SDK's one retry rule (202 = "still processing, ask again"), on http too (the
        # fake), but no connect/read retries: they would run past the caller's deadline, and the
        # caller retries with the same idempotence key. read=False re-raises a read timeout, which
        # requests reports as ReadTimeout (read=0 wraps it into a plain ConnectionError); connect
        # must stay 0, as requests translates only connect errors wrapped in MaxRetryError.
        retries = Retry(total=self.max_attempts, connect=0, read=False, redirect=0, other=0,
                        status=self.max_attempts, status_forcelist=[202],
                        allowed_methods=frozenset({"GET", "POST"}), backoff_factor=0.2,
                        raise_on_status=False)
        adapter = HTTPAdapter(max_retries=retries)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def request(self, method="", path="", query_params=None, headers=None, body=None):
        # Replaces ApiClient.request, whose `except Exception: __handle_error(e.response)` turns a
        # network error (response None) into AttributeError and a non-JSON error page into
        # JSONDecodeError. Everything else is the SDK's.
        request_headers = self.prepare_request_headers(headers)
        try:
            response = self.execute(body, method, path, query_params, request_headers)
        except requests.Timeout as exc:
            raise GatewayTimeout(f"YooKassa did not answer {method} {path} in time") from exc
        except requests.HTTPError as exc:  # the SDK's execute() calls raise_for_status()
            response = exc.response
        except requests.RequestException as exc:
            if _timed_out(exc):
                raise GatewayTimeout(f"YooKassa did not answer {method} {path} in time") from exc
            raise GatewayUnavailable(f"YooKassa unreachable on {method} {path}: {exc}") from exc
        if response is None:
            raise GatewayUnavailable(f"YooKassa gave no answer to {method} {path}")
        if response.status_code != 200:
            raise _error_from(response)
        try:
            return response.json()
        except ValueError as exc:
            raise GatewayUnavailable(f"YooKassa answered non-JSON to {method} {path}",
                                     status=response.status_code) from exc


def _timed_out(exc: BaseException) -> bool:
    """A timeout hidden inside requests' ConnectionError(MaxRetryError(ReadTimeoutError))."""
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        err = stack.pop()
        if not isinstance(err, BaseException) or id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, urllib3_exceptions.NewConnectionError):
            return False  # refused / unreachable (urllib3 files it under ConnectTimeoutError)
        if isinstance(err, (TimeoutError, urllib3_exceptions.TimeoutError)):
            return True
        stack.extend((*err.args, getattr(err, "reason", None), err.__cause__, err.__context__))
    return False


def _error_from(response: requests.Response) -> GatewayError:
    status = response.status_code
    try:
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError
    except ValueError:
        body = {"description": response.text[:200]}
    description = str(body.get("description") or response.reason or "no description")
    if status == 429 or status >= 500 or status == 202:
        # 429: later; 5xx: YooKassa says the outcome is unknown; 202: still processing.
        return GatewayUnavailable(f"YooKassa {status}: {description}", status=status)
    return GatewayRejected(status, body.get("code"), description, body.get("parameter"))


# --------------------------------------------------------------------------- gateway


class YooKassaGateway:
    """Async facade over one YooKassa account (shop). Payouts use a separate payout account
    (agent id + its key): make a second gateway for them.

    Every method takes the ``idempotence_key`` it must use, derived by the caller from its own
    record (e.g. ``f"pay:{order_id}"``), so a retry after a timeout or a crash reuses it.
    """

    def __init__(self, shop_id: str, secret_key: str, *, api_url: str | None = None,
                 timeout: float = 10.0, max_workers: int = 4) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self._timeout = float(timeout)
        self._client = _ScopedApiClient(api_url=api_url or DEFAULT_API_URL, shop_id=str(shop_id),
                                        secret_key=secret_key, http_timeout=self._timeout)
        self._executor = ThreadPoolExecutor(max_workers=max_workers,
                                            thread_name_prefix="yookassa")
        self._lock = threading.Lock()
        self._in_flight = 0

    @property
    def timeout(self) -> float:
        return self._timeout

    @property
    def in_flight(self) -> int:
        """SDK calls still running in threads (including ones whose caller already timed out)."""
        with self._lock:
            return self._in_flight

    def close(self) -> None:
        """Stop the worker pool; running requests end by their HTTP timeout, queued ones drop."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def aclose(self) -> None:
        self.close()

    async def __aenter__(self) -> YooKassaGateway:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    # -- payments

    async def create_payment(self, amount_kopecks: int, description: str, return_url: str,
                             metadata: Mapping[str, str] | None, idempotence_key: str,
                             save_payment_method: bool = False,
                             receipt: Mapping[str, Any] | None = None) -> PaymentInfo:
        """A one-stage payment with a redirect confirmation; starts ``pending``."""
        body: dict[str, Any] = {
            "amount": _amount(amount_kopecks),
            "capture": True,
            "confirmation": {"type": "redirect", "return_url": return_url},
            "description": _clip(description),
            "metadata": _metadata(metadata),
        }
        if save_payment_method:
            body["save_payment_method"] = True
        if receipt is not None:
            body["receipt"] = dict(receipt)
        data = await self._post("/payments", body, idempotence_key)
        return _parse("payment", _payment_info, data)

    async def get_payment(self, payment_id: str) -> PaymentInfo:
        data = await self._get(f"/payments/{_object_id(payment_id)}")
        return _parse("payment", _payment_info, data)

    async def charge_saved_method(self, payment_method_id: str, amount_kopecks: int,
                                  description: str, metadata: Mapping[str, str] | None,
                                  idempotence_key: str,
                                  receipt: Mapping[str, Any] | None = None) -> PaymentInfo:
        """Auto-renewal: no confirmation; answers ``succeeded`` or ``canceled`` (with a reason)
        at once, or ``pending`` if the bank is slow (then wait for the notification / re-fetch)."""
        body: dict[str, Any] = {
            "amount": _amount(amount_kopecks),
            "capture": True,
            "payment_method_id": _object_id(payment_method_id),
            "description": _clip(description),
            "metadata": _metadata(metadata),
        }
        if receipt is not None:
            body["receipt"] = dict(receipt)
        data = await self._post("/payments", body, idempotence_key)
        return _parse("payment", _payment_info, data)

    # -- refunds

    async def refund(self, payment_id: str, amount_kopecks: int, idempotence_key: str,
                     receipt: Mapping[str, Any] | None = None) -> RefundInfo:
        body: dict[str, Any] = {"payment_id": _object_id(payment_id),
                                "amount": _amount(amount_kopecks)}
        if receipt is not None:
            body["receipt"] = dict(receipt)
        data = await self._post("/refunds", body, idempotence_key)
        return _parse("refund", _refund_info, data)

    async def get_refund(self, refund_id: str) -> RefundInfo:
        data = await self._get(f"/refunds/{_object_id(refund_id)}")
        return _parse("refund", _refund_info, data)

    # -- payouts

    async def create_payout(self, amount_kopecks: int, destination: Mapping[str, Any],
                            description: str, idempotence_key: str,
                            metadata: Mapping[str, str] | None = None) -> PayoutInfo:
        """``destination`` is YooKassa's ``payout_destination_data``, e.g.
        ``{"type": "yoo_money", "account_number": "4100..."}`` or
        ``{"type": "bank_card", "card": {"number": "5555..."}}``."""
        if not isinstance(destination, Mapping) or not destination.get("type"):
            raise ValueError("destination needs a 'type'")
        body: dict[str, Any] = {
            "amount": _amount(amount_kopecks),
            "payout_destination_data": dict(destination),
            "description": _clip(description),
            "metadata": _metadata(metadata),
        }
        data = await self._post("/payouts", body, idempotence_key)
        return _parse("payout", _payout_info, data)

    async def get_payout(self, payout_id: str) -> PayoutInfo:
        data = await self._get(f"/payouts/{_object_id(payout_id)}")
        return _parse("payout", _payout_info, data)

    # -- plumbing

    async def _post(self, path: str, body: dict[str, Any], idempotence_key: str) -> Any:
        key = _idempotence_key(idempotence_key)
        return await self._call(self._client.request, HttpVerb.POST, path, None,
                                {"Idempotence-Key": key}, body)

    async def _get(self, path: str) -> Any:
        return await self._call(self._client.request, HttpVerb.GET, path)

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()  # as asyncio.to_thread does
        future = loop.run_in_executor(
            self._executor, functools.partial(context.run, self._counted, fn, *args))
        try:
            return await asyncio.wait_for(future, self._timeout)
        except TimeoutError as exc:
            # The thread may still be waiting on the socket; it ends by its HTTP timeout.
            raise GatewayTimeout(f"YooKassa did not answer within {self._timeout:g}s") from exc

    def _counted(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            self._in_flight += 1
        try:
            return fn(*args)
        finally:
            with self._lock:
                self._in_flight -= 1


def _idempotence_key(key: str) -> str:
    if not isinstance(key, str) or not key or len(key) > _IDEMPOTENCE_KEY_MAX:
        raise ValueError(f"idempotence key must be 1..{_IDEMPOTENCE_KEY_MAX} characters")
    return key


def _object_id(value: str) -> str:
    if not isinstance(value, str) or not _OBJECT_ID.match(value):
        raise ValueError(f"not a YooKassa object id: {value!r}")
    return value


def _clip(text: str, limit: int = _DESCRIPTION_MAX) -> str:
    # Plan and tracker names are the author's: clip rather than fail a payment over a long name.
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    result: dict[str, str] = {}
    for key, value in (metadata or {}).items():
        if not isinstance(key, str) or not 0 < len(key) <= _METADATA_KEY_MAX:
            raise ValueError(f"metadata key {key!r}: 1..{_METADATA_KEY_MAX} characters")
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValueError(f"metadata {key!r}: str or int, not {type(value).__name__}")
        text = str(value)
        if len(text) > _METADATA_VALUE_MAX:
            raise ValueError(f"metadata {key!r}: longer than {_METADATA_VALUE_MAX}")
        result[key] = text
    if len(result) > _METADATA_MAX_KEYS:
        raise ValueError(f"metadata: at most {_METADATA_MAX_KEYS} keys")
    return result


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
    if not isinstance(object_id, str) or not _OBJECT_ID.match(object_id):
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
            "description": _clip(description),
            "quantity": "1.00",
            "amount": _amount(amount_kopecks),
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
