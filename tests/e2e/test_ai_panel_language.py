"""The author's AI panel speaks the author's language (issue 16): a limit of 500 reads "500 мДж",
not "5E+2 mJ"; weekdays are "пн, чт"; the scenario prompts show the keywords in Russian, and those
keywords work."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.policy import set_setting
from models import Scenario, ScenarioTrigger, Tracker
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, running_platform
from tests.e2e.test_ai_tracker import MODEL, REPLY, add_tracker, ai_settings
from tests.fakes.openai_server import FakeOpenAIServer

PLATFORM = PLATFORM_USERNAME


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


@pytest.fixture
async def llm_fake():
    async with FakeOpenAIServer(reply=REPLY, chunks=2, chunk_delay=0.01) as fake:
        yield fake


async def test_the_ai_panel_in_russian(tg, llm_fake, database_url, tmp_path):
    author = tg.user(1001, "Anna", language_code="ru")
    async with running_platform(ai_settings(tg, database_url, tmp_path, llm_fake)) as runtime:
        await set_setting("max_free_messages", "2000")  # the admin allows more than the default cap
        tracker = await add_tracker(runtime, tg, 95, "lang_bot", free_messages=1500)
        await author.send(PLATFORM, "/start")
        menu = await author.wait_for_message(PLATFORM, lambda m: any("lang_bot" in b["text"] for b in m.buttons))
        await author.click(menu, next(b["text"] for b in menu.buttons if "lang_bot" in b["text"]))
        card = await author.wait_for_text(PLATFORM, "@lang_bot")
        await author.click(card, "🤖 ИИ и сценарии")
        panel = await author.wait_for_text(PLATFORM, "ИИ-трекер")
        assert "Бесплатных сообщений: 1 500" in panel.plain

        # Only a priced model can be picked (the fake endpoint gets no shipped prices).
        await author.click(panel, "🧠 Модель")
        models = await author.wait_for_text(PLATFORM, "Выберите модель")
        assert models.keyboard == [[MODEL], ["← Назад"]]
        await author.click(models, "← Назад")
        panel = await author.wait_for_text(PLATFORM, "ИИ-трекер")

        await author.click(panel, "📉 Лимит мДж")
        await author.wait_for_text(PLATFORM, "Сколько мДж")
        await author.send(PLATFORM, "500")
        panel = await author.wait_for_text(PLATFORM, "Сохранено")
        assert (await Tracker.get(id=tracker.id)).period_mj_limit == Decimal(500)
        assert "Лимит на клиента за период: 500 мДж" in panel.plain and "E+" not in panel.plain

        await author.click(panel, "➕ Новый сценарий")
        await author.wait_for_text(PLATFORM, "Как назовём")
        await author.send(PLATFORM, "Разбор недели")
        await author.wait_for_text(PLATFORM, "промпт сценария")
        await author.send(PLATFORM, "Разбери неделю клиента.")
        card = await author.wait_for_text(PLATFORM, "Сценарий «Разбор недели»")
        scenario = await Scenario.get(tracker_id=tracker.id, name="Разбор недели")

        await author.click(card, "🗓 Когда")
        ask = await author.wait_for_text(PLATFORM, "Когда проходит встреча")
        assert "• один раз —" in ask.plain and "• по запросу —" in ask.plain
        assert "once" not in ask.plain and "demand" not in ask.plain
        await author.send(PLATFORM, "по запросу")
        card = await author.wait_for_text(PLATFORM, "Когда: по запросу")
        assert (await Scenario.get(id=scenario.id)).trigger == ScenarioTrigger.ON_DEMAND
        await author.click(card, "🗓 Когда")
        await author.wait_for_text(PLATFORM, "Когда проходит встреча")
        await author.send(PLATFORM, "пн,чт 19:00")
        card = await author.wait_for_text(PLATFORM, "Когда: пн, чт в 19:00")
        assert "mon" not in card.plain

        await author.click(card, "⏹ Как заканчивается")
        ask = await author.wait_for_text(PLATFORM, "Как заканчивается встреча")
        assert "marker" not in ask.plain and "timeout" not in ask.plain
        await author.send(PLATFORM, "маркер [КОНЕЦ]")
        card = await author.wait_for_text(PLATFORM, "маркером [КОНЕЦ]")
        await author.click(card, "⏹ Как заканчивается")
        await author.wait_for_text(PLATFORM, "Как заканчивается встреча")
        await author.send(PLATFORM, "тайм-аут 30")
        card = await author.wait_for_text(PLATFORM, "через 30 мин")
        await author.click(card, "⏹ Как заканчивается")
        await author.wait_for_text(PLATFORM, "Как заканчивается встреча")
        await author.send(PLATFORM, "командой")
        await author.wait_for_text(PLATFORM, "Конец: командой /end")
        scenario = await Scenario.get(id=scenario.id)
        assert (scenario.end_marker, scenario.timeout_minutes) == ("", 0)
