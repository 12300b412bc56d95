"""The fake's getStarTransactions pages as the Bot API documents it: the bot's transactions in
chronological order (a refund where its date puts it), `offset` transactions skipped from the
oldest, at most `limit` (1 to 100, 100 when not given) returned; anything else refused."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest

from tests.e2e.harness import tracker_token

TOKEN = tracker_token(88)


@pytest.fixture
async def bot(fake_telegram, fake_telegram_session):
    fake = fake_telegram.add_bot(TOKEN, "paged_bot", "Paged")
    buyer = fake_telegram.user(8801, "Buyer")
    start = fake_telegram.now() - 10_000
    for n in range(150):
        fake.star_charges[f"ch-{n}"] = {
            "user_id": buyer.id, "user": buyer.as_api(), "amount": 10 + n, "date": start + 10 * n,
            "invoice_payload": f"p{n}", "subscription_period": None, "refunded": False, "refunded_at": None}
    # The first charge refunded later than the fifth payment and before the sixth.
    fake.star_charges["ch-0"].update(refunded=True, refunded_at=start + 45)
    return Bot(TOKEN, session=fake_telegram_session)


async def test_pages_are_chronological_and_offset_counts_from_the_oldest(bot):
    first = (await bot.get_star_transactions(offset=0, limit=100)).transactions
    rest = (await bot.get_star_transactions(offset=100, limit=100)).transactions
    assert len(first) == 100 and len(rest) == 51  # 150 payments and one refund
    history = first + rest
    assert [t.date for t in history] == sorted(t.date for t in history)
    assert [(t.id, t.source is not None) for t in history[4:7]] == [("ch-4", True), ("ch-0", False), ("ch-5", True)]
    assert (await bot.get_star_transactions()).transactions == first  # limit 100 when not given
    assert (await bot.get_star_transactions(offset=149, limit=5)).transactions == history[149:]
    assert (await bot.get_star_transactions(offset=151)).transactions == []


@pytest.mark.parametrize("arguments", [{"limit": 101}, {"limit": 0}, {"offset": -1}])
async def test_a_limit_over_100_or_a_negative_offset_is_refused(bot, arguments):
    with pytest.raises(TelegramBadRequest):
        await bot.get_star_transactions(**arguments)
