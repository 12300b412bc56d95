"""A fake YooKassa API v3 for tests: real HTTP on 127.0.0.1, driven by the real ``yookassa`` SDK.

Point the SDK (or ``YooKassaGateway(api_url=...)``) at ``fake.api_url``::

    async with FakeYooKassa() as fake:
        gateway = YooKassaGateway(fake.shop_id, fake.secret_key, api_url=fake.api_url)
        payment = await gateway.create_payment(...)        # pending, with a confirmation URL
        fake.succeed(payment.id)                            # the client paid
        await fake.notify(webhook_url, "payment.succeeded", payment.id)

Order of checks for every ``/v3`` request: it is recorded; a scripted fault (``hang_next`` /
``fail_next``) is popped, and unless it says ``processed=True`` it acts before anything else; Basic
auth ``shop_id:secret_key`` (401); for POST the ``Idempotence-Key`` (400 when missing; the same
key with the same body replays the first answer, with another body is a 400); then the handler.

What it models: one-stage and two-stage payments (``capture``), redirect confirmation, saved
payment methods and charges with ``payment_method_id`` (succeed at once, or are ``canceled`` with a
scripted reason), refunds (``succeeded`` at once unless ``refund_status="pending"``), payouts
(``pending`` until ``succeed_payout`` / ``cancel_payout``; to a card only by a ``payout_token`` the
payout widget issued (``tests.fakes.yookassa_widget``), an unknown one is a 400; paid from
``payout_balance``, and one over it comes back ``canceled`` with ``insufficient_funds`` as the real
API does), 54-FZ receipts (items must add up to the amount).
Not modelled: other confirmation types, payment tokens, deals, receipts API, list endpoints.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.yookassa_widget import PayoutCards

__all__ = ["FakeYooKassa", "RecordedRequest", "SentNotification"]

_DEFAULT_PARTY = {  # who cancels for a given reason (as YooKassa reports it)
    "expired_on_confirmation": "yoo_money",
    "expired_on_capture": "yoo_money",
    "canceled_by_merchant": "merchant",
    "insufficient_funds": "payment_network",
    "card_expired": "payment_network",
    "payment_method_restricted": "payment_network",
    "permission_revoked": "yoo_money",
    "fraud_suspected": "yoo_money",
    "general_decline": "payment_network",
}


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, None when empty
    idempotence_key: str | None
    account: str | None = None  # the shop id of valid Basic auth, else None
    status: int = 0
    outcome: str = "pending"  # ok | error | replayed | hang | fault


@dataclass
class SentNotification:
    url: str
    body: dict[str, Any]
    status: int | None  # the receiver's HTTP status; None when it could not be reached


@dataclass
class _Fault:
    kind: str  # "hang" | "fail"
    status: int = 500
    seconds: float | None = None  # hang: None = until release()/stop
    processed: bool = False  # act after the request was processed (the outcome is then unknown)


class _ApiError(Exception):
    def __init__(self, status: int, code: str, description: str, parameter: str | None = None):
        super().__init__(description)
        self.status, self.code, self.description, self.parameter = (
            status, code, description, parameter)


@dataclass
class _Idem:
    body: str
    status: int
    answer: dict[str, Any] = field(default_factory=dict)


class FakeYooKassa:
    def __init__(self, *, shop_id: str = "100500", secret_key: str = "test_secret_key",
                 host: str = "127.0.0.1", port: int = 0, require_receipt: bool = False,
                 refund_status: str = "succeeded", payout_status: str = "pending") -> None:
        self.shop_id = shop_id
        self.secret_key = secret_key
        self.require_receipt = require_receipt  # a shop with 54-FZ receipts switched on
        self.refund_status = refund_status
        self.payout_status = payout_status
        self.payments: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.payouts: dict[str, dict[str, Any]] = {}
        self.payout_cards = PayoutCards(shop_id)  # the widget's card synonyms
        self.payout_balance = Decimal("1000000.00")  # rubles on the payout account
        self.saved_methods: dict[str, dict[str, Any]] = {}  # id -> payment_method object
        self.declined_methods: dict[str, tuple[str, str]] = {}  # id -> (party, reason)
        self.held_methods: set[str] = set()  # charges with these stay pending (a bank's 3-DS, a slow acquirer)
        self.requests: list[RecordedRequest] = []
        self.notifications: list[SentNotification] = []
        self.internal_errors: list[str] = []  # bugs of the fake itself (answered 500)
        self._faults: deque[_Fault] = deque()
        self._idempotence: dict[tuple[str, str, str], _Idem] = {}
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None
        self._unhang = asyncio.Event()
        self._stopping = False
        self.lookup_delay = 0.0  # seconds every GET takes: a slow API (slow_lookups)

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the fake YooKassa server is not started")
        return f"http://{self._host}:{self._port}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/v3"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware])
        r = app.router
        r.add_post("/v3/payments", self._create_payment)
        r.add_get("/v3/payments/{id}", self._get_payment)
        r.add_post("/v3/payments/{id}/capture", self._capture)
        r.add_post("/v3/payments/{id}/cancel", self._cancel)
        r.add_post("/v3/refunds", self._create_refund)
        r.add_get("/v3/refunds/{id}", self._get_refund)
        r.add_post("/v3/payouts", self._create_payout)
        r.add_get("/v3/payouts/{id}", self._get_payout)
        r.add_get("/checkout/{id}", self._checkout_page)
        self.payout_cards.add_routes(r)
        # handler_cancellation: a client that gives up (timeout) cancels its hanging handler.
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None,
                                     handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self._port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        self._stopping = True
        self.release()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeYooKassa:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- scripting ---------------------------------------------------------------------------

    def hang_next(self, n: int = 1, *, seconds: float | None = None,
                  processed: bool = False) -> None:
        """The next n API requests get no answer: until ``release()``/stop, or for ``seconds``
        and then a normal answer. ``processed=True``: the request takes effect first."""
        self._faults.extend(_Fault("hang", seconds=seconds, processed=processed)
                            for _ in range(n))

    def fail_next(self, status: int = 500, n: int = 1, *, processed: bool = False) -> None:
        """The next n API requests answer ``status`` with a YooKassa error body (202: the
        "processing, ask again" body). ``processed=True``: the request takes effect first."""
        self._faults.extend(_Fault("fail", status=status, processed=processed)
                            for _ in range(n))

    def slow_lookups(self, seconds: float) -> None:
        """From now on every GET (a payment or refund re-fetched) answers after ``seconds``;
        creating payments stays fast. 0 makes lookups fast again."""
        self.lookup_delay = seconds

    def release(self) -> None:
        """End every current hang."""
        self._unhang.set()
        self._unhang = asyncio.Event()

    def succeed(self, payment_id: str, *, card_last4: str = "4444") -> dict[str, Any]:
        """The client paid on the confirmation page. A ``capture: false`` payment goes to
        ``waiting_for_capture``; the method is saved if the payment asked for it."""
        payment = self.payments[payment_id]
        if payment["status"] != "pending":
            raise ValueError(f"payment {payment_id} is {payment['status']}, not pending")
        # A charge of a saved method already carries it; a link payment gets the card paid with.
        method = payment.get("payment_method") or {
            "type": "bank_card", "id": str(uuid.uuid4()), "saved": payment["_save"],
            "title": f"Bank card *{card_last4}",
            "card": {"first6": "555555", "last4": card_last4, "expiry_month": "12",
                     "expiry_year": "2030", "card_type": "MasterCard"},
        }
        payment["payment_method"] = method
        if payment["_save"]:
            self.saved_methods[method["id"]] = method
        payment.pop("confirmation", None)
        payment["paid"] = True
        if payment["_capture"]:
            self._mark_captured(payment)
        else:
            payment["status"] = "waiting_for_capture"
            payment["expires_at"] = _now()
        return self._public(payment)

    def cancel(self, payment_id: str, reason: str = "expired_on_confirmation",
               party: str | None = None) -> dict[str, Any]:
        """The payment fails on YooKassa's side (the client gave up, the bank declined...)."""
        payment = self.payments[payment_id]
        if payment["status"] not in ("pending", "waiting_for_capture"):
            raise ValueError(f"payment {payment_id} is already {payment['status']}")
        self._mark_canceled(payment, reason, party)
        return self._public(payment)

    def decline_method(self, payment_method_id: str, reason: str = "insufficient_funds",
                       party: str | None = None) -> None:
        """Charges with this saved method come back ``canceled`` with ``reason``."""
        self.declined_methods[payment_method_id] = (party or _party(reason), reason)

    def hold_method(self, payment_method_id: str) -> None:
        """Charges with this saved method stay ``pending`` until ``succeed`` or ``cancel``."""
        self.held_methods.add(payment_method_id)

    def expire_idempotence_keys(self) -> None:
        """A day passes: YooKassa forgets its idempotence keys (it keeps them 24 h), so a request
        repeated with an old key now makes a new object."""
        self._idempotence.clear()

    def succeed_refund(self, refund_id: str) -> dict[str, Any]:
        refund = self.refunds[refund_id]
        if refund["status"] == "pending":
            refund["status"] = "succeeded"
            self._book_refund(self.payments[refund["payment_id"]])
        return self._public(refund)

    @property
    def widget_url(self) -> str:
        """The payout widget's script, as https://yookassa.ru/payouts-data/3.1.0/widget.js."""
        return self.base_url + "/payouts-data/widget.js"

    def succeed_payout(self, payout_id: str) -> dict[str, Any]:
        payout = self.payouts[payout_id]
        if payout["status"] != "pending":  # a final status is final at YooKassa
            raise ValueError(f"payout {payout_id} is {payout['status']}, not pending")
        payout["status"] = "succeeded"
        payout["succeeded_at"] = _now()
        return self._public(payout)

    def cancel_payout(self, payout_id: str, reason: str = "general_decline") -> dict[str, Any]:
        payout = self.payouts[payout_id]
        if payout["status"] != "pending":
            raise ValueError(f"payout {payout_id} is {payout['status']}, not pending")
        payout["status"] = "canceled"
        payout["cancellation_details"] = {"party": _party(reason), "reason": reason}
        self.payout_balance += Decimal(payout["amount"]["value"])  # the money comes back to the account
        return self._public(payout)

    async def notify(self, url: str, event: str, object_id: str | None = None, *,
                     obj: dict[str, Any] | None = None, timeout: float = 5.0,
                     headers: dict[str, str] | None = None) -> int | None:
        """POST a YooKassa-shaped notification to ``url``; the object is the current state of
        ``object_id`` (from the event's kind), or ``obj`` as given (a forged one). Returns the
        receiver's status, None if it could not be reached."""
        if obj is None:
            store = {"payment": self.payments, "refund": self.refunds,
                     "payout": self.payouts}[event.split(".", 1)[0]]
            obj = self._public(store[object_id])
        body = {"type": "notification", "event": event, "object": obj}
        status: int | None = None
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as s:
                async with s.post(url, json=body, headers=headers) as response:
                    status = response.status
                    await response.read()
        except (aiohttp.ClientError, TimeoutError):
            status = None
        self.notifications.append(SentNotification(url, body, status))
        return status

    @property
    def payment_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST" and r.path == "/v3/payments"]

    # --- plumbing ----------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler) -> web.StreamResponse:
        if not request.path.startswith("/v3/"):
            return await handler(request)
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = "<invalid json>"
        record = RecordedRequest(request.method, request.path, dict(request.headers), body,
                                 request.headers.get("Idempotence-Key"))
        self.requests.append(record)
        if request.method == "GET" and self.lookup_delay > 0:
            await asyncio.sleep(self.lookup_delay)
        fault = self._faults.popleft() if self._faults else None
        if fault is not None and not fault.processed:
            if (early := await self._apply(fault, record)) is not None:
                return early
        try:
            status, answer, outcome = await self._process(request, record, body, handler)
        except _ApiError as exc:
            status, answer, outcome = exc.status, _error_body(exc), "error"
        except web.HTTPException as exc:  # no such route / method under /v3
            status, answer, outcome = exc.status, _error_body(_ApiError(
                exc.status, "not_found" if exc.status == 404 else "invalid_request",
                exc.reason)), "error"
        except Exception as exc:  # a bug in the fake: say so loudly
            self.internal_errors.append(f"{request.method} {request.path}: {exc!r}")
            status, answer, outcome = 500, _error_body(_ApiError(
                500, "internal_server_error", f"fake failed: {exc!r}")), "error"
        if fault is not None and fault.processed:
            if (late := await self._apply(fault, record)) is not None:
                return late
        record.status, record.outcome = status, outcome
        return web.json_response(answer, status=status)

    async def _apply(self, fault: _Fault, record: RecordedRequest) -> web.Response | None:
        if fault.kind == "hang":
            record.outcome = "hang"
            waiter = self._unhang
            if not self._stopping:
                try:
                    await asyncio.wait_for(waiter.wait(), fault.seconds)
                except TimeoutError:
                    return None  # a slow answer, not a lost one
            record.status = 503
            return web.json_response(_error_body(_ApiError(
                503, "internal_server_error", "released")), status=503)
        record.status, record.outcome = fault.status, "fault"
        if fault.status == 202:
            return web.json_response({"type": "processing", "description": "in progress",
                                      "retry_after": 100}, status=202)
        code = "internal_server_error" if fault.status >= 500 else "invalid_request"
        return web.json_response(_error_body(_ApiError(
            fault.status, code, f"scripted failure {fault.status}")), status=fault.status)

    async def _process(self, request: web.Request, record: RecordedRequest, body: Any,
                       handler) -> tuple[int, dict[str, Any], str]:
        record.account = self._authenticate(request)
        if request.method != "POST":
            response = await handler(request)
            return response.status, json.loads(response.body), "ok"
        key = request.headers.get("Idempotence-Key")
        if not key:
            raise _ApiError(400, "invalid_request", "Idempotence-Key header is missing",
                            "Idempotence-Key")
        if len(key) > 64:
            raise _ApiError(400, "invalid_request", "Idempotence-Key is longer than 64",
                            "Idempotence-Key")
        slot = (record.account or "", request.path, key)
        canonical = json.dumps(body, sort_keys=True)
        if (seen := self._idempotence.get(slot)) is not None:
            if seen.body != canonical:
                raise _ApiError(400, "invalid_request",
                                "Idempotence key duplicated with other request parameters",
                                "Idempotence-Key")
            return seen.status, copy.deepcopy(seen.answer), "replayed"
        response = await handler(request)
        answer = json.loads(response.body)
        # Like YooKassa: the first answer is kept for the key (a snapshot, not the live state).
        self._idempotence[slot] = _Idem(canonical, response.status, copy.deepcopy(answer))
        return response.status, answer, "ok"

    def _authenticate(self, request: web.Request) -> str:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        try:
            user, _, password = base64.b64decode(token).decode().partition(":")
        except ValueError:
            user = password = ""
        if scheme != "Basic" or user != self.shop_id or password != self.secret_key:
            raise _ApiError(401, "invalid_credentials",
                            "Login and password are incorrect or your account doesn't exist. "
                            "Use shopId as login and the secret key as password.")
        return user

    async def _json(self, request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        if not raw:
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            raise _ApiError(400, "invalid_request", "Request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise _ApiError(400, "invalid_request", "Request body must be a JSON object")
        return body

    @staticmethod
    def _public(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}

    def _ok(self, obj: dict[str, Any]) -> web.Response:
        return web.json_response(self._public(obj))

    # --- payments ----------------------------------------------------------------------------

    async def _create_payment(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        amount = _check_amount(body.get("amount"), "amount")
        description = body.get("description")
        if description is not None and (not isinstance(description, str)
                                        or len(description) > 128):
            raise _ApiError(400, "invalid_request", "Invalid description", "description")
        metadata = _check_metadata(body.get("metadata"))
        receipt = body.get("receipt")
        if receipt is not None:
            _check_receipt(receipt, amount)
        elif self.require_receipt:
            raise _ApiError(400, "invalid_request", "Receipt is missing or illegal", "receipt")
        payment_id = str(uuid.uuid4())
        payment: dict[str, Any] = {
            "id": payment_id, "status": "pending", "paid": False, "amount": amount,
            "recipient": {"account_id": self.shop_id, "gateway_id": "100700"},
            "created_at": _now(), "metadata": metadata, "refundable": False, "test": True,
            "_capture": bool(body.get("capture", False)),
            "_save": bool(body.get("save_payment_method", False)),
            "_refunded": Decimal(0),
        }
        if description is not None:
            payment["description"] = description
        method_id = body.get("payment_method_id")
        if method_id is not None:
            method = self.saved_methods.get(method_id)
            if method is None:
                raise _ApiError(400, "invalid_request",
                                "Payment method with this payment_method_id doesn't exist",
                                "payment_method_id")
            payment["payment_method"] = copy.deepcopy(method)
            self.payments[payment_id] = payment
            if method_id in self.declined_methods:
                party, reason = self.declined_methods[method_id]
                self._mark_canceled(payment, reason, party)
            elif method_id in self.held_methods:
                pass  # pending: succeed() or cancel() decides
            else:
                payment["paid"] = True
                if payment["_capture"]:
                    self._mark_captured(payment)
                else:
                    payment["status"] = "waiting_for_capture"
            return self._ok(payment)
        confirmation = body.get("confirmation")
        if not isinstance(confirmation, dict) or confirmation.get("type") != "redirect":
            raise _ApiError(400, "invalid_request",
                            "Only confirmation type 'redirect' is supported by the fake",
                            "confirmation")
        return_url = confirmation.get("return_url")
        if not isinstance(return_url, str) or not return_url:
            raise _ApiError(400, "invalid_request", "return_url is missing",
                            "confirmation.return_url")
        payment["confirmation"] = {
            "type": "redirect", "return_url": return_url,
            "confirmation_url": f"{self.base_url}/checkout/{payment_id}",
        }
        self.payments[payment_id] = payment
        return self._ok(payment)

    def _payment(self, request: web.Request) -> dict[str, Any]:
        payment = self.payments.get(request.match_info["id"])
        if payment is None:
            raise _ApiError(404, "not_found",
                            "Incorrect payment_id. Payment doesn't exist or access denied.",
                            "payment_id")
        return payment

    async def _get_payment(self, request: web.Request) -> web.Response:
        return self._ok(self._payment(request))

    async def _capture(self, request: web.Request) -> web.Response:
        payment = self._payment(request)
        body = await self._json(request)
        if payment["status"] != "waiting_for_capture":
            raise _ApiError(400, "invalid_request",
                            f"Payment is {payment['status']}, can't be captured")
        if "amount" in body:
            amount = _check_amount(body["amount"], "amount")
            if (Decimal(amount["value"]) > Decimal(payment["amount"]["value"])
                    or amount["currency"] != payment["amount"]["currency"]):
                raise _ApiError(400, "invalid_request", "Capture amount is too large", "amount")
            payment["amount"] = amount
        self._mark_captured(payment)
        return self._ok(payment)

    async def _cancel(self, request: web.Request) -> web.Response:
        payment = self._payment(request)
        if payment["status"] != "waiting_for_capture":
            raise _ApiError(400, "invalid_request",
                            f"Payment is {payment['status']}, can't be canceled")
        self._mark_canceled(payment, "canceled_by_merchant", "merchant")
        return self._ok(payment)

    @staticmethod
    def _mark_captured(payment: dict[str, Any]) -> None:
        payment.update(status="succeeded", paid=True, refundable=True, captured_at=_now())
        payment.pop("expires_at", None)

    @staticmethod
    def _mark_canceled(payment: dict[str, Any], reason: str, party: str | None) -> None:
        payment.update(status="canceled", paid=False, refundable=False,
                       cancellation_details={"party": party or _party(reason), "reason": reason})
        payment.pop("confirmation", None)
        payment.pop("expires_at", None)

    async def _checkout_page(self, request: web.Request) -> web.Response:
        """The confirmation URL: ``?pay=1`` pays and redirects to ``return_url`` (for e2e)."""
        payment = self.payments.get(request.match_info["id"])
        if payment is None:
            raise web.HTTPNotFound()
        if request.query.get("pay") and payment["status"] == "pending":
            return_url = payment["confirmation"]["return_url"]
            self.succeed(payment["id"])
            raise web.HTTPFound(return_url)
        return web.Response(text=f"<h1>Fake YooKassa</h1><p>{payment['id']}: "
                                 f"{payment['status']}</p>", content_type="text/html")

    # --- refunds -----------------------------------------------------------------------------

    async def _create_refund(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        payment = self.payments.get(body.get("payment_id"))  # type: ignore[arg-type]
        if payment is None:
            raise _ApiError(400, "invalid_request", "Payment doesn't exist", "payment_id")
        amount = _check_amount(body.get("amount"), "amount")
        if payment["status"] != "succeeded":
            raise _ApiError(400, "invalid_request",
                            f"Payment is {payment['status']}, can't be refunded", "payment_id")
        if amount["currency"] != payment["amount"]["currency"]:
            raise _ApiError(400, "invalid_request", "Currency mismatch", "amount.currency")
        reserved = sum((Decimal(r["amount"]["value"]) for r in self.refunds.values()
                        if r["payment_id"] == payment["id"] and r["status"] != "canceled"),
                       Decimal(0))
        if reserved + Decimal(amount["value"]) > Decimal(payment["amount"]["value"]):
            raise _ApiError(400, "invalid_request",
                            "Refund amount exceeds the amount available for refund", "amount")
        refund: dict[str, Any] = {
            "id": str(uuid.uuid4()), "payment_id": payment["id"], "status": self.refund_status,
            "created_at": _now(), "amount": amount,
        }
        if isinstance(body.get("description"), str):
            refund["description"] = body["description"]
        self.refunds[refund["id"]] = refund
        if refund["status"] == "succeeded":
            self._book_refund(payment)
        return self._ok(refund)

    def _book_refund(self, payment: dict[str, Any]) -> None:
        done = sum((Decimal(r["amount"]["value"]) for r in self.refunds.values()
                    if r["payment_id"] == payment["id"] and r["status"] == "succeeded"),
                   Decimal(0))
        payment["refunded_amount"] = {"value": f"{done:.2f}",
                                      "currency": payment["amount"]["currency"]}
        payment["refundable"] = done < Decimal(payment["amount"]["value"])

    async def _get_refund(self, request: web.Request) -> web.Response:
        refund = self.refunds.get(request.match_info["id"])
        if refund is None:
            raise _ApiError(404, "not_found", "Refund doesn't exist", "refund_id")
        return self._ok(refund)

    # --- payouts -----------------------------------------------------------------------------

    async def _create_payout(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        amount = _check_amount(body.get("amount"), "amount")
        sources = [k for k in ("payout_destination_data", "payout_token", "payment_method_id")
                   if body.get(k)]
        if len(sources) != 1:
            raise _ApiError(400, "invalid_request",
                            "Exactly one of payout_destination_data, payout_token, "
                            "payment_method_id is required", "payout_destination_data")
        if "payout_token" in body:
            shown = self.payout_cards.destination(str(body["payout_token"]))
            if shown is None:
                raise _ApiError(400, "invalid_request", "Invalid payout_token", "payout_token")
        else:
            destination = body.get("payout_destination_data") or {"type": "bank_card"}
            if not isinstance(destination, dict) or destination.get("type") not in (
                    "bank_card", "yoo_money", "sbp"):
                raise _ApiError(400, "invalid_request", "Invalid payout destination type",
                                "payout_destination_data.type")
            _check_payout_destination(destination)
            shown = copy.deepcopy(destination)
            number = (shown.get("card") or {}).pop("number", None)
            if number:  # YooKassa never echoes a full card number
                shown["card"].update(first6=number[:6], last4=number[-4:], card_type="MasterCard")
        payout: dict[str, Any] = {
            "id": f"po-{uuid.uuid4()}", "amount": amount, "status": self.payout_status,
            "payout_destination": shown, "created_at": _now(), "test": True,
            "metadata": _check_metadata(body.get("metadata")),
        }
        if isinstance(body.get("description"), str):
            payout["description"] = body["description"]
        if Decimal(amount["value"]) > self.payout_balance:  # not refused: created, then canceled
            payout["status"] = "canceled"
            payout["cancellation_details"] = {"party": "yoo_money", "reason": "insufficient_funds"}
        elif payout["status"] != "canceled":
            self.payout_balance -= Decimal(amount["value"])
        self.payouts[payout["id"]] = payout
        return self._ok(payout)

    async def _get_payout(self, request: web.Request) -> web.Response:
        payout = self.payouts.get(request.match_info["id"])
        if payout is None:
            raise _ApiError(404, "not_found", "Payout doesn't exist", "payout_id")
        return self._ok(payout)


# --- validation helpers ------------------------------------------------------------------------


def _check_amount(amount: Any, parameter: str) -> dict[str, str]:
    if not isinstance(amount, dict):
        raise _ApiError(400, "invalid_request", "Amount is missing", parameter)
    value, currency = amount.get("value"), amount.get("currency")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _ApiError(400, "invalid_request", "Invalid amount value",
                        parameter + ".value") from None
    if (not isinstance(value, str) or not number.is_finite() or number <= 0
            or number != number.quantize(Decimal("0.01"))):
        raise _ApiError(400, "invalid_request", "Invalid amount value", parameter + ".value")
    if currency != "RUB":
        raise _ApiError(400, "invalid_request", "Unsupported currency", parameter + ".currency")
    return {"value": f"{number:.2f}", "currency": currency}


def _check_payout_destination(destination: dict[str, Any]) -> None:
    """What YooKassa checks of `payout_destination_data`: a card number that passes Luhn, a
    YooMoney account of digits, an SBP phone and bank id."""
    def bad(parameter: str) -> _ApiError:
        return _ApiError(400, "invalid_request", "Invalid payout destination", parameter)

    kind = destination["type"]
    if kind == "bank_card" and "card" in destination:  # (a payout_token carries no card here)
        number = str((destination.get("card") or {}).get("number", ""))
        digits = [int(c) for c in number] if number.isdigit() else []
        checksum = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2)
                       for i, d in enumerate(reversed(digits)))
        if not 13 <= len(digits) <= 19 or checksum % 10:
            raise bad("payout_destination_data.card.number")
    elif kind == "yoo_money":
        account = str(destination.get("account_number", ""))
        if not account.isdigit():
            raise bad("payout_destination_data.account_number")
    elif kind == "sbp":
        if not str(destination.get("phone", "")).isdigit() or not destination.get("bank_id"):
            raise bad("payout_destination_data.phone")


def _check_metadata(metadata: Any) -> dict[str, str]:
    if metadata is None:
        return {}
    if (not isinstance(metadata, dict) or len(metadata) > 16
            or any(not isinstance(k, str) or len(k) > 32 or not isinstance(v, str)
                   or len(v) > 512 for k, v in metadata.items())):
        raise _ApiError(400, "invalid_request", "Invalid metadata", "metadata")
    return dict(metadata)


def _check_receipt(receipt: Any, amount: dict[str, str]) -> None:
    def bad(description: str, parameter: str = "receipt") -> _ApiError:
        return _ApiError(400, "invalid_request", description, parameter)

    if not isinstance(receipt, dict) or not isinstance(receipt.get("items"), list) \
            or not receipt["items"]:
        raise bad("Receipt has no items", "receipt.items")
    customer = receipt.get("customer") or {}
    if not (customer.get("email") or customer.get("phone")):
        raise bad("Receipt needs customer.email or customer.phone", "receipt.customer")
    total = Decimal(0)
    for i, item in enumerate(receipt["items"]):
        where = f"receipt.items[{i}]"
        if not isinstance(item, dict) or not item.get("description"):
            raise bad("Item description is missing", where + ".description")
        if len(item["description"]) > 128:
            raise bad("Item description is too long", where + ".description")
        if item.get("vat_code") not in range(1, 13):
            raise bad("Invalid vat_code", where + ".vat_code")
        item_amount = _check_amount(item.get("amount"), where + ".amount")
        try:
            quantity = Decimal(str(item.get("quantity")))
        except InvalidOperation:
            raise bad("Invalid quantity", where + ".quantity") from None
        total += Decimal(item_amount["value"]) * quantity
    if total != Decimal(amount["value"]):
        raise bad("Sum of receipt items doesn't equal the payment amount", "receipt.items")


def _error_body(exc: _ApiError) -> dict[str, Any]:
    body = {"type": "error", "id": str(uuid.uuid4()), "code": exc.code,
            "description": exc.description}
    if exc.parameter:
        body["parameter"] = exc.parameter
    return body


def _party(reason: str) -> str:
    return _DEFAULT_PARTY.get(reason, "yoo_money")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
