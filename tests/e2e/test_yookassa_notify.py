"""`/yookassa/notify` in the field (issue 19): only YooKassa's networks get in (behind a proxy,
by the address the proxy writes), an id YooKassa does not know is answered 200 and logged once,
and a flood of notifications cannot hold up a client's payment link (they re-fetch through a
gateway and threads of their own)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from billing.plans import set_price
from models import Payment, PlanKind
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform
from tests.e2e.test_payments import YOOKASSA_TIMEOUT, choose, new_tracker
from tests.fakes.yookassa_server import FakeYooKassa
from tests.waiting import eventually

YOOKASSA_ADDRESS = "185.71.76.10"  # inside YooKassa's published 185.71.76.0/27


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


def settings(tg, database_url, tmp_path, yk, **payments):
    return make_settings(tg, database_url, tmp_path, webhook_host="127.0.0.1", webhook_port=0, payments={
        "yookassa_shop_id": yk.shop_id, "yookassa_secret_key": yk.secret_key, "yookassa_api_url": yk.api_url,
        "yookassa_timeout": YOOKASSA_TIMEOUT, **payments,
    })


async def paid_link(tg, client, n: int, bot: str) -> str:
    tracker = await new_tracker(tg, n, bot)
    await set_price(tracker.id, PlanKind.MONTH, 200000)
    await choose(client, bot, "Month — 2,000 RUB", "🔗 YooKassa link — 2,000 RUB")
    offer = await client.wait_for_text(bot, "YooKassa page")
    return offer.buttons[0]["url"].rsplit("/", 1)[1]


async def test_a_notification_from_an_unlisted_address_is_refused(tg, database_url, tmp_path):
    client = tg.user(2201, "Ivan", language_code="en")
    async with FakeYooKassa() as yk:
        # the defaults: YooKassa's networks only, no proxy header; the test's 127.0.0.1 is outside
        async with running_platform(settings(tg, database_url, tmp_path, yk)) as runtime:
            url = f"http://127.0.0.1:{runtime.http.port}/yookassa/notify"
            payment_id = await paid_link(tg, client, 21, "src_bot")
            yk.succeed(payment_id)
            lookups = sum(r.method == "GET" for r in yk.requests)
            assert await yk.notify(url, "payment.succeeded", payment_id) == 403
            # a client cannot claim YooKassa's address while no proxy header is trusted
            assert await yk.notify(url, "payment.succeeded", payment_id,
                                   headers={"X-Forwarded-For": YOOKASSA_ADDRESS}) == 403
            assert sum(r.method == "GET" for r in yk.requests) == lookups  # YooKassa was not even asked
            assert await Payment.all().count() == 0


async def test_behind_a_proxy_the_address_it_wrote_is_checked(tg, database_url, tmp_path):
    client = tg.user(2202, "Olga", language_code="en")
    async with FakeYooKassa() as yk:
        async with running_platform(settings(tg, database_url, tmp_path, yk,
                                             yookassa_trusted_proxy_header="X-Forwarded-For")) as runtime:
            url = f"http://127.0.0.1:{runtime.http.port}/yookassa/notify"
            payment_id = await paid_link(tg, client, 22, "proxy_bot")
            yk.succeed(payment_id)
            # the client wrote YooKassa's address; the proxy appended the real one: refused
            forged = {"X-Forwarded-For": f"{YOOKASSA_ADDRESS}, 198.51.100.7"}
            assert await yk.notify(url, "payment.succeeded", payment_id, headers=forged) == 403
            assert await yk.notify(url, "payment.succeeded", payment_id) == 403  # no header: no address
            assert await Payment.all().count() == 0
            real = {"X-Forwarded-For": f"198.51.100.7, {YOOKASSA_ADDRESS}"}
            assert await yk.notify(url, "payment.succeeded", payment_id, headers=real) == 200
            await client.wait_for_text("proxy_bot", "is active until")
            assert await Payment.all().count() == 1


async def test_an_id_yookassa_does_not_know_answers_200_and_is_logged_once(tg, database_url, tmp_path, caplog):
    async with FakeYooKassa() as yk:
        async with running_platform(settings(tg, database_url, tmp_path, yk,
                                             yookassa_notify_sources="127.0.0.1")) as runtime:
            url = f"http://127.0.0.1:{runtime.http.port}/yookassa/notify"
            unknown = {"id": "2f1e0000-000f-5000-8000-1a2b3c4d5e6f", "status": "succeeded", "paid": True,
                       "amount": {"value": "2000.00", "currency": "RUB"}}
            with caplog.at_level(logging.WARNING, logger="services.payments"):
                for _ in range(3):  # YooKassa, or whoever, sends it again and again
                    assert await yk.notify(url, "payment.succeeded", obj=unknown) == 200
                assert await yk.notify(url, "refund.succeeded", obj={"id": "rf-unknown", "status": "succeeded"}) == 200
            lines = [r.getMessage() for r in caplog.records if "does not know" in r.getMessage()]
            assert len(lines) == 2 and unknown["id"] in lines[0] and "rf-unknown" in lines[1]
            assert yk.internal_errors == []


async def test_400_bogus_notifications_do_not_delay_a_real_payment_link(tg, database_url, tmp_path):
    client = tg.user(2204, "Petr", language_code="en")
    async with FakeYooKassa() as yk:
        async with running_platform(settings(tg, database_url, tmp_path, yk,
                                             yookassa_notify_sources="127.0.0.1")) as runtime:
            url = f"http://127.0.0.1:{runtime.http.port}/yookassa/notify"
            tracker = await new_tracker(tg, 24, "busy_bot")
            await set_price(tracker.id, PlanKind.MONTH, 200000)
            yk.slow_lookups(0.9)  # every re-fetch takes most of the 1 s deadline
            gate = asyncio.Semaphore(40)

            async def bogus(n: int) -> int | None:
                async with gate:
                    obj = {"id": f"bogus-{n:04d}", "status": "succeeded", "paid": True}
                    return await yk.notify(url, "payment.succeeded", obj=obj, timeout=30)

            flood = asyncio.gather(*(bogus(n) for n in range(400)))
            try:
                await eventually(lambda: sum(r.method == "GET" for r in yk.requests) >= 8,
                                 "the flood keeps the notification threads busy")
                await choose(client, "busy_bot", "Month — 2,000 RUB", "🔗 YooKassa link — 2,000 RUB")
                # the link's own deadline is the gateway's 1 s: behind the flood it would time out
                answer = await client.wait_for_message(
                    "busy_bot", lambda m: "YooKassa page" in m.plain or "not answering" in m.plain)
                assert "YooKassa page" in answer.plain
                assert not flood.done(), "the flood ended before the link was asked for: it proved nothing"
            finally:
                statuses = await flood
            assert set(statuses) <= {200, 500}  # unknown to YooKassa, or its re-fetch timed out
