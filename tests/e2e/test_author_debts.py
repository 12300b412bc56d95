"""The admin sees what an author owes for Stars they collected and records the author's repayment.

A client pays a tracker in Stars (the money lands in the author's bot); after settlement the
author's account is below zero by everything but their share. The admin's "Authors' debts" screen
lists them; a repayment that is not a number, or more than the debt, is refused with a reason;
the exact debt clears it, and the ledger keeps both the debit and the repayment.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from billing.ledger import user_balance
from billing.payments import collector_for, record_payment
from billing.settlement import settle_due_periods
from i18n.format import rub
from models import AuthorRepayment, PaymentProvider, PlanKind
from tests.billing.helpers import join, make_tracker
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform

PLATFORM = PLATFORM_USERNAME
ADMIN_ID = 910


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


async def window(person, text: str):
    return await person.wait_for_message(PLATFORM, lambda m: text in m.plain and bool(m.buttons))


async def test_the_admin_records_an_authors_repayment_of_stars_money(tg, database_url, tmp_path):
    admin = tg.user(ADMIN_ID, "Ada", language_code="en")
    settings = make_settings(tg, database_url, tmp_path, admin_ids=[ADMIN_ID])
    async with running_platform(settings):
        tracker = await make_tracker(author_id=31, bot_id=3131)
        await join(tracker, 32)
        paid_at = datetime(2025, 3, 1, 9, tzinfo=UTC)
        await record_payment(tracker_id=tracker.id, user_id=32, provider=PaymentProvider.STARS, external_id="st-1",
                             plan_kind=PlanKind.MONTH, price_kopecks=150_000, currency="XTR", amount_minor=1000,
                             paid_at=paid_at, collector=await collector_for(PaymentProvider.STARS, tracker.id))
        await settle_due_periods(now=paid_at + timedelta(days=40))
        owed = (await user_balance(31)).owed
        assert owed > 0

        await admin.send(PLATFORM, "/admin")
        menu = await window(admin, "administration")
        await admin.click(menu, "🧾 Authors' debts")
        debts = await window(admin, "owe the platform")
        await admin.click(debts, f"u31: {rub(owed, 'en')}")
        await admin.wait_for_text(PLATFORM, "Send the amount")
        await admin.send(PLATFORM, "1e9")
        await admin.wait_for_text(PLATFORM, "does not look like an amount")
        await admin.send(PLATFORM, "NaN")
        await admin.wait_for_text(PLATFORM, "does not look like an amount")
        await admin.send(PLATFORM, "999999")
        await admin.wait_for_text(PLATFORM, f"the author owes {rub(owed, 'en')}")
        await admin.send(PLATFORM, f"{owed // 100}.{owed % 100:02d}")
        await admin.wait_for_text(PLATFORM, "No author owes the platform anything")

        after = await user_balance(31)
        assert after.owed == 0 and after.repaid == owed and after.collected == -150_000
        row = await AuthorRepayment.get(author_id=31)
        assert (row.amount_kopecks, row.recorded_by) == (owed, ADMIN_ID)
