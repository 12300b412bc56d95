"""The platform core end to end: the real runtime against the fake Telegram server.

An author creates a tracker from the platform bot's menu and a client talks to it at once; bad
tokens are refused with a clear message and save nothing; a revoked token pauses only that
tracker; webhook requests with a wrong secret are rejected.
"""

from __future__ import annotations

import logging

import aiohttp
import pytest

from models import Tracker, TrackerStatus
from tests.e2e.harness import (
    PLATFORM_TOKEN,
    PLATFORM_USERNAME,
    free_port,
    make_settings,
    running_platform,
    tracker_token,
)

PLATFORM = PLATFORM_USERNAME


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


def has_button(text: str):
    return lambda message: any(text in row for row in message.keyboard)


async def open_new_tracker_form(author) -> None:
    await author.send(PLATFORM, "/start")
    menu = await author.wait_for_message(PLATFORM, has_button("➕ Новый трекер"))
    await author.click(menu, "➕ Новый трекер")
    await author.wait_for_text(PLATFORM, "@BotFather")


async def create_tracker(author, token: str, username: str) -> None:
    await open_new_tracker_form(author)
    await author.send(PLATFORM, token)
    await author.wait_for_text(PLATFORM, f"Трекер @{username} запущен")


async def test_author_creates_a_tracker_and_a_client_talks_to_it_at_once(tg, database_url, tmp_path):
    token = tracker_token(1)
    tg.add_bot(token, "vera_tracker_bot", "Vera")
    author = tg.user(1001, "Anna", language_code="ru")
    client = tg.user(2001, "Bob", language_code="en")

    async with running_platform(make_settings(tg, database_url, tmp_path)) as runtime:
        await create_tracker(author, token, "vera_tracker_bot")
        card = author.last_message(PLATFORM)
        assert "https://t.me/vera_tracker_bot" in card.plain

        # The token is stored encrypted and the message that carried it is gone from the chat.
        row = await Tracker.get(username="vera_tracker_bot")
        assert token not in row.token_encrypted
        assert runtime.box.decrypt(row.token_encrypted) == token
        assert not any(token in m.plain for m in author.messages(PLATFORM))

        await client.send("vera_tracker_bot", "/start")
        greeting = await client.wait_for_text("vera_tracker_bot", "I am Vera")
        assert "Bob" in greeting.plain

        # Paused: the client is told so instead of getting an answer.
        await author.click(author.last_message(PLATFORM), "⏸ Приостановить")
        await author.wait_for_text(PLATFORM, "подписки за звёзды")
        await author.click(author.last_message(PLATFORM), "⏸ Приостановить, подписки оставить")
        await author.wait_for_text(PLATFORM, "Трекер приостановлен")
        await client.send("vera_tracker_bot", "How do I start?")
        await client.wait_for_text("vera_tracker_bot", "is paused")

        await author.click(author.last_message(PLATFORM), "▶️ Возобновить")
        await author.wait_for_text(PLATFORM, "снова работает")
        await client.send("vera_tracker_bot", "How do I start?")
        answer = await client.wait_for_message("vera_tracker_bot")
        assert "paused" not in answer.plain
        assert (await Tracker.get(id=row.id)).status == TrackerStatus.ACTIVE


