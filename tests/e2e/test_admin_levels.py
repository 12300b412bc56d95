"""The admin sets the referral depth with the commission schedule, end to end: a schedule of four
levels is added and shown level by level; more than six levels, a negative share and shares that
do not add up to 100 are each answered with a sentence, and nothing is saved for them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from models import CommissionRate
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform

PLATFORM = PLATFORM_USERNAME
ADMIN_ID = 900


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


async def window(person, text: str):
    return await person.wait_for_message(PLATFORM, lambda m: text in m.plain and bool(m.buttons))


@pytest.mark.parametrize("lang, words", [
    ("en", {"open": "🛠 Administration", "commission": "➗ Commission", "new": "➕ New schedule",
            "now": "Commission now", "ask": "Send the shares in percent", "many": "at most 6 are allowed",
            "negative": "is not a share", "total": "The shares add up to 110, not 100",
            "applies": "The new schedule applies from"}),
    ("ru", {"open": "🛠 Администрирование", "commission": "➗ Комиссия", "new": "➕ Новая схема",
            "now": "Комиссия сейчас", "ask": "Пришлите доли в процентах", "many": "можно не больше 6",
            "negative": "не доля", "total": "Доли в сумме дают 110, а должны 100",
            "applies": "Новая схема действует с"}),
])
async def test_the_admin_sets_the_number_of_levels(tg, database_url, tmp_path, lang, words):
    admin = tg.user(ADMIN_ID, "Ada", language_code=lang)
    settings = make_settings(tg, database_url, tmp_path, admin_ids=[ADMIN_ID])
    async with running_platform(settings):
        await admin.send(PLATFORM, "/start")
        start = await admin.wait_for_message(PLATFORM, lambda m: any(words["open"] in r for r in m.keyboard))
        await admin.click(start, words["open"])
        menu = await admin.wait_for_message(PLATFORM, lambda m: [words["commission"]] in m.keyboard)
        await admin.click(menu, words["commission"])
        schedule = await window(admin, words["now"])
        assert "L1 30 %, L2 20 %, L3 10 %." in schedule.plain
        await admin.click(schedule, words["new"])
        await window(admin, words["ask"])
        await admin.send(PLATFORM, "10 10 10 10 10 10 10 10 20")  # seven levels
        await window(admin, words["many"])
        await admin.send(PLATFORM, "20 20 30 20 20 -10")
        await window(admin, words["negative"])
        await admin.send(PLATFORM, "20 20 30 20 10 10")
        await window(admin, words["total"])
        assert await CommissionRate.all().count() == 0
        await admin.send(PLATFORM, "15 20 30 20 10 5")
        schedule = await window(admin, words["applies"])
        assert "L1 30 %, L2 20 %, L3 10 %, L4 5 %." in schedule.plain
        assert "15 / 20 / 30 / 20 / 10 / 5" in schedule.plain  # the history line
        [row] = await CommissionRate.all()
        assert (row.levels, row.platform, row.l4) == (4, Decimal(15), Decimal(5))
