"""The author's own AI use, charged to their account (billing.author_usage), is a line of their
"💸 Balance and payouts" window in the platform bot (fake Telegram over HTTP): absent before any
charge, then the amount charged, in the reader's language, and the available balance less it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from billing import author_usage
from billing.policy import clear_cache
from billing.rates import record_usage
from models import EntryKind, LedgerEntry
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, running_platform
from tests.e2e.test_ai_tracker import MODEL, REPLY, add_tracker, ai_settings
from tests.e2e.test_payouts import rub
from tests.fakes.openai_server import FakeOpenAIServer

LINE = "Списано за ваше собственное использование ИИ в трекерах"


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


@pytest.fixture
async def llm_fake():
    clear_cache()
    async with FakeOpenAIServer(reply=REPLY, chunks=4) as fake:
        yield fake
    clear_cache()


async def open_wallet(author):
    await author.send(PLATFORM_USERNAME, "/start")
    menu = await author.wait_for_message(PLATFORM_USERNAME, lambda m: ["💸 Баланс и выплаты"] in m.keyboard)
    await author.click(menu, "💸 Баланс и выплаты")
    return await author.wait_for_text(PLATFORM_USERNAME, "Доступно к выплате")


async def test_the_authors_own_use_charged_is_a_line_of_the_balance(tg, llm_fake, database_url, tmp_path):
    author = tg.user(1001, "Anna", language_code="ru")
    async with running_platform(ai_settings(tg, database_url, tmp_path, llm_fake)) as runtime:
        tracker = await add_tracker(runtime, tg, 25, "own_use_bot")
        wallet = await open_wallet(author)
        assert LINE not in wallet.plain  # nothing charged yet: no line

        # Two days ago (a closed day) the author talked to their own tracker: 30 mJ, 5 of them free.
        day = (datetime.now(UTC) - timedelta(days=2)).replace(hour=12, minute=0, second=0, microsecond=0)
        for hour in (0, 3):
            await record_usage(tracker.id, author.id, MODEL, 5000, 5000, at=day + timedelta(hours=hour),
                               charged_to="author")
        await author_usage.charge_closed_days()  # or the platform's scheduler did it first: charged once either way
        entries = await LedgerEntry.filter(kind=EntryKind.USAGE, account__user_id=author.id).values_list(
            "amount_kopecks", flat=True)
        charged = -sum(entries)
        assert len(entries) == 1 and charged > 0

        wallet = await open_wallet(author)
        assert f"{LINE}: {rub(charged)}" in wallet.plain
        assert f"Доступно к выплате: -{rub(charged)}" in wallet.plain
