"""The queue of Stars cancellations and its worker (issue 19), without the platform: the tracker
bot talks to the fake Bot API over HTTP. What the press writes, what Telegram's refusals do to a
row, and that two workers never work one bot at once."""

from __future__ import annotations

import pytest

from billing.payments import stars_cancellations as queue
from bot.crypto import SecretBox, generate_key
from bot.registry import BotRegistry
from models import (
    AutoRenewal,
    OutboxEvent,
    PaymentProvider,
    PlanKind,
    StarsCancellation,
    StarsCancelStatus,
    Tracker,
    User,
)
from services import stars_cancel
from services.stars_cancel import StarsCancelWorker
from tests.e2e.harness import tracker_token
from tests.e2e.test_stars_cancel_many import cancellations, seed_stars_clients, tells

BOX = SecretBox(generate_key())


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setattr(stars_cancel, "CALL_GAP", 0.0)


@pytest.fixture
async def registry(fake_telegram):
    registry = BotRegistry(fake_telegram.base_url)
    yield registry
    await registry.close()


async def tracker_bot(tg, n: int) -> Tracker:
    token = tracker_token(n)
    fake = tg.add_bot(token, f"queue{n}_bot", "Queue")
    author, _ = await User.get_or_create(id=900 + n, defaults={"first_name": "Anna"})
    return await Tracker.create(bot_id=fake.id, username=f"queue{n}_bot", name="Queue", author=author,
                                token_encrypted=BOX.encrypt(token))


async def drain(worker: StarsCancelWorker) -> None:
    while await worker.run_once():
        pass


async def test_a_delete_after_a_pause_keeps_one_row_per_client_and_says_deleted(database, fake_telegram, registry):
    tracker = await tracker_bot(fake_telegram, 61)
    await seed_stars_clients(fake_telegram, tracker, 3, first_id=61000)
    await User.create(id=61099, first_name="Card")
    await AutoRenewal.create(tracker_id=tracker.id, user_id=61099, provider=PaymentProvider.YOOKASSA,
                             method_id="pm-1", plan_kind=PlanKind.MONTH)

    assert await queue.enqueue(None, tracker.id, queue.PAUSED) == 3  # Stars only: YooKassa renews nothing by itself
    assert await queue.enqueue(None, tracker.id, queue.DELETED) == 3
    rows = await StarsCancellation.filter(tracker_id=tracker.id)
    assert len(rows) == 3 and {r.reason for r in rows} == {queue.DELETED}

    await drain(StarsCancelWorker(registry, BOX))
    assert sorted(cancellations(fake_telegram, "queue61_bot").values()) == [1, 1, 1]
    assert all("closed the tracker" in m.text for n in range(3)
               for m in fake_telegram.user(61000 + n).messages("queue61_bot"))
    assert await queue.enqueue(None, tracker.id, queue.DELETED) == 0  # nothing renews any more


async def test_a_charge_telegram_refuses_fails_alone_and_a_revoked_token_fails_the_rest(
        database, fake_telegram, registry):
    tracker = await tracker_bot(fake_telegram, 62)
    charges = await seed_stars_clients(fake_telegram, tracker, 4, first_id=62000)
    fake_telegram.bot("queue62_bot").star_subscriptions.pop(charges[0])  # ended at Telegram already
    await queue.enqueue(None, tracker.id, queue.DELETED)
    worker = StarsCancelWorker(registry, BOX)

    fake_telegram.fail_next("sendMessage", 401, "Unauthorized", bot="queue62_bot")  # revoked after the 2nd cancel
    await drain(worker)
    rows = {r.charge_id: r for r in await StarsCancellation.filter(tracker_id=tracker.id)}
    assert rows[charges[0]].status == StarsCancelStatus.FAILED and "CHARGE_ID_INVALID" in rows[charges[0]].last_error
    assert rows[charges[1]].status == StarsCancelStatus.DONE and "revoked" in rows[charges[1]].last_error
    assert [rows[c].status for c in charges[2:]] == [StarsCancelStatus.FAILED] * 2
    assert set(cancellations(fake_telegram, "queue62_bot")) == {charges[1]}
    assert not tells(fake_telegram, "queue62_bot")
    # The two Telegram still renews stay on at the platform too: it goes on recording their charges.
    assert await AutoRenewal.filter(tracker_id=tracker.id, enabled=True).count() == 3
    [told] = await OutboxEvent.filter(chat_id=tracker.author_id)  # the author hears it once
    assert (told.params["key"], told.params["cancelled"], told.params["failed"]) == (queue.FINISHED_KEY, 1, 3)
    await drain(StarsCancelWorker(registry, BOX))
    assert await OutboxEvent.filter(chat_id=tracker.author_id).count() == 1


async def test_two_workers_never_work_the_same_bot_at_once(database, fake_telegram, registry):
    first, second = await tracker_bot(fake_telegram, 63), await tracker_bot(fake_telegram, 64)
    await seed_stars_clients(fake_telegram, first, 3, first_id=63000)
    await seed_stars_clients(fake_telegram, second, 3, first_id=64000)
    await queue.enqueue(None, first.id, queue.DELETED)
    await queue.enqueue(None, second.id, queue.DELETED)

    one = await queue.claim("w1:1", worker="w1", limit=2)
    assert [r.tracker_id for r in one] == [first.id, first.id]
    other = await queue.claim("w2:1", worker="w2", limit=10)
    assert {r.tracker_id for r in other} == {second.id}  # the first bot's last row waits for w1
    await queue.release("w1:1")
    assert [r.tracker_id for r in await queue.claim("w2:2", worker="w2", limit=10)] == [first.id] * 3
