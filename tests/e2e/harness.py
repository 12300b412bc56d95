"""Starts the real platform (`bot.app.run_platform`, what `gptitor run` calls) against the fake
Telegram server, in the test's event loop, and stops it cleanly."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.app import Runtime, run_platform
from bot.config import Settings, load_settings
from bot.crypto import generate_key
from tests.fakes.telegram import FakeTelegram
from tests.waiting import scaled

PLATFORM_TOKEN = "100000001:" + "P" * 35
PLATFORM_USERNAME = "gptitor_bot"


def tracker_token(n: int) -> str:
    return f"{200000000 + n}:" + "T" * 34 + str(n % 10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_settings(tg: FakeTelegram, database_url: str, tmp_path, **overrides) -> Settings:
    values = dict(
        bot_token=PLATFORM_TOKEN,
        secret_key=generate_key(),
        telegram_api_base=tg.base_url,
        database_url=database_url,
        polling_timeout=1,
        secret_key_file=tmp_path / "secret.key",
        metrics_port=0,  # any free port: tests run side by side
    )
    values.update(overrides)
    return load_settings(**values)


@asynccontextmanager
async def running_platform(settings: Settings, *, webhook: bool = False) -> AsyncIterator[Runtime]:
    stop = asyncio.Event()
    ready: asyncio.Future[Runtime] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run_platform(settings, webhook=webhook, stop=stop, on_ready=ready.set_result))
    done, _ = await asyncio.wait({task, ready}, timeout=scaled(60), return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        task.result()  # raises what stopped it
    if ready not in done:
        task.cancel()
        raise TimeoutError(f"the platform did not start in {scaled(60):.0f} s")
    try:
        yield ready.result()
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def forget_claims(redis_url: str, bot_id: int) -> None:
    """Drop a bot's update claims from a Redis server that outlives the test (the fake Bot API
    numbers updates from 1 for each bot, so a second run on the same server would find them
    handled and only acknowledge them)."""
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        stale = [key async for key in client.scan_iter(f"gptitor:update:{bot_id}:*")]
        if stale:
            await client.delete(*stale)
    finally:
        await client.aclose()
