"""150 bots polling in one process: every long poll holds a connection for the whole poll, and
still a send answers while all of them are held open (the polls have their own connection pool;
on one shared pool of 100, the send waited for a poll to end)."""

from __future__ import annotations

import asyncio
import time

from bot import db
from bot.crypto import SecretBox
from models import Tracker, User
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform, tracker_token
from tests.waiting import eventually, scaled

BOTS = 150


async def add_trackers(settings, count: int) -> list[str]:
    """Tracker rows as if their authors had created them; their tokens."""
    box = SecretBox(settings.secret_key.get_secret_value())
    tokens = [tracker_token(300 + n) for n in range(count)]
    await db.init(settings.database_url, run_migrations=False)
    try:
        await User.create(id=1099, first_name="Anna", language_code="en")
        for n, token in enumerate(tokens):
            await Tracker.create(bot_id=int(token.split(":")[0]), username=f"fleet{n}_bot", name=f"Fleet {n}",
                                 author_id=1099, token_encrypted=box.encrypt(token))
    finally:
        await db.close()
    return tokens


async def test_a_send_answers_while_150_long_polls_are_held_open(fake_telegram, database_url, tmp_path):
    tg = fake_telegram
    tg.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    # Long polls of a minute: any poll that ends early during the test was answered, not timed out.
    settings = make_settings(tg, database_url, tmp_path, polling_timeout=60)
    tokens = await add_trackers(settings, BOTS)
    for n, token in enumerate(tokens):
        tg.add_bot(token, f"fleet{n}_bot", f"Fleet {n}")
    admin = tg.user(1098, "Ada", language_code="en")
    client = tg.user(2098, "Bob", language_code="en")
    async with running_platform(settings) as runtime:
        await eventually(lambda: tg.open_polls == BOTS + 1, f"all {BOTS + 1} long polls held open", timeout=120)
        assert runtime.transport.alive == BOTS + 1

        # A tracker's answer to a client: its own poll returns with the update, the others stay held.
        await client.send(f"fleet{BOTS - 1}_bot", "/start")
        await client.wait_for_text(f"fleet{BOTS - 1}_bot", "Fleet", timeout=scaled(30))
        assert tg.open_polls >= BOTS

        # A send of the platform bot on its own: it completes within a second while every poll is
        # still held (on the old shared pool it waited the whole 30 s poll for a free connection).
        tg._conversation(tg.bot(PLATFORM_USERNAME), admin.chat).opened = True
        started = time.monotonic()
        sent = await asyncio.wait_for(runtime.notify(admin.id, "ping"), timeout=scaled(30))
        took = time.monotonic() - started
        assert sent and tg.open_polls >= BOTS
        assert took < 1.0, f"a send with {BOTS + 1} polls held open took {took:.2f} s"
        assert admin.last_message(PLATFORM_USERNAME).text == "ping"
