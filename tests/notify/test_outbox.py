"""The outbox's delivery against the fake Telegram server: order per chat, pacing, 429, retries,
dead events for the admin, a channel that went away, claims that expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.registry import BotRegistry
from models import ChannelStatus, OutboxEvent, OutboxStatus, PartnerChannel, User
from notify import events, outbox
from notify.outbox import PLATFORM_BOT, enqueue
from services.outbox import MAX_ATTEMPTS, OutboxWorker
from tests.billing.helpers import make_tracker

PLATFORM = "100000001:" + "P" * 35
TRACKER = "200000077:" + "T" * 35


@pytest.fixture
async def world(database, fake_telegram):
    tg = fake_telegram
    tg.add_bot(PLATFORM, "gptitor_bot")
    tg.add_bot(TRACKER, "vera_bot")
    owner = tg.user(501, "Olga", language_code="en")
    await owner.send("vera_bot", "/start")  # so the tracker bot may write to her
    channel_chat = tg.create_channel("Olga's news", owner)
    tg.set_member(channel_chat, tg.bot("vera_bot"), "administrator")
    registry = BotRegistry(tg.base_url)
    registry.add(TRACKER)
    platform = registry.make(PLATFORM)
    tracker = await make_tracker(author_id=1, bot_id=200000077)
    await User.create(id=owner.id, first_name="Olga", language_code="en")
    channel = await PartnerChannel.create(tracker=tracker, owner_id=owner.id, chat_id=channel_chat.id,
                                          title="Olga's news", events=list(events.CHANNEL_KINDS))
    worker = OutboxWorker(registry, platform, worker_id="w1")
    try:
        yield {"tg": tg, "owner": owner, "chat": channel_chat, "tracker": tracker, "channel": channel,
               "worker": worker}
    finally:
        await registry.close()


async def _post(w, n: int, *, chat_id=None, key=None) -> None:
    await enqueue(None, kind=events.START, bot_id=w["tracker"].bot_id, chat_id=chat_id or w["chat"].id,
                  dedupe_key=key or f"t:{n}", params={"tracker": "Vera", "name": f"N{n}"}, language="en",
                  tracker_id=w["tracker"].id, channel_id=w["channel"].id if chat_id is None else None)


async def test_only_the_head_of_each_chat_is_claimed_and_order_holds(world):
    w = world
    for n in range(3):
        await _post(w, n)
    await _post(w, 9, chat_id=w["owner"].id, key="private")
    first = await outbox.claim("a:1")
    assert [(e.chat_id, e.params["name"]) for e in first] == [(w["chat"].id, "N0"), (w["owner"].id, "N9")]
    # N1 is not claimable while N0 is claimed, by this worker or any other.
    assert await outbox.claim("b:1") == []
    # A claim of a worker that died expires, and the same head goes to the next worker.
    later = datetime.now(UTC) + timedelta(seconds=outbox.CLAIM_SECONDS + 1)
    again = await outbox.claim("b:2", now=later)
    assert [e.id for e in again] == [e.id for e in first]


async def test_posts_go_out_once_in_order_and_paced(world):
    w = world
    for n in range(3):
        await _post(w, n)
    await _post(w, 0)  # the same fact again: nothing new
    assert await OutboxEvent.all().count() == 3
    worker = w["worker"]
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0  # N1 waits for the channel's pace
    far = datetime.now(UTC) + timedelta(seconds=10)
    assert await worker.run_once(now=far) == 1
    assert await worker.run_once(now=far + timedelta(seconds=10)) == 1
    posts = [p.text for p in w["tg"].channel_posts(w["chat"], "vera_bot")]
    assert posts == [f"👋 Vera: N{n} opened the bot through your link." for n in range(3)]
    assert await OutboxEvent.filter(status=OutboxStatus.SENT).count() == 3


async def test_a_429_waits_retry_after_and_the_post_arrives_once(world):
    w = world
    await _post(w, 0)
    await _post(w, 1)
    w["tg"].fail_next("sendMessage", 429, retry_after=7, bot="vera_bot")
    worker = w["worker"]
    assert await worker.run_once() == 1
    event = await OutboxEvent.get(dedupe_key="t:0")
    assert event.status == OutboxStatus.PENDING and event.attempts == 0
    wait = (event.next_attempt_at - datetime.now(UTC)).total_seconds()
    assert 5 < wait <= 7
    assert await worker.run_once(now=datetime.now(UTC) + timedelta(seconds=5)) == 0  # neither N0 nor N1
    assert await worker.run_once(now=datetime.now(UTC) + timedelta(seconds=8)) == 1
    assert await worker.run_once(now=datetime.now(UTC) + timedelta(seconds=20)) == 1
    posts = [p.text for p in w["tg"].channel_posts(w["chat"], "vera_bot")]
    assert [p.split(": ")[1][:2] for p in posts] == ["N0", "N1"]


async def test_other_errors_back_off_then_the_event_is_dead_and_can_be_retried(world):
    w = world
    await _post(w, 0)
    w["tg"].fail_next("sendMessage", 500, bot="vera_bot", times=MAX_ATTEMPTS)
    worker = w["worker"]
    now = datetime.now(UTC)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        now += timedelta(hours=1)
        assert await worker.run_once(now=now) == 1
        event = await OutboxEvent.get(dedupe_key="t:0")
        assert event.attempts == attempt
    assert event.status == OutboxStatus.DEAD and "Internal Server Error" in event.last_error
    assert await outbox.count_undelivered() == 1
    assert [e.id for e in await outbox.undelivered(10, 0)] == [event.id]
    assert w["tg"].channel_posts(w["chat"], "vera_bot") == []

    assert await outbox.retry(event.id) is True
    assert await outbox.retry(event.id) is False  # not dead any more
    assert await worker.run_once() == 1
    assert (await OutboxEvent.get(id=event.id)).status == OutboxStatus.SENT
    assert len(w["tg"].channel_posts(w["chat"], "vera_bot")) == 1
    assert await outbox.count_undelivered() == 0


async def test_a_removed_bot_disconnects_the_channel_skips_its_events_and_tells_the_owner(world):
    w = world
    for n in range(3):
        await _post(w, n)
    w["tg"].set_member(w["chat"], w["tg"].bot("vera_bot"), "left")
    assert await w["worker"].run_once() == 1
    assert (await PartnerChannel.get(id=w["channel"].id)).status == ChannelStatus.DISCONNECTED
    statuses = await OutboxEvent.all().order_by("id").values_list("status", flat=True)
    assert statuses == [OutboxStatus.SKIPPED] * 3
    told = await w["owner"].wait_for_text("vera_bot", "is disconnected from")
    assert "Olga's news" in told.text
    assert await w["worker"].run_once() == 0


async def test_a_private_chat_that_cannot_be_written_to_is_dead_at_once(world):
    w = world
    stranger = w["tg"].user(777, "Ivan")
    await enqueue(None, kind=events.PAYOUT, bot_id=PLATFORM_BOT, chat_id=stranger.id, dedupe_key="p",
                  params={"status": "paid", "amount": 150_050}, language="ru")
    assert await w["worker"].run_once() == 1
    event = await OutboxEvent.get(dedupe_key="p")
    assert event.status == OutboxStatus.DEAD and "Forbidden" in event.last_error
    # Once the person starts the platform bot, the admin's retry delivers it from the platform bot.
    await stranger.send("gptitor_bot", "/start")
    assert await outbox.retry(event.id)
    assert await w["worker"].run_once() == 1
    got = await stranger.wait_for_text("gptitor_bot", "Выплата 1 500,50 ₽ отправлена.")
    assert got.chat_id == stranger.id


async def test_an_event_turned_off_before_delivery_is_skipped(world):
    w = world
    await _post(w, 0)
    await PartnerChannel.filter(id=w["channel"].id).update(events=["payout"])
    assert await w["worker"].run_once() == 1
    assert (await OutboxEvent.get(dedupe_key="t:0")).status == OutboxStatus.SKIPPED
    assert w["tg"].channel_posts(w["chat"], "vera_bot") == []


async def test_a_stop_releases_claims(world):
    w = world
    await _post(w, 0)
    assert len(await outbox.claim("w1:99")) == 1
    assert await outbox.claim("other:1") == []
    await outbox.release("w1")
    assert len(await outbox.claim("other:2")) == 1
