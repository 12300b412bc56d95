"""The daily Stars reconciliation (issue 19): a Stars subscription renewal whose successful_payment
never reached the platform, and a refund whose refunded_payment was lost, are found in the tracker
bot's getStarTransactions and recorded once each; a second run records nothing."""

from __future__ import annotations

import pytest

from billing.access import access_for
from billing.plans import set_price
from models import Payment, PlanKind, Refund, Subscription, SubscriptionStatus
from scheduler import stars_reconcile as job
from services import stars_reconcile
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform
from tests.e2e.test_payments import choose, new_tracker
from tests.e2e.test_stars_cancel import subscribe_with_stars


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


async def test_a_missed_renewal_and_a_missed_refund_are_recorded_once(tg, database_url, tmp_path, monkeypatch):
    monkeypatch.setattr(stars_reconcile, "PAGE", 2)  # several pages even for a short history
    settings = make_settings(tg, database_url, tmp_path, payments={"stars_enabled": True, "stars_rub_rate": "1.5"})
    kate = tg.user(2701, "Kate", language_code="en")
    lena = tg.user(2702, "Lena", language_code="en")
    async with running_platform(settings):
        tracker = await new_tracker(tg, 28, "ledger_bot")
        await set_price(tracker.id, PlanKind.MONTH, 200000)
        await set_price(tracker.id, PlanKind.DAY, 15000)
        first = await subscribe_with_stars(kate, "ledger_bot")
        await choose(lena, "ledger_bot", "Day — 150 RUB", "⭐ 100 Stars")
        invoice = await lena.wait_for_message("ledger_bot", lambda m: m.invoice is not None)
        day = await lena.pay(invoice)
        await lena.wait_for_text("ledger_bot", "is active until")

        missed = await kate.renew_star_subscription(first, deliver=False)
        await lena.refund_outside(day, deliver=False)
        assert not await Payment.filter(external_id=missed.charge_id).exists()
        assert (await access_for(tracker, lena.id)).subscription is not None

        report = await job.reconcile_stars()
        assert (report.charges, report.refunds, report.foreign) == (1, 1, 0)
        renewed = await Payment.get(external_id=missed.charge_id)
        assert renewed.amount_minor == 1334 and renewed.user_id == kate.id
        subs = await Subscription.filter(user_id=kate.id).order_by("starts_at")
        assert len(subs) == 2 and subs[1].starts_at == subs[0].ends_at
        await kate.wait_for_text("ledger_bot", "renewed until")

        refunded = await Payment.get(external_id=day.charge_id)
        assert refunded.refunded
        assert (await Subscription.get(payment_id=refunded.id)).status == SubscriptionStatus.REFUNDED
        assert (await access_for(tracker, lena.id)).subscription is None
        await lena.wait_for_text("ledger_bot", "was refunded")

        again = await job.reconcile_stars()
        assert (again.charges, again.refunds) == (0, 0)
        assert await Payment.filter(tracker_id=tracker.id).count() == 3
        assert await Subscription.filter(tracker_id=tracker.id).count() == 3
        assert await Refund.filter(payment_id=refunded.id).count() == 1
