"""Pytest fixtures for the fake Telegram server.

Use them with `pytest_plugins = ["tests.fakes.fixtures"]` in a conftest, or import them by name
into a test module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from tests.fakes.telegram import FakeTelegram


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    """A started fake Bot API server; fails the test if the fake itself broke."""
    async with FakeTelegram() as server:
        yield server
    assert not server.internal_errors, f"the fake Telegram server failed: {server.internal_errors}"


@pytest.fixture
async def fake_telegram_session(fake_telegram: FakeTelegram) -> AsyncIterator[AiohttpSession]:
    """One aiogram session pointed at the fake, shared by bots as in the product; closed after."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake_telegram.base_url))
    yield session
    await session.close()


@pytest.fixture
def make_bot(fake_telegram: FakeTelegram,
             fake_telegram_session: AiohttpSession) -> Callable[..., Bot]:
    """Register a bot on the fake and return an aiogram Bot for it: make_bot(token, username)."""

    def make(token: str, username: str | None = None, first_name: str | None = None) -> Bot:
        fake_telegram.add_bot(token, username, first_name)
        return Bot(token, session=fake_telegram_session)

    return make
