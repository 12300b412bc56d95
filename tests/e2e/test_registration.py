"""A start tells Telegram only what changed: webhooks and commands are set for new or changed
trackers, a few at a time; a restart of unchanged ones makes no per-bot call; one that failed is
registered at the next start, and only it."""

from __future__ import annotations

import pytest

from bot import db, registration
from bot.crypto import SecretBox
from models import Tracker, User
from tests.e2e.harness import (
    PLATFORM_TOKEN,
    PLATFORM_USERNAME,
    free_port,
    make_settings,
    running_platform,
    tracker_token,
)
from tests.waiting import eventually, stays

TRACKERS = 4
PER_BOT = ("setWebhook", "setMyCommands", "deleteWebhook")


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


async def add_trackers(tg, settings) -> list[str]:
    box = SecretBox(settings.secret_key.get_secret_value())
    usernames = []
    await db.init(settings.database_url, run_migrations=False)
    try:
        await User.create(id=1097, first_name="Anna", language_code="en")
        for n in range(TRACKERS):
            token, username = tracker_token(400 + n), f"reg{n}_bot"
            tg.add_bot(token, username, f"Reg {n}")
            await Tracker.create(bot_id=int(token.split(":")[0]), username=username, name=f"Reg {n}",
                                 author_id=1097, token_encrypted=box.encrypt(token))
            usernames.append(username)
    finally:
        await db.close()
    return usernames


def tracker_calls(tg, usernames: list[str]) -> dict[str, int]:
    return {m: sum(len(tg.calls_to(m, bot=u)) for u in usernames) for m in PER_BOT}


def webhook_settings(tg, database_url, tmp_path, **overrides):
    port = free_port()
    return make_settings(tg, database_url, tmp_path, webhook_base_url=f"http://127.0.0.1:{port}",
                         webhook_host="127.0.0.1", webhook_port=port, **overrides)


async def test_a_webhook_restart_of_unchanged_trackers_makes_no_per_bot_call(tg, database_url, tmp_path):
    settings = webhook_settings(tg, database_url, tmp_path)
    usernames = await add_trackers(tg, settings)
    client = tg.user(2097, "Bob", language_code="en")
    async with running_platform(settings, webhook=True):
        assert tracker_calls(tg, usernames) == {"setWebhook": TRACKERS, "setMyCommands": 2 * TRACKERS,
                                                "deleteWebhook": 0}
        assert all(tg.bot(u).webhook is not None for u in usernames)
    tg.calls.clear()
    async with running_platform(settings, webhook=True):
        await client.send(usernames[0], "/start")
        await client.wait_for_text(usernames[0], "I am Reg 0")
        assert tracker_calls(tg, usernames) == dict.fromkeys(PER_BOT, 0)


async def test_a_failed_registration_is_retried_at_the_next_start_and_only_it(tg, database_url, tmp_path):
    settings = webhook_settings(tg, database_url, tmp_path)
    usernames = await add_trackers(tg, settings)
    tg.fail_next("setWebhook", 500, bot=usernames[2], times=10)
    async with running_platform(settings, webhook=True):
        assert tg.bot(usernames[2]).webhook is None
        assert all(tg.bot(u).webhook is not None for u in usernames if u != usernames[2])
    tg._faults.clear()
    tg.calls.clear()
    async with running_platform(settings, webhook=True):
        assert tg.bot(usernames[2]).webhook is not None
        assert tracker_calls(tg, usernames) == {"setWebhook": 1, "setMyCommands": 2, "deleteWebhook": 0}
        assert len(tg.calls_to("setWebhook", bot=usernames[2])) == 1


async def test_polling_restarts_set_no_commands_and_a_switch_to_webhooks_registers_again(tg, database_url, tmp_path):
    settings = webhook_settings(tg, database_url, tmp_path)
    usernames = await add_trackers(tg, settings)
    client = tg.user(2096, "Bob", language_code="en")
    async with running_platform(settings):
        assert tracker_calls(tg, usernames)["setMyCommands"] == 2 * TRACKERS
    tg.calls.clear()
    async with running_platform(settings):
        await client.send(usernames[1], "/start")
        await client.wait_for_text(usernames[1], "I am Reg 1")
        assert tracker_calls(tg, usernames) == dict.fromkeys(PER_BOT, 0)
    tg.calls.clear()
    async with running_platform(settings, webhook=True):  # what Telegram must know changed: a webhook
        assert tracker_calls(tg, usernames) == {"setWebhook": TRACKERS, "setMyCommands": 2 * TRACKERS,
                                                "deleteWebhook": 0}
        await client.send(usernames[1], "/help")
        await client.wait_for_message(usernames[1], lambda m: not m.is_edit)


async def test_the_webhook_audit_sets_a_lost_webhook_again_and_alerts_a_foreign_one_once(
        tg, database_url, tmp_path, monkeypatch):
    monkeypatch.setattr(registration, "AUDIT_ROUND_SECONDS", 0.3)
    monkeypatch.setattr(registration, "AUDIT_MIN_GAP", 0.01)
    settings = webhook_settings(tg, database_url, tmp_path)
    usernames = await add_trackers(tg, settings)
    author = tg.user(1097, "Anna", language_code="en")
    client = tg.user(2095, "Bob", language_code="en")
    await author.send(PLATFORM_USERNAME, "/start")  # before the start: the platform bot may write to her
    lost, taken = tg.bot(usernames[0]), tg.bot(usernames[1])
    async with running_platform(settings, webhook=True):
        ours = lost.webhook.url
        await tg._execute(lost.token, "deleteWebhook", {})
        await tg._execute(taken.token, "setWebhook", {"url": "https://elsewhere.example/hook"})
        await eventually(lambda: lost.webhook is not None and lost.webhook.url == ours, "the lost webhook set again")
        await client.send(usernames[0], "/start")
        await client.wait_for_text(usernames[0], "I am Reg 0")
        alert = await author.wait_for_message(PLATFORM_USERNAME, lambda m: "elsewhere.example" in m.text)
        assert f"@{usernames[1]}" in alert.text
        await stays(lambda: len([m for m in author.messages(PLATFORM_USERNAME) if "elsewhere.example" in m.text]) == 1
                    and taken.webhook.url == "https://elsewhere.example/hook",
                    "alerted once, the author's webhook left alone", for_seconds=1.5)
