"""A Stars refund made outside the platform arrives as Telegram's `refunded_payment` service
message in the tracker bot: it is recorded like the admin's refund (issue 19), once."""

from __future__ import annotations

import pytest

from billing.access import access_for
from billing.plans import set_price
from models import AccountingPeriod, Payment, PlanKind, Refund, Subscription, SubscriptionStatus
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform
from tests.e2e.test_payments import choose, new_tracker


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


async def test_a_stars_refund_made_outside_the_platform_ends_access_once(tg, database_url, tmp_path):
    settings = make_settings(tg, database_url, tmp_path, payments={"stars_enabled": True, "stars_rub_rate": "1.5"})
    client = tg.user(2301, "Lena", language_code="en")
    async with running_platform(settings):
        tracker = await new_tracker(tg, 23, "outside_bot")
        await set_price(tracker.id, PlanKind.DAY, 15000)
        await choose(client, "outside_bot", "Day — 150 RUB", "⭐ 100 Stars")
        invoice = await client.wait_for_message("outside_bot", lambda m: m.invoice is not None)
        paid = await client.pay(invoice)
        await client.wait_for_text("outside_bot", "is active until")
        assert (await access_for(tracker, client.id)).subscription is not None

        await client.refund_outside(paid)
        await client.wait_for_text("outside_bot", "was refunded")
        payment = await Payment.get(external_id=paid.charge_id)
        subscription = await Subscription.get(payment_id=payment.id)
        assert payment.refunded and subscription.status == SubscriptionStatus.REFUNDED
        assert not await AccountingPeriod.filter(subscription_id=subscription.id, status="open").exists()
        assert (await access_for(tracker, client.id)).subscription is None

        await client.refund_outside(paid)  # delivered again: nothing more
        await client.expect_no_message("outside_bot", timeout=1.0)
        assert await Refund.filter(payment_id=payment.id).count() == 1
