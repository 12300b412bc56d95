"""The polling supervisor keeps every bot's loop alive and notices when someone else takes a bot's
updates: a reset, a timeout, a 429 and a loop killed from outside leave the bot answering; another
program polling with the token, or a webhook set elsewhere, alerts the author (the admins for the
platform bot) once."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot import supervisor, transport
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform, tracker_token
from tests.e2e.test_platform_core import create_tracker
from tests.waiting import eventually, stays

PLATFORM = PLATFORM_USERNAME


@pytest.fixture
async def tg(fake_telegram, monkeypatch):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    monkeypatch.setattr(transport, "MAX_RETRY_PAUSE", 0.5)  # the same backoff, capped for the tests
    monkeypatch.setattr(supervisor, "REQUEST_MARGIN", 1)  # a held poll times out after timeout + 1 s
    monkeypatch.setattr(supervisor, "CONFLICT_ALERT_AFTER", 1.0)
    return fake_telegram


def poll_task(bot_id: int) -> asyncio.Task:
    return next(t for t in asyncio.all_tasks() if t.get_name() == f"poll-{bot_id}" and not t.done())


async def answers(client, bot: str, text: str = "/help") -> None:
    await client.send(bot, text)
    await client.wait_for_message(bot, lambda m: not m.is_edit)


async def test_a_reset_a_timeout_and_a_429_leave_the_bot_answering(tg, database_url, tmp_path):
    token = tracker_token(81)
    tg.add_bot(token, "net_bot", "Nina")
    author = tg.user(1081, "Anna", language_code="ru")
    client = tg.user(2081, "Bob", language_code="en")
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        await create_tracker(author, token, "net_bot")
        tg.fail_next("getUpdates", bot="net_bot", reset=True)
        await eventually(lambda: any(c.error == "connection reset" for c in tg.calls_to("getUpdates", bot="net_bot")),
                         "the reset")
        await answers(client, "net_bot", "/start")
        tg.fail_next("getUpdates", bot="net_bot", hold=8)  # past the client's 1 + 1 s
        tg.fail_next("getUpdates", 429, bot="net_bot", retry_after=1)
        await eventually(lambda: [c for c in tg.calls_to("getUpdates", bot="net_bot") if c.status == 429],
                         "the 429 after the timeout")
        await answers(client, "net_bot")


async def test_a_loop_killed_from_outside_or_dead_of_an_error_is_restarted(tg, database_url, tmp_path, monkeypatch):
    author = tg.user(1082, "Anna", language_code="ru")
    async with running_platform(make_settings(tg, database_url, tmp_path)) as runtime:
        bot_id = runtime.platform_bot.id
        supervising = runtime.transport
        killed = poll_task(bot_id)
        killed.cancel()
        await asyncio.gather(killed, return_exceptions=True)
        assert not supervising.polling(bot_id) and supervising.restarting == 1  # the truth while it waits
        await eventually(lambda: supervising.restarts_total == 1, "the restart is counted")
        await eventually(lambda: supervising.polling(bot_id), "the loop runs again")
        await answers(author, PLATFORM, "/start")

        # An error outside the poll itself (handing an update over) ends the loop: restarted too.
        runner = supervising._runner
        real, broken = runner.feed, []

        def feed_once_broken(*args):
            if not broken:
                broken.append(True)
                raise RuntimeError("nobody expected this")
            real(*args)

        monkeypatch.setattr(runner, "feed", feed_once_broken)
        await author.send(PLATFORM, "/help")
        await eventually(lambda: supervising.restarts_total == 2, "the second restart")
        await answers(author, PLATFORM, "/help")
        assert supervising.alive == 1 and supervising.restarting == 0


@contextlib.asynccontextmanager
async def another_poller(tg, token: str):
    """A second program polling with the same token, as the author's own script would."""
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))

    async def poll() -> None:
        while True:
            with contextlib.suppress(Exception):
                await bot.get_updates(timeout=1)
            await asyncio.sleep(0.05)

    task = asyncio.create_task(poll())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bot.session.close()


def takeover_alerts(person, kind_text: str) -> list:
    return [m for m in person.messages(PLATFORM) if kind_text in m.text]


async def test_another_poller_alerts_the_author_once(tg, database_url, tmp_path):
    token = tracker_token(83)
    tg.add_bot(token, "stolen_bot", "Sasha")
    author = tg.user(1083, "Anna", language_code="ru")
    client = tg.user(2083, "Bob", language_code="en")
    async with running_platform(make_settings(tg, database_url, tmp_path)) as runtime:
        await create_tracker(author, token, "stolen_bot")
        async with another_poller(tg, token):
            alert = await author.wait_for_message(PLATFORM, lambda m: "409 Conflict" in m.text)
            assert "@stolen_bot" in alert.text
            await stays(lambda: len(takeover_alerts(author, "409 Conflict")) == 1, "one alert, not one per retry",
                        for_seconds=3)
        await eventually(lambda: runtime.transport.healthy(int(token.split(":")[0])), "polling is back")
        await answers(client, "stolen_bot", "/start")


async def test_a_foreign_webhook_alerts_the_author_and_our_old_one_is_deleted(tg, database_url, tmp_path):
    token, other = tracker_token(84), tracker_token(85)
    tg.add_bot(token, "hooked_bot", "Hana")
    tg.add_bot(other, "leftover_bot", "Lena")
    author = tg.user(1084, "Anna", language_code="ru")
    client = tg.user(2084, "Bob", language_code="en")
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        await create_tracker(author, token, "hooked_bot")
        await create_tracker(author, other, "leftover_bot")
        hooked, leftover = tg.bot("hooked_bot"), tg.bot("leftover_bot")
        await tg._execute(token, "setWebhook", {"url": "https://elsewhere.example/hook"})
        # A webhook this platform set in an earlier webhook-mode run: deleted, no alert.
        await tg._execute(other, "setWebhook", {"url": f"https://gptitor.example/webhook/tracker/{leftover.id}"})
        alert = await author.wait_for_message(PLATFORM, lambda m: "elsewhere.example" in m.text)
        assert "@hooked_bot" in alert.text
        await eventually(lambda: leftover.webhook is None, "our own old webhook is deleted")
        await answers(client, "leftover_bot", "/start")
        await stays(lambda: hooked.webhook is not None and len(takeover_alerts(author, "elsewhere.example")) == 1,
                    "the foreign webhook is left alone and alerted once", for_seconds=2)
        assert not [m for m in takeover_alerts(author, "⚠️") if "@leftover_bot" in m.text]
        await tg._execute(token, "deleteWebhook", {})
        await answers(client, "hooked_bot", "/start")


async def test_a_takeover_of_the_platform_bot_alerts_the_admins(tg, database_url, tmp_path):
    admin = tg.user(1086, "Ada", language_code="en")
    async with running_platform(make_settings(tg, database_url, tmp_path, admin_ids=[admin.id])):
        await answers(admin, PLATFORM, "/start")  # so the platform bot may write to the admin
        async with another_poller(tg, PLATFORM_TOKEN):
            alert = await admin.wait_for_message(PLATFORM, lambda m: "409 Conflict" in m.text)
            assert f"@{PLATFORM_USERNAME}" in alert.text
        await answers(admin, PLATFORM, "/help")
