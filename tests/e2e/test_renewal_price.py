"""A raised price in the tracker bot (issue 19): the client is told the old and the new amount
with a button, nothing is charged; the button agrees, and the next renewal run charges the new
price once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from billing.access import access_for
from billing.plans import set_price
from models import AutoRenewal, Payment, PlanKind, Subscription
from scheduler import renewals
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, running_platform
from tests.e2e.test_payments import choose, new_tracker, yookassa_settings
from tests.fakes.yookassa_server import FakeYooKassa


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


async def test_a_raised_price_is_charged_only_after_the_client_agrees(tg, database_url, tmp_path):
    client = tg.user(2901, "Ivan", language_code="en")
    async with FakeYooKassa() as yk:
        async with running_platform(yookassa_settings(tg, database_url, tmp_path, yk)) as runtime:
            notify_url = f"http://127.0.0.1:{runtime.http.port}/yookassa/notify"
            tracker = await new_tracker(tg, 29, "pricey_bot")
            await set_price(tracker.id, PlanKind.MONTH, 200000)
            await choose(client, "pricey_bot", "Month — 2,000 RUB", "🔁 YooKassa with auto-renewal — 2,000 RUB")
            offer = await client.wait_for_text("pricey_bot", "with auto-renewal")
            payment_id = offer.buttons[0]["url"].rsplit("/", 1)[1]
            yk.succeed(payment_id)
            assert await yk.notify(notify_url, "payment.succeeded", payment_id) == 200
            await client.wait_for_text("pricey_bot", "is active until")
            sub1 = (await access_for(tracker, client.id)).subscription
            assert (await AutoRenewal.get(user_id=client.id)).agreed_price_kopecks == 200000

            await set_price(tracker.id, PlanKind.MONTH, 250000)
            soon = (sub1.ends_at - timedelta(hours=12)).isoformat()
            charges = len(yk.payment_requests)
            await renewals.run_renewals(soon)
            await renewals.run_renewals(soon)
            asked = await client.wait_for_text("pricey_bot", "changed the price")
            assert "2,000" in asked.text and "2,500" in asked.text
            await client.expect_no_message("pricey_bot", timeout=0.5)  # asked once, nothing else
            assert len(yk.payment_requests) == charges and await Payment.all().count() == 1

            await client.click(asked, next(b["text"] for b in asked.buttons if "Renew at" in b["text"]))
            await client.wait_for_text("pricey_bot", "renews at 2,500")
            await renewals.run_renewals(soon)
            await client.wait_for_text("pricey_bot", "renewed until")
            renewed = await Payment.filter(user_id=client.id).order_by("-id").first()
            assert renewed.amount_kopecks == 250000
            assert await Subscription.filter(user_id=client.id).count() == 2