async def test_author_renames_describes_and_deletes(tg, database_url, tmp_path):
    token = tracker_token(2)
    tg.add_bot(token, "coach_bot", "Coach")
    author = tg.user(1002, "Oleg", language_code="en")
    client = tg.user(2002, "Eve", language_code="en")
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        await author.send(PLATFORM, "/start")
        menu = await author.wait_for_text(PLATFORM, "New tracker")
        await author.click(menu, "➕ New tracker")
        await author.wait_for_text(PLATFORM, "@BotFather")
        await author.send(PLATFORM, token)
        card = await author.wait_for_text(PLATFORM, "is live")

        await author.click(card, "✏️ Name")
        await author.wait_for_text(PLATFORM, "new name")
        await author.send(PLATFORM, "Coach Max")
        card = await author.wait_for_text(PLATFORM, "Coach Max")

        await author.click(card, "📝 Description")
        await author.wait_for_text(PLATFORM, "description")
        await author.send(PLATFORM, "Two meetings a week about your goals.")
        card = await author.wait_for_text(PLATFORM, "Two meetings a week")
        assert tg.calls_to("setMyDescription", bot="coach_bot")

        await client.send("coach_bot", "/start")
        greeting = await client.wait_for_text("coach_bot", "I am Coach Max")
        assert "Two meetings a week" in greeting.plain

        await author.click(card, "🗑 Delete")
        confirm = await author.wait_for_text(PLATFORM, "Delete the tracker")
        await author.click(confirm, "Yes, delete")
        await author.wait_for_text(PLATFORM, "You have no trackers yet")
        row = await Tracker.get(username="coach_bot")
        assert row.status == TrackerStatus.DELETED and row.token_encrypted == ""

        await client.send("coach_bot", "/start")
        await client.expect_no_message("coach_bot", timeout=1.0)


BAD_TOKEN_CASES = [
    ("not a token", "hello there", "не похоже на токен"),
    ("revoked", "revoked", "Telegram не принял этот токен"),
    ("platform's own", PLATFORM_TOKEN, "токен самого Джипититора"),
]


@pytest.mark.parametrize("case, text, expected", BAD_TOKEN_CASES, ids=[c[0] for c in BAD_TOKEN_CASES])
async def test_bad_token_gets_a_clear_message_and_saves_nothing(tg, database_url, tmp_path, case, text, expected):
    if text == "revoked":
        text = tracker_token(3)
        tg.add_bot(text, "old_bot", "Old")
        tg.revoke(text)
    author = tg.user(1003, "Ivan", language_code="ru")
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        await open_new_tracker_form(author)
        await author.send(PLATFORM, text)
        await author.wait_for_text(PLATFORM, expected)
        assert await Tracker.all().count() == 0
        # Still in the form: a good token now works.
        good = tracker_token(4)
        tg.add_bot(good, "good_bot", "Good")
        await author.send(PLATFORM, good)
        await author.wait_for_text(PLATFORM, "Трекер @good_bot запущен")


async def test_a_registered_token_is_refused_for_the_same_and_for_another_author(tg, database_url, tmp_path):
    token = tracker_token(5)
    tg.add_bot(token, "taken_bot", "Taken")
    owner = tg.user(1004, "Lena", language_code="ru")
    other = tg.user(1005, "Petr", language_code="ru")
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        await create_tracker(owner, token, "taken_bot")

        await open_new_tracker_form(owner)
        await owner.send(PLATFORM, token)
        await owner.wait_for_text(PLATFORM, "уже подключён — он есть в вашем списке")

        await open_new_tracker_form(other)
        await other.send(PLATFORM, token)
        await other.wait_for_text(PLATFORM, "уже подключён другим автором")
        assert await Tracker.all().count() == 1
        assert (await Tracker.get(username="taken_bot")).author_id == owner.id


async def test_revoked_token_in_polling_pauses_only_that_tracker(tg, database_url, tmp_path):
    tokens = {"first_bot": tracker_token(6), "second_bot": tracker_token(7)}
    for username, token in tokens.items():
        tg.add_bot(token, username, username.split("_")[0].title())
    author = tg.user(1006, "Nina", language_code="ru")
    client = tg.user(2006, "Tom", language_code="en")
    async with running_platform(make_settings(tg, database_url, tmp_path)) as runtime:
        for username, token in tokens.items():
            await create_tracker(author, token, username)

        tg.revoke(tokens["first_bot"])
        await author.wait_for_text(PLATFORM, "Telegram отклонил токен трекера @first_bot", timeout=10)
        assert (await Tracker.get(username="first_bot")).status == TrackerStatus.REVOKED
        assert (await Tracker.get(username="second_bot")).status == TrackerStatus.ACTIVE

        await client.send("second_bot", "/start")
        await client.wait_for_text("second_bot", "I am Second")
        assert len(runtime.registry) == 1


