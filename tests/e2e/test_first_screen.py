"""A tracker's first screen sells (issue 16): a new client's /start shows the plans with prices and
a subscribe button (and the free messages first, where the author allows them), never the
author's "no description yet" placeholder; a subscriber's greeting tells until when and offers the
partner cabinet; /help lists every command a client can use.
"""

from __future__ import annotations

import pytest

from billing.plans import set_price
from models import PlanKind, Tracker
from services import tracker_cache
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, running_platform
from tests.e2e.test_ai_tracker import REPLY, add_tracker, ai_settings, subscribe
from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes.telegram import plain

BOT = "shop_bot"


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


@pytest.fixture
async def llm_fake():
    async with FakeOpenAIServer(reply=REPLY, chunks=2, chunk_delay=0.01) as fake:
        yield fake


async def greet(person):
    await person.send(BOT, "/start")
    return await person.wait_for_message(BOT, lambda m: "Здравствуйте" in m.plain or "Hello" in m.plain)


async def test_a_new_client_sees_the_plans_and_a_subscribe_button(tg, llm_fake, database_url, tmp_path):
    ru = tg.user(2201, "Bob", language_code="ru")
    en = tg.user(2202, "Eve", language_code="en")
    settings = ai_settings(tg, database_url, tmp_path, llm_fake, payments={"stars_enabled": True})
    async with running_platform(settings) as runtime:
        tracker = await add_tracker(runtime, tg, 91, BOT, free_messages=3)
        await set_price(tracker.id, PlanKind.MONTH, 149_000)
        await set_price(tracker.id, PlanKind.YEAR, 1_490_000)

        greeting = await greet(ru)
        assert "Описание пока не задано" not in greeting.plain
        assert "Напишите, с чем хотите поработать" in greeting.plain  # the neutral line
        assert "• Месяц — 1 490 ₽" in greeting.plain and "• Год — 14 900 ₽" in greeting.plain
        assert "Первые 3 сообщения — бесплатно" in greeting.plain
        assert [[plain(b) for b in row] for row in greeting.keyboard] == [["💳 Оформить: Месяц — 1 490 ₽"],
                                                                     ["💳 Оформить: Год — 14 900 ₽"]]
        await ru.click(greeting, "💳 Оформить: Месяц — 1 490 ₽")
        ways = await ru.wait_for_text(BOT, "Как удобнее оплатить?")  # the plan's ways to pay, as from the paywall
        assert "Месяц — 1 490 ₽" in ways.plain and "994 звезды в месяц" in ways.keyboard[0][0]  # 994, not "994 звёзд"

        # The free messages still come first: the AI answers.
        await ru.send(BOT, "Привет")
        await ru.wait_for_message(BOT, lambda m: m.text == REPLY)

        greeting = await greet(en)
        assert "No description yet" not in greeting.plain
        assert "Subscribe: Month — 1,490 RUB" in greeting.keyboard[0][0]

        # The author's own description replaces the neutral line.
        await Tracker.filter(id=tracker.id).update(description="Две встречи в неделю о ваших целях.")
        tracker_cache.forget(tracker_id=tracker.id)  # as the description dialog does (services.trackers)
        greeting = await greet(ru)
        assert "Две встречи в неделю" in greeting.plain and "Напишите, с чем" not in greeting.plain


async def test_a_subscriber_is_offered_the_cabinet_and_help_lists_every_command(tg, llm_fake, database_url,
                                                                               tmp_path):
    client = tg.user(2203, "Ann", language_code="ru")
    async with running_platform(ai_settings(tg, database_url, tmp_path, llm_fake)) as runtime:
        tracker = await add_tracker(runtime, tg, 92, BOT)
        await set_price(tracker.id, PlanKind.MONTH, 149_000)
        greeting = await greet(client)
        assert "🤝 Кабинет партнёра" not in str(greeting.keyboard)  # cannot invite before paying

        await subscribe(tracker, client.id)
        greeting = await greet(client)
        assert "подписка активна до" in greeting.plain and "кабинете партнёра" in greeting.plain
        assert "Оформить" not in str(greeting.keyboard)
        assert greeting.keyboard == [["🤝 Кабинет партнёра"]]

        await client.send(BOT, "/help")
        help_text = (await client.wait_for_message(BOT)).text
        for command in ("/start", "/help", "/subscription", "/partner", "/meet", "/end", "/tz"):
            assert command in help_text
