"""The admin's fraud holds screen over the fake Bot API: a sock-puppet chain (A→B→C→D, one card,
built within minutes) is listed with its reasons and held money; the admin releases one partner's
shares (they become available) and forfeits another's (they go to the platform); a second tap
finds nothing left; someone who is not an admin never sees the screen."""

from __future__ import annotations

from datetime import timedelta

import pytest

from billing.ledger import platform_balance, user_balance
from billing.settlement import settle_due_periods
from i18n.format import rub
from models import FraudFlag
from tests.billing.helpers import make_tracker
from tests.billing.test_fraud_holds import CARD, T0, A, B, C, D, build_chain, pay
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform
from tests.waiting import stays

PLATFORM = PLATFORM_USERNAME
ADMIN_ID = 920


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


async def window(person, text: str):
    return await person.wait_for_message(PLATFORM, lambda m: text in m.text and bool(m.buttons))


async def test_the_admin_releases_one_partners_held_shares_and_forfeits_anothers(tg, database_url, tmp_path):
    admin = tg.user(ADMIN_ID, "Ada", language_code="en")
    stranger = tg.user(921, "Eve", language_code="en")
    settings = make_settings(tg, database_url, tmp_path, admin_ids=[ADMIN_ID])
    async with running_platform(settings):
        tracker = await make_tracker(author_id=1, bot_id=4141)
        await build_chain(tracker, minutes_apart=1)
        for member in (A, B, C, D):
            await pay(tracker, member, f"card-{member}", CARD)
        await settle_due_periods(T0 + timedelta(days=35))
        held = {uid: (await user_balance(uid)).held for uid in (A, B, C)}
        assert held == {A: 18_000, B: 15_000, C: 9_000}
        platform_before = (await platform_balance()).available

        await admin.send(PLATFORM, "/admin")
        await admin.click(await window(admin, "administration"), "🚩 Fraud holds")
        listing = await window(admin, "signs of self-referral")
        assert rub(42_000, 'en') in listing.text
        await admin.click(listing, f"u{B}: {rub(15_000, 'en')} held")
        card = await window(admin, "Reasons:")
        assert "paid with the same card" in card.text and "built within minutes" in card.text
        await admin.click(card, "✅ Release")
        listing = await window(admin, f"Released {rub(15_000, 'en')}")  # the list again, with the notice
        assert f"u{B}:" not in str(listing.buttons)  # released: the flags are cleared
        await admin.click(listing, f"u{C}: {rub(9_000, 'en')} held")
        await admin.click(await window(admin, "Reasons:"), "⛔ Forfeit")
        listing = await window(admin, f"Forfeited {rub(9_000, 'en')} to the platform")

        b, c, a = await user_balance(B), await user_balance(C), await user_balance(A)
        assert (b.held, b.available) == (0, 15_000)
        assert (c.held, c.available) == (0, 0)
        assert (a.held, a.available) == (18_000, 0)
        assert (await platform_balance()).available == platform_before + 9_000
        assert await FraudFlag.filter(user_id=C, cleared_at=None).exists()

        # a forfeited partner stays listed, with nothing held and no buttons to decide again
        await admin.click(listing, f"u{C}: {rub(0, 'en')} held")
        card = await window(admin, "Reasons:")
        assert "Forfeit" not in str(card.buttons) and "Release" not in str(card.buttons)

        # someone who is not an admin gets no screen
        await stranger.send(PLATFORM, "/admin")
        await stays(lambda: not any("self-referral" in m.text or "Fraud holds" in str(m.buttons)
                                    for m in stranger.messages(PLATFORM)),
                    "no fraud holds screen for a stranger", for_seconds=1.0)
