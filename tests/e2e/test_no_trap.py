"""No window of a tracker bot traps a client (issue 16): with the partner cabinet, "Balance and
payouts" or "My channels" open, a question or a sticker still reaches the AI (or the paywall), a
command still runs, and `/start` brings the greeting back and closes the dialog. `/start` with a
payload no invite code can be is a plain start, with no error logged.
"""

from __future__ import annotations

import logging

import pytest

from billing.plans import set_price
from models import InviteLink, PlanKind
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, running_platform
from tests.e2e.test_ai_tracker import REPLY, add_tracker, ai_settings, subscribe
from tests.fakes.openai_server import FakeOpenAIServer

BOT = "trap_bot"
PRICE = 149_000


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


@pytest.fixture
async def llm_fake():
    async with FakeOpenAIServer(reply=REPLY, chunks=4, chunk_delay=0.02) as fake:
        yield fake


async def shown(person, text: str):
    return await person.wait_for_message(BOT, lambda m: text in m.plain and bool(m.buttons))


async def answered_by_ai(person) -> None:
    """The very next thing the bot shows is the AI's answer, not the window again."""
    first = await person.wait_for_message(BOT)
    assert REPLY.startswith(first.plain), first.plain
    await person.wait_for_message(BOT, lambda m: m.text == REPLY)


async def back_to_the_greeting(person) -> None:
    await person.send(BOT, "/start")
    greeting = await person.wait_for_message(BOT, lambda m: "Здравствуйте" in m.plain)
    assert "Я Vera" in greeting.plain


async def test_the_cabinet_does_not_keep_an_unpaid_client_from_the_paywall(tg, llm_fake, database_url, tmp_path):
    client = tg.user(2101, "Bob", language_code="ru")
    async with running_platform(ai_settings(tg, database_url, tmp_path, llm_fake)) as runtime:
        tracker = await add_tracker(runtime, tg, 81, BOT)
        await set_price(tracker.id, PlanKind.MONTH, PRICE)
        await back_to_the_greeting(client)

        await client.send(BOT, "/partner")
        main = await shown(client, "Партнёрская программа трекера «Vera»")
        await client.click(main, "❓ Как делятся деньги")
        await shown(client, "Как делятся деньги в трекере «Vera»")

        await client.send(BOT, "Сколько это стоит?")
        paywall = await client.wait_for_message(BOT)
        assert "оформите подписку" in paywall.plain and "1 490" in paywall.plain
        await client.send_sticker(BOT, "🤔")
        assert "оформите подписку" in (await client.wait_for_message(BOT)).text
        await client.send(BOT, "/help")
        assert "/subscription" in (await client.wait_for_message(BOT)).text

        await back_to_the_greeting(client)
        await client.send(BOT, "А теперь?")
        assert "оформите подписку" in (await client.wait_for_message(BOT)).text
        assert not llm_fake.chat_requests  # nothing was given away


async def test_payouts_and_channels_windows_let_a_subscriber_talk_to_the_ai(tg, llm_fake, database_url, tmp_path):
    client = tg.user(2102, "Eve", language_code="ru")
    async with running_platform(ai_settings(tg, database_url, tmp_path, llm_fake)) as runtime:
        tracker = await add_tracker(runtime, tg, 82, BOT)
        await subscribe(tracker, client.id)
        await back_to_the_greeting(client)

        # The cabinet's own sub-window.
        await client.send(BOT, "/partner")
        main = await shown(client, "Кабинет партнёра —")
        await client.click(main, "💰 Мой заработок")
        await shown(client, "Ваш заработок в этом трекере")
        await client.send(BOT, "Как мне начать?")
        await answered_by_ai(client)
        await back_to_the_greeting(client)

        # "Balance and payouts" → "My requests".
        await client.send(BOT, "/partner")
        main = await shown(client, "Кабинет партнёра —")
        await client.click(main, "💸 Баланс и выплаты")
        payouts = await shown(client, "Баланс и выплаты")
        await client.click(payouts, "📋 Мои заявки")
        await shown(client, "Заявок на выплату пока нет")
        await client.send(BOT, "Что делать завтра?")
        await answered_by_ai(client)
        await client.send_sticker(BOT, "👍")
        await answered_by_ai(client)
        assert llm_fake.chat_requests[-1].messages[-1]["content"] == "👍"
        await back_to_the_greeting(client)

        # "My channels".
        await client.send(BOT, "/partner")
        main = await shown(client, "Кабинет партнёра —")
        await client.click(main, "📣 Мои каналы")
        await shown(client, "Каналы для событий")
        await client.send(BOT, "/tz Europe/Moscow")  # a command runs, whatever window is open
        await client.wait_for_text(BOT, "Часовой пояс: Europe/Moscow")
        await client.send(BOT, "Напомни мою цель")
        await answered_by_ai(client)
        await back_to_the_greeting(client)
        await client.send(BOT, "Спасибо!")
        await answered_by_ai(client)

        # A window that asks for text keeps it, until /start closes it.
        await client.send(BOT, "/partner")
        main = await shown(client, "Кабинет партнёра —")
        await client.click(main, "🔗 Мои ссылки")
        links = await shown(client, "ссылк")
        await client.click(links, "➕ Создать ссылку")
        await client.wait_for_text(BOT, "Как назвать ссылку?")
        await back_to_the_greeting(client)
        await client.send(BOT, "Привет")
        await answered_by_ai(client)
        assert not await InviteLink.filter(tracker_id=tracker.id, owner_id=client.id).exists()


async def test_a_start_payload_no_code_can_be_is_a_plain_start_without_an_error(
        tg, llm_fake, database_url, tmp_path, caplog):
    client = tg.user(2103, "Ann", language_code="ru")
    caplog.set_level(logging.WARNING)
    async with running_platform(ai_settings(tg, database_url, tmp_path, llm_fake)) as runtime:
        await add_tracker(runtime, tg, 83, BOT)
        for payload in ("x" * 33, "x" * 64, "привет мир", "a" * 300):
            await client.send(BOT, f"/start {payload}")
            greeting = await client.wait_for_message(BOT, lambda m: "Здравствуйте" in m.plain)
            assert "Я Vera" in greeting.plain
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]

