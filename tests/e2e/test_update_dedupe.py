"""Each update is handled once (issue 15): a webhook update Telegram delivers again, a polled one
that comes again after a restart, and one delivered to two workers at once are answered once.

The fake Telegram server redelivers an update with its own update_id (`FakeTelegram.redeliver`),
as Telegram does after a webhook answer it did not get in time, or to a poller that restarted
before its next getUpdates confirmed the offset.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import REGISTRY

from bot.crypto import SecretBox, generate_key
from models import Tracker, UpdateClaim, User
from tests.conftest import ON_POSTGRES
from tests.e2e.harness import (
    PLATFORM_TOKEN,
    PLATFORM_USERNAME,
    forget_claims,
    free_port,
    make_settings,
    running_platform,
    tracker_token,
)
from tests.e2e.test_workers import Workers
from tests.waiting import eventually

REPO = Path(__file__).resolve().parents[2]
GREETING = "I am Vera"


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


def updates_counted(outcome: str, bot: str = "tracker") -> float:
    return REGISTRY.get_sample_value("gptitor_updates_total", {"bot": bot, "outcome": outcome}) or 0.0


async def serve_new_tracker(runtime, token: str, username: str, author_id: int) -> Tracker:
    await User.get_or_create(id=author_id, defaults={"first_name": "Author"})
    tracker = await Tracker.create(bot_id=int(token.split(":")[0]), username=username, name="Vera",
                                   author_id=author_id, token_encrypted=runtime.box.encrypt(token))
    await runtime.serve_tracker(tracker)
    return tracker


def greetings(client, bot: str) -> int:
    return sum(GREETING in m.plain for m in client.messages(bot))


def last_update_id(tg, bot: str) -> int:
    return max(tg.bot(bot).pushed_updates)


TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "").strip()
STORES = ["database", pytest.param("redis", marks=pytest.mark.skipif(
    not TEST_REDIS_URL, reason="needs a Redis server: set TEST_REDIS_URL=redis://host:port/db"))]


@pytest.mark.parametrize("store", STORES)
async def test_a_redelivered_webhook_update_is_acknowledged_and_not_handled_again(tg, database_url, tmp_path, store):
    token = tracker_token(61)
    tg.add_bot(token, "vera_bot", "Vera")
    client = tg.user(2061, "Bob", language_code="en")
    port = free_port()
    redis = {"redis_url": TEST_REDIS_URL} if store == "redis" else {}
    if store == "redis":  # claims a run that failed left on a shared server
        await forget_claims(TEST_REDIS_URL, int(token.split(":")[0]))
    settings = make_settings(tg, database_url, tmp_path, webhook_base_url=f"http://127.0.0.1:{port}",
                             webhook_host="127.0.0.1", webhook_port=port, **redis)
    async with running_platform(settings, webhook=True) as runtime:
        await serve_new_tracker(runtime, token, "vera_bot", 1061)
        await client.send("vera_bot", "/start")
        await client.wait_for_text("vera_bot", GREETING)
        await tg.wait_until_delivered("vera_bot")
        update_id = last_update_id(tg, "vera_bot")
        handled, duplicates = updates_counted("handled"), updates_counted("duplicate")

        tg.redeliver("vera_bot", update_id)
        await tg.wait_until_delivered("vera_bot")
        answers = [d.status for d in tg.bot("vera_bot").webhook_deliveries if d.update_id == update_id]
        assert answers == [200, 200]  # acknowledged both times: Telegram stops sending it
        assert updates_counted("duplicate") == duplicates + 1
        assert updates_counted("handled") == handled
        assert greetings(client, "vera_bot") == 1
        bot_id = int(token.split(":")[0])
        if store == "redis":  # the claim is a Redis key that expires with the update-id window
            key = f"gptitor:update:{bot_id}:{update_id}"
            assert await runtime.storage.redis.get(key) == b"done"
            assert 0 < await runtime.storage.redis.ttl(key) <= 48 * 3600
            assert not await UpdateClaim.filter(bot_id=bot_id).exists()
        else:
            claim = await UpdateClaim.get(bot_id=bot_id, update_id=update_id)
            assert claim.done_at is not None


async def test_a_polled_update_that_comes_again_after_a_restart_is_not_handled_again(tg, database_url, tmp_path):
    token = tracker_token(62)
    tg.add_bot(token, "vera_bot", "Vera")
    client = tg.user(2062, "Ann", language_code="en")
    settings = make_settings(tg, database_url, tmp_path)
    async with running_platform(settings) as runtime:
        await serve_new_tracker(runtime, token, "vera_bot", 1062)
        await client.send("vera_bot", "/start")
        await client.wait_for_text("vera_bot", GREETING)
        await tg.wait_until_delivered("vera_bot")
    # The poll that confirmed it never reached Telegram: after the restart it comes again.
    update_id = last_update_id(tg, "vera_bot")
    tg.redeliver("vera_bot", update_id)
    handled, duplicates = updates_counted("handled"), updates_counted("duplicate")
    async with running_platform(settings):
        await eventually(lambda: updates_counted("duplicate") > duplicates, "the repeated update to be recognised")
        await tg.wait_until_delivered("vera_bot")
        await client.send("vera_bot", "/help")  # and the bot goes on answering new ones
        await client.wait_for_message("vera_bot", lambda m: GREETING not in m.plain and not m.is_edit)
    assert greetings(client, "vera_bot") == 1
    assert updates_counted("handled") == handled + 1  # the /help only


# -- two workers on one PostgreSQL database ---------------------------------------------------------


@pytest.mark.skipif(not ON_POSTGRES, reason="two worker processes need one PostgreSQL database: "
                                            "set TEST_DATABASE_URL")
@pytest.mark.timeout(300)
async def test_one_update_delivered_to_two_workers_at_once_is_answered_once(tg, database, tmp_path):
    tg.webhook_timeout = 30
    key = generate_key()
    box = SecretBox(key)
    token = tracker_token(63)
    bot_id = int(token.split(":")[0])
    tg.add_bot(token, "vera_bot", "Vera")
    await User.create(id=1063, first_name="Author")
    await Tracker.create(bot_id=bot_id, username="vera_bot", name="Vera", author_id=1063,
                         token_encrypted=box.encrypt(token))
    ports = [free_port(), free_port()]
    base = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "DATABASE_URL"))},
        "BOT_TOKEN": PLATFORM_TOKEN, "SECRET_KEY": key, "DATABASE_URL": database,
        "TELEGRAM_API_BASE": tg.base_url, "WEBHOOK_HOST": "127.0.0.1", "PYTHONPATH": str(REPO),
    }
    workers = Workers(tmp_path, base)
    try:
        for index, port in enumerate(ports):  # each on its own port, so the test can choose the worker
            workers.env = {**base, "WEBHOOK_PORT": str(port), "WEBHOOK_BASE_URL": f"http://127.0.0.1:{port}"}
            workers.start(index)
        for index in (0, 1):
            await eventually(lambda i=index: any(r.get("event") == "ready" for r in workers.reports(i))
                             or workers.procs[i].poll() is not None, f"worker {index} to start", timeout=120)
            assert workers.procs[index].poll() is None, workers.log(index)

        clients = [tg.user(2100 + n, f"c{n}", language_code="en") for n in range(5)]
        headers = {"X-Telegram-Bot-Api-Secret-Token": box.webhook_secret(bot_id)}
        async with aiohttp.ClientSession() as http:
            async def post(port: int, update: dict) -> int:
                async with http.post(f"http://127.0.0.1:{port}/webhook/tracker/{bot_id}", json=update,
                                     headers=headers) as resp:
                    return resp.status

            for client in clients:
                # Telegram delivers it to worker 0 while both workers get it once more at once.
                await client.send("vera_bot", "/start")
                update = tg.bot("vera_bot").pushed_updates[last_update_id(tg, "vera_bot")]
                statuses = await asyncio.gather(post(ports[0], update), post(ports[1], update))
                # each 200 (handled, or handled already) or 503 (in hand elsewhere: Telegram retries)
                assert set(statuses) <= {200, 503}, statuses
                await client.wait_for_text("vera_bot", GREETING)
            await tg.wait_until_delivered("vera_bot")
            # Late redeliveries to either worker are acknowledged.
            for client_update in list(tg.bot("vera_bot").pushed_updates.values()):
                assert await post(ports[0], client_update) == 200
                assert await post(ports[1], client_update) == 200
        for client in clients:
            assert greetings(client, "vera_bot") == 1, client
        assert await UpdateClaim.filter(bot_id=bot_id, done_at__isnull=False).count() == len(clients)
    except BaseException:
        for index in workers.procs:
            print(f"--- worker {index} log (tail) ---\n{workers.log(index)}")
        raise
    finally:
        workers.stop()
