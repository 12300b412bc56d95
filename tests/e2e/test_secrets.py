"""A bot token never leaves the process in an error's text (issue 15).

A proxy in front of the Bot API that redirects requests back to themselves makes aiohttp give up
with `TooManyRedirects`, whose text quotes the request URL, and so the token. Here that error
reaches the three places that used to keep it: the log (a handler's traceback), the outbox's
`last_error`, and the admin's undelivered-events screen.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from models import OutboxEvent, OutboxStatus
from notify.outbox import PLATFORM_BOT, enqueue
from services import outbox as outbox_service
from tests.conftest import ON_POSTGRES
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform
from tests.waiting import eventually

PLATFORM = PLATFORM_USERNAME
SECRET = PLATFORM_TOKEN.split(":")[1]
BOT_ID = PLATFORM_TOKEN.split(":")[0]
ADMIN_ID, CLIENT_ID = 930, 931
HOPS = 10  # aiohttp follows ten redirects, then raises TooManyRedirects


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


async def test_a_token_in_an_error_reaches_no_log_no_row_and_no_screen(tg, database_url, tmp_path, caplog,
                                                                       monkeypatch):
    caplog.set_level(logging.INFO)
    monkeypatch.setattr(outbox_service, "MAX_ATTEMPTS", 1)  # the first failure is final: the admin sees it
    admin = tg.user(ADMIN_ID, "Ada", language_code="en")
    client = tg.user(CLIENT_ID, "Bob", language_code="en")
    async with running_platform(make_settings(tg, database_url, tmp_path, admin_ids=[ADMIN_ID])):
        await client.send(PLATFORM, "/start")
        await client.wait_for_text(PLATFORM, "New tracker")

        # 1. A handler's answer is redirected in a loop: the update fails, its traceback is logged.
        tg.fail_next("sendMessage", 500, bot=PLATFORM, chat_id=CLIENT_ID, redirect=True, times=HOPS)
        await client.send(PLATFORM, "/start")
        await eventually(lambda: any("update" in r.getMessage() and "failed" in r.getMessage() and r.exc_info
                                     for r in caplog.records), "the failed update logged with its traceback")

        # 2. An outbox event meets the same proxy: given up, its error kept for the admin.
        tg.fail_next("sendMessage", 500, bot=PLATFORM, chat_id=CLIENT_ID, redirect=True, times=HOPS)
        await enqueue(None, kind="start", bot_id=PLATFORM_BOT, chat_id=CLIENT_ID, dedupe_key="secrets-1",
                      params={"name": "Bob"}, language="en")

        async def dead() -> OutboxEvent | None:
            return await OutboxEvent.get_or_none(dedupe_key="secrets-1", status=OutboxStatus.DEAD)

        event = await eventually(dead, "the event given up")
        assert "TooManyRedirects" in event.last_error and f"bot{BOT_ID}:***" in event.last_error
        assert SECRET not in event.last_error

        # 3. The admin's screen of undelivered events.
        await admin.send(PLATFORM, "/start")
        start = await admin.wait_for_message(PLATFORM, lambda m: "New tracker" in m.plain and bool(m.buttons))
        await admin.click(start, "🛠 Administration")
        menu = await admin.wait_for_message(PLATFORM, lambda m: "Platform administration" in m.plain)
        await admin.click(menu, "📮 Undelivered events")
        screen = await admin.wait_for_message(PLATFORM, lambda m: "Undelivered events: 1" in m.plain)
        assert "TooManyRedirects" in screen.plain and SECRET not in screen.plain
        for row in await OutboxEvent.all():
            assert SECRET not in (row.last_error or "")

    texts = [r.getMessage() for r in caplog.records] + [r.exc_text or "" for r in caplog.records]
    assert any("TooManyRedirects" in t and f"bot{BOT_ID}:***" in t for t in texts), "the error was logged, masked"
    assert not [t for t in texts if SECRET in t]
    assert SECRET not in caplog.text
    if not ON_POSTGRES:  # every byte the database wrote, journal included
        path = Path(database_url.removeprefix("sqlite://"))
        for file in (path, Path(f"{path}-wal")):
            if file.exists():
                assert SECRET.encode() not in file.read_bytes()
