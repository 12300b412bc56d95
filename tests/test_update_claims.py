"""The claims behind "each update once" (bot.updates), on the database (SQLite or PostgreSQL) and
on Redis: a second claim of a handled update is DONE, of one in hand BUSY, of one whose holder
died (stopped renewing) it is taken over; a handler that raised is not run again."""

from __future__ import annotations

import asyncio
import os
import uuid

import aiohttp
import pytest
from aiogram import Bot, Dispatcher

from bot.crypto import SecretBox, generate_key
from bot.transport import WebhookServer
from bot.updates import Claim, DbClaims, Outcome, RedisClaims, UpdateGate
from models import UpdateClaim
from tests.e2e.harness import free_port, tracker_token
from tests.waiting import eventually, stays

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "").strip()


async def test_database_claims_done_busy_and_taken_over(database):
    first, second = DbClaims(lease=60), DbClaims(lease=60)
    assert await first.claim(7, 1) is Claim.OURS
    assert await second.claim(7, 1) is Claim.BUSY
    assert await second.claim(8, 1) is Claim.OURS  # update ids are per bot
    await first.finish(7, 1)
    assert await second.claim(7, 1) is Claim.DONE
    assert await first.claim(7, 1) is Claim.DONE


async def test_a_claim_whose_holder_stopped_renewing_is_taken_over(database):
    # The lease is the claimer's: `patient` waits a minute for a silent holder, `eager` half a second.
    dead, patient, eager = DbClaims(lease=60), DbClaims(lease=60), DbClaims(lease=0.5)
    assert await dead.claim(7, 2) is Claim.OURS  # and then its process died
    assert await patient.claim(7, 2) is Claim.BUSY
    await eventually(lambda: _claims(eager, 7, 2), "the lapsed claim to be taken over")
    await dead.finish(7, 2)  # the dead holder's late word changes nothing: it no longer holds it
    row = await UpdateClaim.get(bot_id=7, update_id=2)
    assert row.holder == eager.holder and row.done_at is None
    await eager.renew(7, 2)
    assert await patient.claim(7, 2) is Claim.BUSY
    await eager.finish(7, 2)
    assert await patient.claim(7, 2) is Claim.DONE


async def _claims(claims: DbClaims | RedisClaims, bot_id: int, update_id: int) -> bool:
    return await claims.claim(bot_id, update_id) is Claim.OURS


async def test_the_gate_runs_a_handler_once_and_a_failed_one_is_not_retried(database):
    seen: list[tuple[str, Outcome]] = []
    gate = UpdateGate(DbClaims(lease=60), platform_bot_id=1, observe=lambda kind, o, s: seen.append((kind, o)))
    runs: list[int] = []

    async def handler() -> None:
        runs.append(1)

    async def broken() -> None:
        runs.append(2)
        raise RuntimeError("a bug")

    assert await gate.run(5, 10, handler, can_retry=True) is Outcome.HANDLED
    assert await gate.run(5, 10, handler, can_retry=True) is Outcome.DUPLICATE
    assert await gate.run(5, 11, broken, can_retry=True) is Outcome.FAILED
    assert await gate.run(5, 11, broken, can_retry=True) is Outcome.DUPLICATE
    assert await gate.run(1, 10, handler, can_retry=False) is Outcome.HANDLED
    assert runs == [1, 2, 1]
    assert seen == [("tracker", Outcome.HANDLED), ("tracker", Outcome.DUPLICATE), ("tracker", Outcome.FAILED),
                    ("tracker", Outcome.DUPLICATE), ("platform", Outcome.HANDLED)]


async def test_an_update_in_hand_elsewhere_is_busy_and_a_long_handler_keeps_its_claim(database):
    # The holder renews every 0.1 s; the other takes a claim silent for 1.5 s.
    lease = 1.5
    gate, other = UpdateGate(DbClaims(lease=0.3)), UpdateGate(DbClaims(lease=lease))
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow() -> None:
        started.set()
        await release.wait()

    first = asyncio.create_task(gate.run(5, 20, slow, can_retry=True))
    await started.wait()
    assert await other.run(5, 20, slow, can_retry=True) is Outcome.BUSY


    async def busy() -> bool:
        return await other.run(5, 20, slow, can_retry=True) is Outcome.BUSY

    # For three leases the handler runs on, renewing its claim: nobody takes it over.
    await stays(busy, "a living handler keeps its claim", for_seconds=3 * lease)
    release.set()
    assert await first is Outcome.HANDLED
    assert await other.run(5, 20, slow, can_retry=True) is Outcome.DUPLICATE


