"""Long polling survives what real networks answer: a proxy's HTML 502 page, a 5xx, a 409 and
anything unexpected. Each bot goes on answering after them, the platform bot included, and no
log line carries a token."""

from __future__ import annotations

import logging

import pytest

from bot import transport
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform, tracker_token
from tests.e2e.test_platform_core import create_tracker
from tests.fakes.telegram import BAD_GATEWAY_PAGE
from tests.waiting import eventually

PLATFORM = PLATFORM_USERNAME


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


def failed_polls(tg, bot: str, status: int) -> int:
    return len([c for c in tg.calls_to("getUpdates", bot=bot) if c.status == status])


async def test_html_502_pages_and_5xx_do_not_end_polling(tg, database_url, tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(transport, "MAX_RETRY_PAUSE", 2.0)  # the same backoff, capped for the test
    caplog.set_level(logging.INFO, logger="bot.supervisor")
    token = tracker_token(91)
    tg.add_bot(token, "fault_bot", "Vera")
    author = tg.user(1091, "Anna", language_code="ru")
    client = tg.user(2091, "Bob", language_code="en")
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        await create_tracker(author, token, "fault_bot")

        # The front proxy answers both bots' polls with its HTML page, three times in a row.
        tg.fail_next("getUpdates", 502, bot=PLATFORM, html=BAD_GATEWAY_PAGE, times=3)
        tg.fail_next("getUpdates", 502, bot="fault_bot", html=BAD_GATEWAY_PAGE, times=3)
        await eventually(lambda: failed_polls(tg, PLATFORM, 502) == 3 and failed_polls(tg, "fault_bot", 502) == 3,
                         "three HTML answers to each bot's polls")
        await author.send(PLATFORM, "/start")
        await author.wait_for_text(PLATFORM, "Это Джипититор")
        await client.send("fault_bot", "/start")
        await client.wait_for_text("fault_bot", "I am Vera")

        # Then a JSON 500 and a 409 (another getUpdates elsewhere) on the tracker bot.
        tg.fail_next("getUpdates", 500, bot="fault_bot")
        tg.fail_next("getUpdates", 409, "Conflict: terminated by other getUpdates request", bot="fault_bot")
        await eventually(lambda: failed_polls(tg, "fault_bot", 409) == 1, "the 409")
        await client.send("fault_bot", "/help")
        await client.wait_for_message("fault_bot", lambda m: not m.is_edit)

    streaks = [r.getMessage() for r in caplog.records if "polling failed" in r.getMessage()]
    assert streaks, "a failed poll is logged"
    assert any("works again after 3 failures" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert PLATFORM_TOKEN.split(":")[1] not in record.getMessage()
        assert token.split(":")[1] not in record.getMessage()


async def test_an_unexpected_error_in_a_poll_does_not_end_it(tg, database_url, tmp_path, monkeypatch):
    monkeypatch.setattr(transport, "MAX_RETRY_PAUSE", 2.0)
    author = tg.user(1092, "Anna", language_code="ru")
    async with running_platform(make_settings(tg, database_url, tmp_path)) as runtime:
        platform_bot = runtime.platform_bot
        session = runtime.transport.session  # the long polls' own session
        real = session.make_request
        raised = []

        async def once_broken(bot, method, timeout=None):
            if bot is platform_bot and not raised:
                raised.append(True)
                raise RuntimeError("something nobody expected")
            return await real(bot, method, timeout)

        monkeypatch.setattr(session, "make_request", once_broken)
        await eventually(lambda: raised, "the broken poll")
        await author.send(PLATFORM, "/start")
        await author.wait_for_text(PLATFORM, "Это Джипититор")
        assert runtime.transport.polling(platform_bot.id)


def test_the_token_is_masked_in_an_error_text():
    error = OSError(f"Cannot connect to host for https://api.telegram.org/bot{tracker_token(5)}/getUpdates")
    text = transport.describe_error(error)
    assert tracker_token(5).split(":")[1] not in text and "/bot200000005:***/getUpdates" in text


def test_retry_pauses_grow_with_jitter_up_to_the_cap():
    for failures, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (7, 60.0), (40, 60.0)]:
        pauses = [transport.retry_pause(failures) for _ in range(50)]
        assert all(ceiling / 2 <= p <= ceiling for p in pauses)
