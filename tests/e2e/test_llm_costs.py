"""LLM cost rules through the platform bot (fake Telegram over HTTP): the author is refused free
messages over the platform's cap and a per-client limit the plan cannot pay for, each with a
sentence and nothing saved; the admin changes a cost setting and a bad value is refused; the
tracker's next answer is asked with the new `max_tokens`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from billing.policy import clear_cache
from billing.subscriptions import create_subscription
from models import Membership, Plan, PlanKind, PlatformSetting, Tracker
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, running_platform
from tests.e2e.test_ai_tracker import REPLY, add_tracker, ai_settings, is_final
from tests.fakes.openai_server import FakeOpenAIServer
from tests.waiting import eventually

ADMIN = 9001


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


async def test_the_author_is_refused_what_the_platform_would_pay_for(tg, llm_fake, database_url, tmp_path):
    author = tg.user(1001, "Anna", language_code="ru")
    async with running_platform(ai_settings(tg, database_url, tmp_path, llm_fake)) as runtime:
        tracker = await add_tracker(runtime, tg, 21, "costs_bot")
        await Plan.create(tracker=tracker, kind=PlanKind.MONTH, price_kopecks=200_000)  # 2,000 RUB
        await author.send(PLATFORM_USERNAME, "/start")
        menu = await author.wait_for_message(
            PLATFORM_USERNAME, lambda m: any("costs_bot" in b["text"] for b in m.buttons)
        )
        [label] = [b["text"] for b in menu.buttons if "costs_bot" in b["text"]]
        await author.click(menu, label)
        card = await author.wait_for_text(PLATFORM_USERNAME, "@costs_bot")
        await author.click(card, "🤖 ИИ и сценарии")
        panel = await author.wait_for_text(PLATFORM_USERNAME, "ИИ-трекер")

        await author.click(panel, "🎁 Бесплатные сообщения")
        await author.wait_for_text(PLATFORM_USERNAME, "Сколько сообщений")
        await author.send(PLATFORM_USERNAME, "100000")
        await author.wait_for_text(PLATFORM_USERNAME, "не больше 50 бесплатных сообщений")
        assert (await Tracker.get(id=tracker.id)).free_messages == 0
        await author.send(PLATFORM_USERNAME, "10")
        panel = await author.wait_for_text(PLATFORM_USERNAME, "Сохранено")
        assert (await Tracker.get(id=tracker.id)).free_messages == 10

        await author.click(panel, "📉 Лимит мДж")
        await author.wait_for_text(PLATFORM_USERNAME, "Сколько мДж")
        await author.send(PLATFORM_USERNAME, "1000000000")
        refusal = await author.wait_for_text(PLATFORM_USERNAME, "Самое большее, что можно поставить")
        # 2,000 RUB at 1.5 RUB per mJ: 1,333.333 mJ at most.
        assert "1333.333 мДж" in refusal.plain and "самый дешёвый ваш тариф" in refusal.plain
        assert (await Tracker.get(id=tracker.id)).period_mj_limit is None
        await author.send(PLATFORM_USERNAME, "1000")
        await author.wait_for_text(PLATFORM_USERNAME, "Сохранено")
        assert (await Tracker.get(id=tracker.id)).period_mj_limit == Decimal(1000)


async def test_the_admin_sets_max_tokens_and_the_next_answer_is_asked_with_it(tg, llm_fake, database_url, tmp_path):
    admin = tg.user(ADMIN, "Ada", language_code="en")
    client = tg.user(5005, "Kim", language_code="en")
    async with running_platform(ai_settings(tg, database_url, tmp_path, llm_fake)) as runtime:
        tracker = await add_tracker(runtime, tg, 22, "tokens_bot")
        await admin.send(PLATFORM_USERNAME, "/admin")
        menu = await admin.wait_for_message(PLATFORM_USERNAME, lambda m: "Platform administration" in m.plain)
        await admin.click(menu, "🧮 LLM costs")
        window = await admin.wait_for_text(PLATFORM_USERNAME, "LLM costs: platform settings")
        assert "· max_tokens = 1024" in window.plain and "· max_free_messages = 50" in window.plain
        await admin.send(PLATFORM_USERNAME, "max_tokens 0")
        await admin.wait_for_text(PLATFORM_USERNAME, '"0" will not do: a number from 16 to 100000')
        assert not await PlatformSetting.exists()
        await admin.send(PLATFORM_USERNAME, "max_tokens 300")
        window = await admin.wait_for_text(PLATFORM_USERNAME, "Setting max_tokens saved.")
        assert "✏️ max_tokens = 300" in window.plain

        await client.send("tokens_bot", "/start")
        await eventually(lambda: Membership.exists(tracker_id=tracker.id, user_id=5005), "the client's /start")
        await create_subscription(tracker.id, 5005, "month", 200_000, datetime.now(UTC) - timedelta(minutes=1))
        await client.send("tokens_bot", "How do I start?")
        await client.wait_for_message("tokens_bot", is_final(REPLY))
        assert llm_fake.chat_requests[-1].body["max_tokens"] == 300


async def test_the_author_sees_the_dashboard_from_the_tracker_card(tg, llm_fake, database_url, tmp_path):
    author = tg.user(1001, "Anna", language_code="ru")
    client = tg.user(5006, "Lev", language_code="ru")
    async with running_platform(ai_settings(tg, database_url, tmp_path, llm_fake)) as runtime:
        tracker = await add_tracker(runtime, tg, 23, "dash_bot")
        await client.send("dash_bot", "/start")
        await eventually(lambda: Membership.exists(tracker_id=tracker.id, user_id=5006), "the client's /start")
        await create_subscription(tracker.id, 5006, "month", 200_000, datetime.now(UTC) - timedelta(minutes=1))
        await client.send("dash_bot", "Hello")
        await client.wait_for_message("dash_bot", is_final(REPLY))

        await author.send(PLATFORM_USERNAME, "/start")
        menu = await author.wait_for_message(
            PLATFORM_USERNAME, lambda m: any("dash_bot" in b["text"] for b in m.buttons)
        )
        [label] = [b["text"] for b in menu.buttons if "dash_bot" in b["text"]]
        await author.click(menu, label)
        card = await author.wait_for_text(PLATFORM_USERNAME, "@dash_bot")
        await author.click(card, "📈 Показатели")
        dash = await author.wait_for_text(PLATFORM_USERNAME, "показатели")
        assert "Активных подписчиков: 1" in dash.plain
        assert "новых 1, ушло 0" in dash.plain and "выручка 2 000,00 ₽" in dash.plain
        assert "• Lev —" in dash.plain and "клиентов с расходом: 1" in dash.plain

        # The same months as a picture, the dashboard again below it; pressed again at once, a sentence.
        await author.click(dash, "📊 График за 12 месяцев")
        chart = await author.wait_for_message(PLATFORM_USERNAME, lambda m: m.content_type == "photo")
        assert "маржа" in chart.plain and "2 000,00 ₽" not in chart.plain  # the margin is less the tokens
        dash = await author.wait_for_message(
            PLATFORM_USERNAME, lambda m: m.message_id > chart.message_id and "показатели" in m.text)
        query = await author.click(dash, "📊 График за 12 месяцев")
        answer = await tg.wait_for_callback_answer(PLATFORM_USERNAME, query)
        assert answer.get("show_alert") and "Нажмите ещё раз через" in answer["text"]
        assert sum(m.content_type == "photo" for m in author.messages(PLATFORM_USERNAME)) == 1