async def test_a_claim_that_cannot_be_written_is_retried_by_a_webhook_and_handled_by_a_poll():
    class Away:
        lease = 60.0

        async def claim(self, bot_id: int, update_id: int) -> Claim:
            raise ConnectionError("the database is away")

        async def renew(self, bot_id: int, update_id: int) -> None: ...
        async def finish(self, bot_id: int, update_id: int) -> None: ...

    gate = UpdateGate(Away())
    runs: list[int] = []

    async def handler() -> None:
        runs.append(1)

    assert await gate.run(5, 30, handler, can_retry=True) is Outcome.UNCLAIMED  # Telegram sends it again
    assert await gate.run(5, 30, handler, can_retry=False) is Outcome.HANDLED  # a poll cannot: handle it
    assert runs == [1]


@pytest.mark.skipif(not TEST_REDIS_URL, reason="needs a Redis server: set TEST_REDIS_URL=redis://host:port/db")
async def test_redis_claims_done_busy_and_lapsed():
    from redis.asyncio import Redis

    redis = Redis.from_url(TEST_REDIS_URL)
    bot_id = int(uuid.uuid4().int % 10**9)  # keys of their own on a shared server
    try:
        first, second = RedisClaims(redis, lease=2, window=60), RedisClaims(redis, lease=2, window=60)
        assert await first.claim(bot_id, 1) is Claim.OURS
        assert await second.claim(bot_id, 1) is Claim.BUSY
        await first.finish(bot_id, 1)
        assert await second.claim(bot_id, 1) is Claim.DONE
        assert 0 < await redis.ttl(f"gptitor:update:{bot_id}:1") <= 60

        assert await first.claim(bot_id, 2) is Claim.OURS  # and then its process died
        await eventually(lambda: _claims(second, bot_id, 2), "the lapsed claim to be taken over")
    finally:
        await redis.delete(f"gptitor:update:{bot_id}:1", f"gptitor:update:{bot_id}:2")
        await redis.aclose()


async def test_a_webhook_redelivery_during_a_slow_answer_is_told_to_come_back_then_acknowledged(database):
    """Telegram gave up waiting for a slow answer and sends the update again: 503 while the first
    is in hand (Telegram retries), 200 once it is done; the handler ran once."""
    box = SecretBox(generate_key())
    release, started = asyncio.Event(), asyncio.Event()
    runs: list[int] = []
    dp = Dispatcher()

    @dp.message()
    async def slow(message: object) -> None:
        runs.append(1)
        started.set()
        await release.wait()

    async def unauthorized(bot_id: int) -> None: ...

    port = free_port()
    server = WebhookServer(box, f"http://127.0.0.1:{port}", "127.0.0.1", port, unauthorized,
                           gate=UpdateGate(DbClaims(lease=60)))
    bot = Bot(tracker_token(64))
    server.adopt(bot, dp)  # no call to Telegram
    await server.start()
    update = {"update_id": 5, "message": {"message_id": 1, "date": 0, "chat": {"id": 9, "type": "private"},
                                          "from": {"id": 9, "is_bot": False, "first_name": "Bob"}, "text": "hi"}}
    url = f"http://127.0.0.1:{port}/webhook/tracker/{bot.id}"
    headers = {"X-Telegram-Bot-Api-Secret-Token": box.webhook_secret(bot.id)}
    try:
        async with aiohttp.ClientSession() as http:
            async def deliver() -> int:
                async with http.post(url, json=update, headers=headers) as resp:
                    return resp.status

            first = asyncio.create_task(deliver())
            await started.wait()
            assert await deliver() == 503
            release.set()
            assert await first == 200
            assert await deliver() == 200
        assert runs == [1]
    finally:
        await server.stop()
        await bot.session.close()


async def test_a_polled_update_in_hand_elsewhere_waits_for_its_holder(database):
    """A poll cannot be asked again: an update the previous process holds is waited for, then
    skipped if that process finished it, or handled once its claim lapsed (it died)."""

    class Counted(DbClaims):
        asked = 0

        async def claim(self, bot_id: int, update_id: int) -> Claim:
            self.asked += 1
            return await super().claim(bot_id, update_id)

    before, patient, eager = DbClaims(lease=60), Counted(lease=60), DbClaims(lease=0.5)
    runs: list[int] = []

    async def handler() -> None:
        runs.append(1)

    assert await before.claim(5, 40) is Claim.OURS  # and the process goes on to finish it
    assert await before.claim(5, 41) is Claim.OURS  # and the process dies
    finishing = asyncio.create_task(UpdateGate(patient).run(5, 40, handler, can_retry=False))
    await eventually(lambda: patient.asked >= 1, "the first claim (busy)")
    await before.finish(5, 40)
    assert await finishing is Outcome.DUPLICATE
    assert patient.asked >= 2  # it waited and asked again
    assert await UpdateGate(eager).run(5, 41, handler, can_retry=False) is Outcome.HANDLED
    assert runs == [1]
