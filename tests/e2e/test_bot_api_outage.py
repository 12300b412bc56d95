"""A Bot API that goes away after the start is waited for, not fatal (issue 15): the platform runs
through an outage (connections cut, new ones refused) and answers what came in meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from bot import transport
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform
from tests.waiting import eventually

PLATFORM = PLATFORM_USERNAME


class Relay:
    """TCP between the platform and the fake Bot API, on a port of its own, that can be cut: open
    connections reset, new ones refused, as when a route or a proxy goes down; and restored."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._open):
            writer.transport.abort()
        await self._server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._open.update((writer, up_writer))

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            self._open.difference_update((writer, up_writer))


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


async def test_the_platform_waits_out_an_outage_of_the_bot_api(tg, database_url, tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(transport, "MAX_RETRY_PAUSE", 2.0)  # the same backoff, capped for the test
    caplog.set_level(logging.INFO, logger="bot.supervisor")  # the polling loops log there
    relay = Relay(int(tg.base_url.rsplit(":", 1)[1]))
    await relay.up()
    ann = tg.user(1500, "Ann", language_code="en")
    bob = tg.user(1501, "Bob", language_code="en")
    async with running_platform(make_settings(tg, database_url, tmp_path, telegram_api_base=relay.base_url)):
        await ann.send(PLATFORM, "/start")
        await ann.wait_for_text(PLATFORM, "New tracker")

        await relay.cut()
        await eventually(lambda: any("polling failed" in r.getMessage() for r in caplog.records),
                         "the platform noticing the outage")
        await bob.send(PLATFORM, "/start")  # Telegram keeps it until the platform can fetch it

        await relay.up()  # the same port again
        await bob.wait_for_text(PLATFORM, "New tracker")
        await ann.send(PLATFORM, "/start")
        await ann.wait_for_text(PLATFORM, "New tracker")
    assert any("polling works again" in r.getMessage() for r in caplog.records)
