"""Exotic amounts typed into the real bots: each one is answered with the usual sentence, nothing
is saved or reserved, and the next plain amount goes through (issue 19: `sNaN` or `1e999999` as a
price or a payout amount crashed the handler, which never answered)."""

from __future__ import annotations

import pytest

from models import LedgerEntry, Plan, PlanKind
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform, tracker_token
from tests.e2e.test_payments import new_tracker
from tests.e2e.test_payouts import BOT, L1, open_payouts, partner_with_balance, settings_for, shown

PLATFORM = PLATFORM_USERNAME
EXOTIC = ["sNaN", "1e999999", "Infinity", "1_000", "1" * 40, "NaN", "９９", "+5", "0x10"]


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


async def test_exotic_prices_are_answered_and_nothing_is_saved(tg, database_url, tmp_path):
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        tracker = await new_tracker(tg, 31, "odd_price_bot")
        author = tg.user(1031)
        await author.click(author.last_message(PLATFORM), "💰 Тарифы и цены")
        plans = await author.wait_for_text(PLATFORM, "час работы живого специалиста")
        await author.click(plans, "Месяц: —")
        await author.wait_for_text(PLATFORM, "Пришлите новую цену")
        for text in EXOTIC:
            await author.send(PLATFORM, text)
            await author.wait_for_text(PLATFORM, "не похоже на цену")
            assert not await Plan.filter(tracker_id=tracker.id).exists(), text
        await author.send(PLATFORM, "1500")
        await author.wait_for_text(PLATFORM, "Цена сохранена")
        plan = await Plan.get(tracker_id=tracker.id, kind=PlanKind.MONTH)
        assert plan.price_kopecks == 150000


async def test_exotic_payout_amounts_are_answered_and_nothing_is_reserved(tg, database_url, tmp_path):
    author = tg.user(1072, "Anna", language_code="ru")
    partner = tg.user(3072, "Petr", language_code="ru")
    tg.add_bot(tracker_token(71), BOT, "Vera")
    async with running_platform(settings_for(tg, database_url, tmp_path)):
        await partner_with_balance(tg, author, partner, clients=2)
        entries = await LedgerEntry.all().count()
        screen = await open_payouts(partner)
        await partner.click(screen, "💳 Вывести деньги")
        await shown(partner, "Сколько вывести?")
        for text in EXOTIC:
            await partner.send(BOT, text)
            await partner.wait_for_text(BOT, "Не понял сумму")
        assert await LedgerEntry.all().count() == entries
        await partner.send(BOT, str(2 * L1 // 100))
        await shown(partner, "Куда перевести")
