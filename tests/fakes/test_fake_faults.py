"""The fake Bot API fails the ways a real network in front of Telegram does: a reset connection,
a request held past the client's timeout, 429 with retry_after, 409, an HTML page, and a share of
calls failing at random for load runs."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramConflictError, TelegramNetworkError, TelegramRetryAfter

from tests.fakes.fixtures import fake_telegram, fake_telegram_session, make_bot  # noqa: F401
from tests.fakes.telegram import CHAOS_MODES, FakeTelegram

TOKEN = "4343:AAfault-token_x"


@pytest.fixture
def bot(make_bot) -> Bot:
    return make_bot(TOKEN, "fault_bot", "Fault")


async def test_a_reset_connection_is_a_network_error_and_the_next_call_works(fake_telegram, bot):
    fake_telegram.fail_next("getMe", reset=True)
    with pytest.raises(TelegramNetworkError):
        await bot.get_me()
    assert fake_telegram.calls_to("getMe")[-1].error == "connection reset"
    assert (await bot.get_me()).username == "fault_bot"


async def test_a_held_request_times_out_on_the_client(fake_telegram, bot):
    fake_telegram.fail_next("getMe", hold=5)
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.get_me(request_timeout=1)
    assert (await bot.get_me()).username == "fault_bot"


async def test_a_held_request_answers_late_when_the_client_waits(fake_telegram, bot):
    fake_telegram.fail_next("getMe", hold=0.2)
    assert (await bot.get_me(request_timeout=20)).username == "fault_bot"


async def test_429_carries_retry_after_and_409_is_a_conflict(fake_telegram, bot):
    fake_telegram.fail_next("getUpdates", 429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as error:
        await bot.get_updates(timeout=0)
    assert error.value.retry_after == 3
    fake_telegram.fail_next("getUpdates", 409, "Conflict: terminated by other getUpdates request")
    with pytest.raises(TelegramConflictError):
        await bot.get_updates(timeout=0)
    assert await bot.get_updates(timeout=0) == []


async def test_a_share_of_calls_fails_at_random_and_only_for_the_chosen_methods(fake_telegram: FakeTelegram, bot):
    fake_telegram.fail_share(0.5, methods=("getMe",), modes=tuple(m for m in CHAOS_MODES if m != "hold"), seed=7)
    failed = 0
    for _ in range(40):
        try:
            await bot.get_me()
        except Exception:  # noqa: BLE001 - every failure mode counts
            failed += 1
    assert 5 <= failed <= 35
    assert sum(fake_telegram.chaos_counts.values()) == failed
    assert await bot.get_webhook_info() is not None  # not a chosen method: never fails
    fake_telegram.fail_share(0)
    assert (await bot.get_me()).username == "fault_bot"
