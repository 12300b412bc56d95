"""YooKassaGateway: the real yookassa SDK against the fake YooKassa server over real HTTP."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st
from yookassa import Configuration

from billing.yookassa_gateway import (
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
    InvalidNotification,
    YooKassaGateway,
    build_receipt,
    kopecks_to_value,
    parse_notification,
    provider_data,
    value_to_kopecks,
)
from tests.fakes.yookassa_server import FakeYooKassa
from tests.waiting import eventually

RETURN_URL = "https://t.me/some_tracker_bot"
TIMEOUT = 0.6  # the gateway's deadline in these tests
SLACK = 0.4


@pytest.fixture
async def fake() -> AsyncIterator[FakeYooKassa]:
    async with FakeYooKassa() as server:
        yield server
    assert not server.internal_errors, server.internal_errors


@pytest.fixture
async def gateway(fake: FakeYooKassa) -> AsyncIterator[YooKassaGateway]:
    async with YooKassaGateway(fake.shop_id, fake.secret_key, api_url=fake.api_url,
                               timeout=TIMEOUT) as gw:
        yield gw


async def _pay(gateway: YooKassaGateway, kopecks: int = 99_000, key: str = "order-1", **kw):
    return await gateway.create_payment(kopecks, "Tracker «Focus», month", RETURN_URL,
                                        {"order": "1"}, key, **kw)


# --- payments -----------------------------------------------------------------------------------


async def test_create_is_pending_with_a_confirmation_url(fake, gateway):
    payment = await _pay(gateway, 123_456)

    assert payment.status == "pending" and not payment.paid and not payment.succeeded
    assert payment.amount_kopecks == 123_456 and payment.currency == "RUB"
    assert payment.confirmation_url.startswith(fake.base_url + "/checkout/")
    assert payment.metadata == {"order": "1"}
    assert payment.payment_method_id is None
    sent = fake.payment_requests[0]
    assert sent.account == fake.shop_id and sent.idempotence_key == "order-1"
    assert sent.body["amount"] == {"value": "1234.56", "currency": "RUB"}  # a string, not float
    assert sent.body["capture"] is True
    assert sent.body["confirmation"] == {"type": "redirect", "return_url": RETURN_URL}


@pytest.mark.parametrize("kopecks", [1, 10, 99_999, 199_999, 10**10 + 1])
async def test_succeeded_payment_is_read_back_to_the_kopeck(fake, gateway, kopecks):
    payment = await _pay(gateway, kopecks)
    fake.succeed(payment.id)

    got = await gateway.get_payment(payment.id)

    assert got.status == "succeeded" and got.paid and got.succeeded and got.final
    assert got.amount_kopecks == kopecks
    assert got.confirmation_url is None


async def test_the_same_idempotence_key_makes_one_payment(fake, gateway):
    first = await _pay(gateway, key="order-7")
    second = await _pay(gateway, key="order-7")

    assert first == second
    assert len(fake.payments) == 1 and len(fake.payment_requests) == 2
    with pytest.raises(GatewayRejected) as info:  # same key, other parameters
        await _pay(gateway, 5_000, key="order-7")
    assert info.value.status == 400 and "Idempotence" in info.value.description


async def test_canceled_payment_reports_the_reason(fake, gateway):
    payment = await _pay(gateway)
    fake.cancel(payment.id, "expired_on_confirmation")

    got = await gateway.get_payment(payment.id)

    assert got.status == "canceled" and not got.paid and got.final
    assert got.cancellation_reason == "expired_on_confirmation"


# --- failures -----------------------------------------------------------------------------------


async def test_a_hung_api_times_out_without_blocking_the_loop(fake, gateway):
    fake.hang_next()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    started = time.monotonic()
    with pytest.raises(GatewayTimeout):
        await _pay(gateway)
    elapsed = time.monotonic() - started
    task.cancel()

    assert TIMEOUT - 0.05 <= elapsed < TIMEOUT + SLACK
    assert ticks >= 0.5 * TIMEOUT / 0.01  # the loop kept running while the SDK waited
    # The worker thread is not left behind: its own HTTP timeout ends it.
    await eventually(lambda: gateway.in_flight == 0, "the worker thread to end")
    assert (await _pay(gateway, key="order-2")).status == "pending"  # the gateway still works


async def test_the_threads_own_http_timeout_is_a_gateway_timeout_too(fake, gateway):
    # Whichever fires first, the HTTP read timeout in the thread or wait_for in the loop, the
    # caller sees GatewayTimeout (requests wraps a read timeout in a ConnectionError otherwise).
    gateway._request()  # the SDK client is made at the first call; shorten its HTTP timeout
    gateway._sdk._http_timeout = (TIMEOUT / 3, TIMEOUT / 3)
    fake.hang_next()
    started = time.monotonic()
    with pytest.raises(GatewayTimeout):
        await _pay(gateway)
    assert time.monotonic() - started < TIMEOUT * 0.9


async def test_a_timeout_after_processing_is_retried_with_the_same_key(fake, gateway):
    fake.hang_next(processed=True)  # YooKassa created it, but the answer never came
    with pytest.raises(GatewayTimeout):
        await _pay(gateway, key="order-9")

    again = await _pay(gateway, key="order-9")

    assert len(fake.payments) == 1 and again.id in fake.payments


async def test_a_slow_answer_inside_the_deadline_is_fine(fake, gateway):
    fake.hang_next(seconds=TIMEOUT / 3)
    assert (await _pay(gateway)).status == "pending"


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_5xx_and_429_are_unavailable(fake, gateway, status):
    payment = await _pay(gateway)
    fake.fail_next(status)

    with pytest.raises(GatewayUnavailable) as info:
        await gateway.get_payment(payment.id)

    assert not isinstance(info.value, GatewayTimeout) and info.value.status == status


async def test_202_processing_is_asked_again_by_the_sdk_retry(fake, gateway):
    fake.fail_next(202)
    payment = await _pay(gateway)
    assert len(fake.payment_requests) == 2 and list(fake.payments) == [payment.id]


async def test_a_refused_connection_is_unavailable():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with YooKassaGateway("1", "k", api_url=f"http://127.0.0.1:{port}/v3",
                               timeout=TIMEOUT) as gw:
        with pytest.raises(GatewayUnavailable) as info:
            await gw.get_payment("abc")
    assert not isinstance(info.value, GatewayTimeout)


async def test_a_wrong_secret_key_is_rejected(fake):
    async with YooKassaGateway(fake.shop_id, "wrong", api_url=fake.api_url,
                               timeout=TIMEOUT) as gw:
        with pytest.raises(GatewayRejected) as info:
            await _pay(gw)
    assert info.value.status == 401 and info.value.code == "invalid_credentials"
    assert "incorrect" in info.value.description
    assert fake.payments == {}


async def test_a_4xx_carries_the_api_description(fake, gateway):
    with pytest.raises(GatewayRejected) as info:
        await gateway.get_payment("0000-missing")
    assert info.value.status == 404 and info.value.code == "not_found"
    assert "doesn't exist" in info.value.description


async def test_bad_input_fails_before_any_request(fake, gateway):
    with pytest.raises(ValueError):
        await _pay(gateway, 0)
    with pytest.raises(TypeError):
        await _pay(gateway, 10.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await gateway.get_payment("../payouts/x")  # ids from notifications go into URLs
    with pytest.raises(ValueError):
        await _pay(gateway, key="k" * 65)
    assert fake.requests == []


async def test_gateways_are_isolated_from_each_other_and_from_global_config():
    async with FakeYooKassa(shop_id="1", secret_key="a") as one, \
            FakeYooKassa(shop_id="2", secret_key="b") as two:
        gw1 = YooKassaGateway("1", "a", api_url=one.api_url, timeout=TIMEOUT)
        gw2 = YooKassaGateway("2", "b", api_url=two.api_url, timeout=TIMEOUT)
        try:
            results = await asyncio.gather(*(
                gw.create_payment(100, "x", RETURN_URL, None, f"k{i}")
                for i in range(3) for gw in (gw1, gw2)))
        finally:
            gw1.close()
            gw2.close()
        assert len(results) == 6
        assert len(one.payments) == 3 and len(two.payments) == 3
        assert {r.account for r in one.requests} == {"1"}
        assert {r.account for r in two.requests} == {"2"}
    assert Configuration.account_id is None  # never touched the SDK's globals


# --- refunds, saved methods, payouts ------------------------------------------------------------


async def test_refund_in_parts_and_not_beyond(fake, gateway):
    payment = await _pay(gateway, 100_000)
    fake.succeed(payment.id)

    first = await gateway.refund(payment.id, 40_001, "refund-1")
    again = await gateway.refund(payment.id, 40_001, "refund-1")
    rest = await gateway.refund(payment.id, 59_999, "refund-2")

    assert first == again and first.status == "succeeded" and first.amount_kopecks == 40_001
    assert first.payment_id == payment.id
    assert await gateway.get_refund(rest.id) == rest
    assert fake.payments[payment.id]["refunded_amount"]["value"] == "1000.00"
    with pytest.raises(GatewayRejected) as info:
        await gateway.refund(payment.id, 1, "refund-3")
    assert info.value.parameter == "amount"


async def test_a_pending_refund_succeeds_later(fake, gateway):
    fake.refund_status = "pending"
    payment = await _pay(gateway)
    fake.succeed(payment.id)
    refund = await gateway.refund(payment.id, 99_000, "refund-1")
    assert refund.status == "pending"

    fake.succeed_refund(refund.id)

    assert (await gateway.get_refund(refund.id)).status == "succeeded"


async def test_a_refund_of_an_unpaid_payment_is_rejected(fake, gateway):
    payment = await _pay(gateway)
    with pytest.raises(GatewayRejected):
        await gateway.refund(payment.id, 1_000, "refund-1")


async def test_a_saved_method_is_charged_for_renewal(fake, gateway):
    payment = await _pay(gateway, save_payment_method=True)
    fake.succeed(payment.id)
    method_id = (await gateway.get_payment(payment.id)).payment_method_id
    assert method_id in fake.saved_methods

    renewal = await gateway.charge_saved_method(method_id, 99_000, "Renewal", {"sub": "5"},
                                                "renew-5-2")

    assert renewal.succeeded and renewal.amount_kopecks == 99_000
    assert renewal.confirmation_url is None and renewal.metadata == {"sub": "5"}
    sent = fake.payment_requests[-1].body
    assert sent["payment_method_id"] == method_id and "confirmation" not in sent


async def test_a_declined_saved_method_cancels_the_charge(fake, gateway):
    payment = await _pay(gateway, save_payment_method=True)
    fake.succeed(payment.id)
    method_id = (await gateway.get_payment(payment.id)).payment_method_id
    fake.decline_method(method_id, "insufficient_funds")

    renewal = await gateway.charge_saved_method(method_id, 99_000, "Renewal", None, "renew-1")

    assert renewal.status == "canceled" and not renewal.paid
    assert renewal.cancellation_reason == "insufficient_funds"


async def test_a_method_not_saved_has_no_id(fake, gateway):
    payment = await _pay(gateway)
    fake.succeed(payment.id)
    assert (await gateway.get_payment(payment.id)).payment_method_id is None


async def test_payout(fake, gateway):
    given = fake.payout_cards.issue("5555 5555 5555 4477")  # the widget's synonym for the card
    payout = await gateway.create_payout(150_050, {"payout_token": given["payout_token"]}, "Partner payout #3",
                                         "payout-3", {"payout": "3"})
    assert payout.status == "pending" and payout.amount_kopecks == 150_050
    assert payout.id.startswith("po-") and payout.metadata == {"payout": "3"}
    assert fake.payouts[payout.id]["payout_destination"]["card"]["last4"] == "4477"
    assert "number" not in fake.payouts[payout.id]["payout_destination"]["card"]

    fake.succeed_payout(payout.id)
    assert (await gateway.get_payout(payout.id)).status == "succeeded"

    other = await gateway.create_payout(
        100, {"payout_destination_data": {"type": "yoo_money", "account_number": "41001"}}, "x", "payout-4")
    fake.cancel_payout(other.id, "general_decline")
    got = await gateway.get_payout(other.id)
    assert got.status == "canceled" and got.cancellation_reason == "general_decline"


# --- notifications ------------------------------------------------------------------------------


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[dict]]]:
    received: list[dict] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/yookassa", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/yookassa", received
    await runner.cleanup()


async def test_notify_delivers_a_yookassa_shaped_notification(fake, gateway, receiver):
    url, received = receiver
    payment = await _pay(gateway, 55_500)
    fake.succeed(payment.id)

    assert await fake.notify(url, "payment.succeeded", payment.id) == 200

    (body,) = received
    assert body["type"] == "notification" and body["event"] == "payment.succeeded"
    assert body["object"]["id"] == payment.id and body["object"]["status"] == "succeeded"
    assert body["object"]["amount"] == {"value": "555.00", "currency": "RUB"}
    assert parse_notification(body) == ("payment.succeeded", payment.id)
    assert fake.notifications[0].status == 200


async def test_a_forged_notification_is_told_apart_by_refetching(fake, gateway, receiver):
    url, received = receiver
    payment = await _pay(gateway)  # never paid
    forged = {"id": payment.id, "status": "succeeded", "paid": True,
              "amount": {"value": "1.00", "currency": "RUB"}}

    await fake.notify(url, "payment.succeeded", obj=forged)

    event, object_id = parse_notification(received[0])
    assert (await gateway.get_payment(object_id)).status == "pending"


async def test_refund_succeeded_notification(fake, gateway, receiver):
    url, received = receiver
    payment = await _pay(gateway)
    fake.succeed(payment.id)
    refund = await gateway.refund(payment.id, 99_000, "r-1")

    await fake.notify(url, "refund.succeeded", refund.id)

    assert parse_notification(received[0]) == ("refund.succeeded", refund.id)


async def test_notify_to_nobody_returns_none(fake, gateway):
    payment = await _pay(gateway)
    assert await fake.notify("http://127.0.0.1:9/none", "payment.canceled", payment.id,
                             timeout=1) is None


@pytest.mark.parametrize("body", [
    None, [], "x",
    {"event": "payment.succeeded", "object": {"id": "a"}},
    {"type": "notification", "event": "payment.stolen", "object": {"id": "a"}},
    {"type": "notification", "event": "payment.succeeded"},
    {"type": "notification", "event": "payment.succeeded", "object": {"id": 5}},
    {"type": "notification", "event": "payment.succeeded", "object": {"id": "../../x"}},
])
def test_parse_notification_rejects_bad_shapes(body):
    with pytest.raises(InvalidNotification):
        parse_notification(body)


# --- receipts -----------------------------------------------------------------------------------


def test_build_receipt_shape():
    receipt = build_receipt("Месяц трекера «Фокус»", 99_000, "client@example.com",
                            tax_system_code=2, vat_code=1)
    assert receipt == {
        "customer": {"email": "client@example.com"},
        "tax_system_code": 2,
        "items": [{
            "description": "Месяц трекера «Фокус»", "quantity": "1.00",
            "amount": {"value": "990.00", "currency": "RUB"}, "vat_code": 1,
            "payment_subject": "service", "payment_mode": "full_payment",
        }],
    }
    assert build_receipt("x", 100, "+7 (900) 123-45-67")["customer"] == {"phone": "79001234567"}
    telegram = build_receipt("x", 100)
    assert "customer" not in telegram and "tax_system_code" not in telegram
    assert json.loads(provider_data(telegram)) == {"receipt": telegram}
    assert len(build_receipt("y" * 300, 100)["items"][0]["description"]) == 128


@pytest.mark.parametrize("kwargs", [
    {"vat_code": 0}, {"vat_code": 13}, {"tax_system_code": 7}, {"email_or_phone": "a@b"},
    {"email_or_phone": "12"}, {"amount_kopecks": 0},
])
def test_build_receipt_rejects(kwargs):
    args = {"description": "x", "amount_kopecks": 100} | kwargs
    with pytest.raises(ValueError):
        build_receipt(**args)


async def test_a_receipt_is_accepted_by_a_54fz_shop(fake, gateway):
    fake.require_receipt = True
    with pytest.raises(GatewayRejected):
        await _pay(gateway, key="no-receipt")
    receipt = build_receipt("Month", 99_000, "client@example.com")
    payment = await _pay(gateway, 99_000, receipt=receipt)
    assert payment.status == "pending"
    with pytest.raises(GatewayRejected) as info:  # items must add up to the amount
        await _pay(gateway, 98_000, key="order-x", receipt=receipt)
    assert info.value.parameter == "receipt.items"


# --- money conversion ---------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=10**12))
def test_kopecks_round_trip_exactly(kopecks):
    value = kopecks_to_value(kopecks)
    assert re.fullmatch(r"\d+\.\d\d", value)
    assert Decimal(value) * 100 == kopecks
    assert value_to_kopecks(value) == kopecks
    assert value_to_kopecks(Decimal(value)) == kopecks


def test_value_to_kopecks_accepts_short_forms():
    assert value_to_kopecks("10") == 1000
    assert value_to_kopecks("10.5") == 1050
    assert value_to_kopecks("0.01") == 1


@pytest.mark.parametrize("bad", ["1.001", "-1.00", "NaN", "Infinity", "abc", ""])
def test_value_to_kopecks_rejects(bad):
    with pytest.raises(ValueError):
        value_to_kopecks(bad)


def test_no_floats_and_no_negatives():
    with pytest.raises(TypeError):
        value_to_kopecks(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        kopecks_to_value(1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        kopecks_to_value(True)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        kopecks_to_value(-1)
