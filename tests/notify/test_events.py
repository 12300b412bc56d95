"""Events written with their facts: who gets what, once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tortoise.transactions import in_transaction

from billing.accounts import user_account_ids
from billing.refunds import refund_subscription
from billing.settlement import settle_due_periods
from billing.subscriptions import create_subscription
from models import LedgerEntry, OutboxEvent, PartnerChannel, PayoutRequest, User
from models.enums import ChannelStatus, PayoutStatus
from notify import events
from notify.outbox import PLATFORM_BOT
from referral import create_link, record_start
from scheduler.channel_digest import yesterday
from tests.billing.helpers import make_tracker


async def _channel(tracker, owner_id: int, chat_id: int, **kw) -> PartnerChannel:
    kw.setdefault("events", list(events.CHANNEL_KINDS))
    return await PartnerChannel.create(tracker=tracker, owner_id=owner_id, chat_id=chat_id, title="c", **kw)


async def test_payout_status_goes_to_the_requester_and_their_channels_once(database):
    tracker = await make_tracker()
    await User.create(id=7, first_name="Ann", language_code="en")
    account = (await user_account_ids({7}))[7]
    payout = await PayoutRequest.create(
        tracker=tracker, account_id=account, amount_kopecks=150_050, method="card", destination_encrypted="-"
    )
    wants = await _channel(tracker, 7, -1001)
    await _channel(tracker, 7, -1002, events=["start"])  # payouts turned off
    await _channel(tracker, 7, -1003, status=ChannelStatus.DISCONNECTED)
    await _channel(tracker, 1, -1004)  # someone else's
    for _ in range(2):
        async with in_transaction() as conn:
            await events.payout_changed(conn, payout.id)
    rows = await OutboxEvent.all().order_by("id")
    assert [(e.bot_id, e.chat_id, e.channel_id, e.language) for e in rows] == [
        (tracker.bot_id, 7, None, "en"),
        (tracker.bot_id, -1001, wants.id, "en"),
    ]
    assert rows[0].params == {"payout": payout.id, "status": "requested", "amount": 150_050, "reason": ""}

    payout.status = PayoutStatus.REJECTED
    payout.failure_reason = "wrong card"
    payout.tracker = None
    await payout.save()
    async with in_transaction() as conn:
        await events.payout_changed(conn, payout.id)
    last = await OutboxEvent.all().order_by("-id").first()
    assert (last.bot_id, last.chat_id, last.params["status"], last.params["reason"]) == (
        PLATFORM_BOT, 7, "rejected", "wrong card"
    )
    assert await OutboxEvent.all().count() == 3


async def test_a_rolled_back_fact_leaves_no_event(database):
    tracker = await make_tracker()
    account = (await user_account_ids({1}))[1]
    payout = await PayoutRequest.create(
        tracker=tracker, account_id=account, amount_kopecks=100, method="card", destination_encrypted="-"
    )
    try:
        async with in_transaction() as conn:
            await events.payout_changed(conn, payout.id)
            raise RuntimeError("the fact failed")
    except RuntimeError:
        pass
    assert await OutboxEvent.all().count() == 0


# -- the facts, through the production code that writes them -----------------------------------

MSK = "Europe/Moscow"


async def _users() -> None:
    for uid, name in ((2, "Petr"), (3, "Sasha"), (4, "Ivan Petrov")):
        await User.get_or_create(id=uid, defaults={"first_name": name, "language_code": "ru"})


async def _people(tracker) -> None:
    """Author 1 ← partner 2 (l2 for 4) ← partner 3 (l1 for 4) ← client 4."""
    await _users()
    await record_start(tracker.id, 2, None)
    await create_subscription(tracker.id, 2, "month", 100_000, datetime.now(UTC) - timedelta(days=400))
    link2 = await create_link(tracker.id, 2, "p2")
    await record_start(tracker.id, 3, link2.code)
    await create_subscription(tracker.id, 3, "month", 100_000, datetime.now(UTC) - timedelta(days=400))
    link3 = await create_link(tracker.id, 3, "p3")
    await record_start(tracker.id, 4, link3.code)
    await record_start(tracker.id, 4, link3.code)  # the same click again: no second event


async def _events(kind: str) -> list[tuple]:
    rows = await OutboxEvent.filter(kind=kind).order_by("id")
    return [(e.chat_id, e.params.get("level"), e.params.get("name")) for e in rows]


async def test_start_subscriber_renewal_refund_reach_each_earners_channel_with_the_level(database):
    tracker = await make_tracker()
    await _users()
    for owner, chat in ((1, -1), (2, -2), (3, -3)):
        await _channel(tracker, owner, chat)
    await _people(tracker)
    # Starts: 3 through 2's link, 4 through 3's link, counted once; the author hears of every start.
    starts = await OutboxEvent.filter(kind="start").order_by("id")
    assert [(e.chat_id, e.params["name"], e.params["own"]) for e in starts] == [
        (-1, "Sasha", "no"), (-2, "Sasha", "yes"), (-1, "Ivan Petrov", "no"), (-3, "Ivan Petrov", "yes")]

    await OutboxEvent.all().delete()
    sub = await create_subscription(tracker.id, 4, "month", 149_000, datetime.now(UTC))
    assert await _events("subscriber") == [
        (-1, "author", "Ivan Petrov"), (-2, "l2", "Ivan Petrov"), (-3, "l1", "Ivan Petrov")
    ]
    assert {e.params["amount"] for e in await OutboxEvent.filter(kind="subscriber")} == {149_000}
    renewal = await create_subscription(tracker.id, 4, "month", 149_000, datetime.now(UTC))
    assert len(await _events("renewal")) == 3

    await refund_subscription(renewal.id)
    await refund_subscription(renewal.id)  # a repeat tells nobody again
    assert sorted(await _events("refund")) == [
        (-3, "l1", "Ivan Petrov"), (-2, "l2", "Ivan Petrov"), (-1, "author", "Ivan Petrov")
    ]
    assert sub.id != renewal.id
    # The partners' and the author's channels heard of the first payment once, of the renewal once.
    assert await OutboxEvent.filter(kind="subscriber").count() == 3


async def test_accruals_are_posted_with_the_batch_each_or_as_a_daily_digest(database):
    tracker = await make_tracker()
    await _users()
    each = await _channel(tracker, 3, -3)
    digest = await _channel(tracker, 2, -2, accrual_digest=True)
    await _channel(tracker, 1, -1, events=["start"])  # the author wants no accruals
    await _people(tracker)
    await OutboxEvent.all().delete()
    await create_subscription(tracker.id, 4, "month", 100_000, datetime.now(UTC) - timedelta(days=40))

    result = await settle_due_periods(now=datetime.now(UTC), batch_size=1)
    assert result.periods >= 3
    accruals = await OutboxEvent.filter(kind="accrual").order_by("id")
    # Sasha (l1 of Ivan) gets one post per accrual: as l1 for Ivan and nothing else (the period of
    # her own subscription pays others). Petr chose the digest, the author no accruals.
    assert {(e.chat_id, e.channel_id) for e in accruals} == {(-3, each.id)}
    ivan = [e for e in accruals if e.params["name"] == "Ivan Petrov"]
    assert [(e.params["level"], e.params["amount"]) for e in ivan] == [("l1", 30_000)]
    assert await settle_due_periods(now=datetime.now(UTC)) is not None
    assert await OutboxEvent.filter(kind="accrual").count() == len(accruals)  # a rerun adds nothing

    today = yesterday(MSK, datetime.now(UTC) + timedelta(days=1))
    assert await events.daily_digest(today, MSK) == 1
    assert await events.daily_digest(today, MSK) == 0  # keyed by the date
    post = await OutboxEvent.get(kind="accrual_digest")
    assert (post.chat_id, post.channel_id, post.params["date"]) == (-2, digest.id, today.isoformat())
    petr = await LedgerEntry.filter(account__user_id=2, kind="accrual").values_list("amount_kopecks", flat=True)
    assert post.params["amount"] == sum(petr) and post.params["count"] == len(petr) > 0
    assert await events.daily_digest(today - timedelta(days=3), MSK) == 0  # nothing accrued that day


def test_the_digest_covers_yesterday_in_the_platforms_zone():
    # 22:30 UTC on Jan 1 is 01:30 on Jan 2 in Moscow: yesterday there is Jan 1.
    assert yesterday(MSK, datetime(2025, 1, 1, 22, 30, tzinfo=UTC)) == date(2025, 1, 1)
    assert yesterday(MSK, datetime(2025, 1, 1, 20, 30, tzinfo=UTC)) == date(2024, 12, 31)