async def test_replace_token_brings_a_revoked_tracker_back(tg, database_url, tmp_path):
    old = tracker_token(8)
    tg.add_bot(old, "phoenix_bot", "Phoenix")
    author = tg.user(1007, "Olga", language_code="ru")
    client = tg.user(2007, "Max", language_code="en")
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        await create_tracker(author, old, "phoenix_bot")
        tg.revoke(old)
        await author.wait_for_text(PLATFORM, "отклонил токен", timeout=10)

        new = old.split(":")[0] + ":" + "N" * 35  # @BotFather's /revoke keeps the bot, changes the token
        tg.add_bot(new, "phoenix_bot", "Phoenix")
        await author.send(PLATFORM, "/start")
        menu = await author.wait_for_text(PLATFORM, "Ваши трекеры")
        await author.click(menu, "⚠️ Phoenix (@phoenix_bot)")
        card = await author.wait_for_text(PLATFORM, "токен отозван")
        await author.click(card, "🔑 Заменить токен")
        await author.wait_for_text(PLATFORM, "Пришлите новый токен")
        await author.send(PLATFORM, new)
        await author.wait_for_text(PLATFORM, "Токен заменён")

        await client.send("phoenix_bot", "/start")
        await client.wait_for_text("phoenix_bot", "I am Phoenix")


async def test_webhook_mode_serves_trackers_and_answers_a_wrong_secret_as_for_an_unknown_bot(
        tg, database_url, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    token = tracker_token(9)
    tg.add_bot(token, "hook_bot", "Hook")
    author = tg.user(1008, "Vlad", language_code="ru")
    client = tg.user(2008, "Ann", language_code="en")
    port = free_port()
    settings = make_settings(
        tg, database_url, tmp_path,
        webhook_base_url=f"http://127.0.0.1:{port}", webhook_host="127.0.0.1", webhook_port=port,
    )
    async with running_platform(settings, webhook=True):
        await create_tracker(author, token, "hook_bot")
        await client.send("hook_bot", "/start")
        await client.wait_for_text("hook_bot", "I am Hook")
        bot_id = int(token.split(":")[0])

        forged = {"update_id": 999, "message": {
            "message_id": 1, "date": 0, "chat": {"id": client.id, "type": "private"},
            "from": {"id": client.id, "is_bot": False, "first_name": "Mallory"}, "text": "/start",
        }}
        async def answer(path: str, headers: dict[str, str]) -> tuple[int, str, str]:
            async with http.post(f"http://127.0.0.1:{port}{path}", json=forged, headers=headers) as resp:
                return resp.status, resp.content_type, await resp.text()

        # A served bot with a missing or wrong secret answers exactly as a bot nobody serves, so a
        # scanner cannot list the served ones.
        async with aiohttp.ClientSession() as http:
            unknown = await answer("/webhook/tracker/424242", {})
            assert unknown[0] == 404
            for path in (f"/webhook/tracker/{bot_id}", "/webhook/platform"):
                for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                    assert await answer(path, headers) == unknown, (path, headers)
            assert await answer("/webhook/tracker/424242", {"X-Telegram-Bot-Api-Secret-Token": "wrong"}) == unknown
        await client.expect_no_message("hook_bot", timeout=1.0)
    # The access log has the six refused requests and none of Telegram's deliveries answered 200.
    access = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert len(access) == 6 and all('" 404 ' in line for line in access), access


async def test_an_open_menu_still_works_after_a_restart(tg, database_url, tmp_path):
    """Dialog state is in the database: a button pressed after a restart still works."""
    author = tg.user(1009, "Rita", language_code="ru")
    settings = make_settings(tg, database_url, tmp_path)
    async with running_platform(settings):
        await author.send(PLATFORM, "/start")
        menu = await author.wait_for_message(PLATFORM, has_button("➕ Новый трекер"))
    async with running_platform(settings):
        await author.click(menu, "➕ Новый трекер")
        await author.wait_for_text(PLATFORM, "@BotFather")
