"""REDIS_URL: FSM and aiogram-dialog state in Redis, keyed per bot, and the cross-worker chat lock.

Needs a real Redis server: `TEST_REDIS_URL=redis://127.0.0.1:6379/0` (`.ci/run` starts one).
The tests empty that Redis database first, so point it at one used by nothing else.
"""

from __future__ import annotations

import asyncio
import os

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.app import _storage
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform, tracker_token

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "").strip()
pytestmark = pytest.mark.skipif(
    not TEST_REDIS_URL, reason="needs a Redis server: set TEST_REDIS_URL=redis://host:port/db (.ci/run does)"
)

PLATFORM = PLATFORM_USERNAME


@pytest.fixture
async def redis_url():
    from redis.asyncio import Redis

    client = Redis.from_url(TEST_REDIS_URL)
    await client.flushdb()
    try:
        yield TEST_REDIS_URL
    finally:
        await client.aclose()


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


async def keys(url: str) -> list[str]:
    from redis.asyncio import Redis

    client = Redis.from_url(url, decode_responses=True)
    try:
        return sorted(await client.keys("*"))
    finally:
        await client.aclose()


async def test_two_bots_keep_separate_state_for_the_same_person(redis_url, tg, database_url, tmp_path):
    settings = make_settings(tg, database_url, tmp_path, redis_url=redis_url)
    storage, isolation = _storage(settings)
    try:
        one = StorageKey(bot_id=111, chat_id=5, user_id=5)
        two = StorageKey(bot_id=222, chat_id=5, user_id=5)
        await storage.set_state(one, "Form:name")
        await storage.set_data(one, {"step": 1})
        await storage.set_data(two, {"step": 2})
        assert await storage.get_state(one) == "Form:name"
        assert await storage.get_state(two) is None
        assert (await storage.get_data(one), await storage.get_data(two)) == ({"step": 1}, {"step": 2})
        stored = await keys(redis_url)
        assert any(":111:" in k for k in stored) and any(":222:" in k for k in stored)
        from redis.asyncio import Redis

        client = Redis.from_url(redis_url)
        try:  # records expire: many bots and people must not fill Redis forever
            ttls = [await client.ttl(k) for k in stored]
            assert all(0 < ttl <= 30 * 86400 for ttl in ttls), ttls
        finally:
            await client.aclose()
        async with isolation.lock(one):  # the events isolation is Redis's too
            pass
    finally:
        await storage.close()


async def test_dialog_state_lives_in_redis_per_bot_and_survives_a_restart(redis_url, tg, database_url, tmp_path):
    """A platform menu opened before a restart still works after it, and a tracker bot's dialog
    keys carry its own bot id beside the platform bot's."""
    token = tracker_token(31)
    tg.add_bot(token, "redis_tracker_bot", "Rex")
    author = tg.user(1031, "Rita", language_code="ru")
    client = tg.user(2031, "Sam", language_code="en")
    settings = make_settings(tg, database_url, tmp_path, redis_url=redis_url)
    async with running_platform(settings):
        await author.send(PLATFORM, "/start")
        menu = await author.wait_for_message(PLATFORM, lambda m: any("➕ Новый трекер" in row for row in m.keyboard))
        await author.click(menu, "➕ Новый трекер")
        await author.wait_for_text(PLATFORM, "@BotFather")
    # The form waits for the token in Redis, not in this process's memory.
    platform_id = int(PLATFORM_TOKEN.split(":")[0])
    assert any(f":{platform_id}:" in k and "aiogd" in k for k in await keys(redis_url))
    async with running_platform(settings):
        await author.send(PLATFORM, token)
        await author.wait_for_text(PLATFORM, "Трекер @redis_tracker_bot запущен")
        await client.send("redis_tracker_bot", "/start")
        await client.wait_for_text("redis_tracker_bot", "I am Rex")
        await client.send("redis_tracker_bot", "/partner")
        await client.wait_for_message("redis_tracker_bot")
    stored = await keys(redis_url)
    tracker_id = int(token.split(":")[0])
    assert any(k.startswith(f"fsm:{tracker_id}:") for k in stored), stored
    assert not any(k.startswith(f"fsm:{platform_id}:{client.id}:") for k in stored)


async def test_chat_lock_serialises_one_client_across_workers(redis_url):
    from redis.asyncio import Redis

    from bot.locks import RedisChatLocks

    # Two workers: two connections, two lock objects, one Redis.
    one, two = Redis.from_url(redis_url), Redis.from_url(redis_url)
    locks_one, locks_two = RedisChatLocks(one, ttl=1.0), RedisChatLocks(two, ttl=1.0)
    inside: list[str] = []
    overlaps = 0

    async def answer(locks: RedisChatLocks, name: str, user_id: int, seconds: float) -> None:
        nonlocal overlaps
        async with locks(7, user_id):
            inside.append(name)
            if len([n for n in inside if n.endswith(f"@{user_id}")]) > 1:
                overlaps += 1
            await asyncio.sleep(seconds)  # longer than ttl / 3: the keeper must renew the lock
            inside.remove(name)

    loop = asyncio.get_running_loop()
    try:
        started = loop.time()
        await asyncio.gather(
            answer(locks_one, "a@1", 1, 1.5), answer(locks_two, "b@1", 1, 1.5),  # the same client
            answer(locks_two, "c@2", 2, 1.5),  # another client is not held up
        )
        took = loop.time() - started
        assert overlaps == 0
        # the two answers to client 1 in turn (a lapsed lock would overlap); the upper bound leaves a
        # loaded machine room, and still shows the second one was not left waiting for its timeout
        assert 3.0 <= took < 8.0
        assert await one.exists(locks_one.key(7, 1)) == 0  # released
    finally:
        await one.aclose()
        await two.aclose()


async def test_a_dead_workers_chat_lock_lapses(redis_url):
    from redis.asyncio import Redis

    from bot.locks import RedisChatLocks

    client = Redis.from_url(redis_url)
    locks = RedisChatLocks(client, ttl=0.5, wait=5)
    try:
        # A worker that died holding the lock: taken, never renewed, never released.
        assert await client.lock(locks.key(7, 3), timeout=0.5).acquire()
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with locks(7, 3):
            waited = loop.time() - started
        assert 0.2 < waited < 4.0  # the dead lock lapses (ttl 0.5 s) well before the 5 s wait gives up
    finally:
        await client.aclose()


async def test_conversation_answers_in_turn_with_the_redis_lock(redis_url, database):
    """The conversation service takes the lock around each answer (llm.conversation.chat_lock)."""
    from redis.asyncio import Redis

    from bot.locks import RedisChatLocks
    from llm.conversation import ConversationService

    client = Redis.from_url(redis_url)
    held: list[bool] = []

    class Probe(ConversationService):
        async def handle(self, request):  # what matters here is only that the lock is held
            held.append(bool(await client.exists(locks.key(request.tracker_id, request.user_id))))
            return "answered"

    locks = RedisChatLocks(client)
    service = Probe(None, default_model="m")  # type: ignore[arg-type]
    service.chat_lock = locks
    try:
        from llm.conversation import Request

        outcome = await service.converse(Request(5, 6, "hi", sink=None))  # type: ignore[arg-type]
        assert outcome == "answered" and held == [True]
        assert not await client.exists(locks.key(5, 6))
    finally:
        await client.aclose()
