"""The daily Stars reconciliation (issue 19): a Stars subscription renewal whose successful_payment
never reached the platform, and a refund whose refunded_payment was lost, are found in the tracker
bot's getStarTransactions and recorded once each; a second run records nothing."""

from __future__ import annotations

import pytest

from billing.access import access_for
from billing.plans import set_price
from models import Payment, PlanKind, Refund, StarsCursor, Subscription, SubscriptionStatus
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


def seed_foreign_history(tg, bot: str, count: int) -> None:
    """`count` Stars payments the bot took before it joined the platform (payloads not ours),
    older than anything the test does next."""
    fake = tg.bot(bot)
    someone = tg.user(2799, "Before", language_code="en")
    start = tg.now() - 30 * 86400
    for n in range(count):
        fake.star_charges[f"tgcharge-before-{n}"] = {
            "user_id": someone.id, "user": someone.as_api(), "amount": 50, "date": start + n,
            "invoice_payload": f"another-shop-{n}", "subscription_period": None,
            "refunded": False, "refunded_at": None}


def offsets(tg, bot: str, since: int) -> list[int]:
    """The offsets of the bot's getStarTransactions calls after the first `since` of them, each
    checked to ask for Telegram's most (100)."""
    calls = tg.calls_to("getStarTransactions", bot=bot)[since:]
    assert all(c.params.get("limit") == 100 for c in calls)
    return [c.params.get("offset", 0) for c in calls]


async def test_each_run_reads_only_what_is_new_and_finds_what_was_missed_after_the_older_pages(
        tg, database_url, tmp_path):
    settings = make_settings(tg, database_url, tmp_path, payments={"stars_enabled": True, "stars_rub_rate": "1.5"})
    kate = tg.user(2711, "Kate", language_code="en")
    lena = tg.user(2712, "Lena", language_code="en")
    async with running_platform(settings):
        tracker = await new_tracker(tg, 29, "history_bot")
        await set_price(tracker.id, PlanKind.MONTH, 200000)
        await set_price(tracker.id, PlanKind.DAY, 15000)
        seed_foreign_history(tg, "history_bot", 250)
        first = await subscribe_with_stars(kate, "history_bot")
        await choose(lena, "history_bot", "Day — 150 RUB", "⭐ 100 Stars")
        invoice = await lena.wait_for_message("history_bot", lambda m: m.invoice is not None)
        day = await lena.pay(invoice)
        await lena.wait_for_text("history_bot", "is active until")

        # The first run reads the whole history, three pages: nothing was missed so far.
        report = await job.reconcile_stars()
        assert (report.read, report.charges, report.refunds, report.foreign) == (252, 0, 0, 250)
        assert offsets(tg, "history_bot", 0) == [0, 100, 200]
        calls = len(tg.calls_to("getStarTransactions", bot="history_bot"))

        # Then a renewal and a refund whose updates never reached the platform.
        missed = await kate.renew_star_subscription(first, deliver=False)
        await lena.refund_outside(day, deliver=False)

        report = await job.reconcile_stars()
        # One call, from the last transaction read before (re-checked) on: the older pages are not read again.
        assert offsets(tg, "history_bot", calls) == [251]
        assert (report.read, report.charges, report.refunds, report.foreign, report.rescans) == (3, 1, 1, 0, 0)
        assert (await Payment.get(external_id=missed.charge_id)).amount_minor == 1334
        refunded = await Payment.get(external_id=day.charge_id)
        assert refunded.refunded and await Refund.filter(payment_id=refunded.id).count() == 1
        await kate.wait_for_text("history_bot", "renewed until")
        await lena.wait_for_text("history_bot", "was refunded")
        calls = len(tg.calls_to("getStarTransactions", bot="history_bot"))

        report = await job.reconcile_stars()  # nothing new: one transaction read, the one it checks
        assert offsets(tg, "history_bot", calls) == [253]
        assert (report.read, report.charges, report.refunds) == (1, 0, 0)
        calls = len(tg.calls_to("getStarTransactions", bot="history_bot"))

        # A history that no longer lines up with the cursor is read again once, recording nothing twice.
        await StarsCursor.filter(tracker_id=tracker.id).update(last_key="in:not-what-telegram-says:0")
        report = await job.reconcile_stars()
        assert offsets(tg, "history_bot", calls) == [253, 0, 100, 200]
        assert (report.rescans, report.charges, report.refunds) == (1, 0, 0)
        assert await Payment.filter(tracker_id=tracker.id).count() == 3
        assert await Refund.filter(payment_id=refunded.id).count() == 1
        assert (await StarsCursor.get(tracker_id=tracker.id)).read == 254
