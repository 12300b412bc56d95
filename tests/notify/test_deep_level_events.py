"""A subscription is told to the subscriber's chain as deep as the commission schedule in force pays: the
fourth ancestor hears it (as level 4) under a four-level schedule, and not under the default three."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from billing.commission import add_schedule
from billing.subscriptions import create_subscription
from models import Membership, OutboxEvent, User
from notify import events
from services.outbox import render
from tests.billing.helpers import make_tracker
from tests.fakes.telegram import plain

AUTHOR, CLIENT = 1, 20
CHAIN = (14, 13, 12, 11)  # the client's levels 1..4: 11 is level 4


async def world():
    tracker = await make_tracker(AUTHOR)
    for uid in (*CHAIN, CLIENT):
        await User.create(id=uid, first_name=f"u{uid}", language_code="ru")
    await Membership.create(tracker=tracker, user_id=AUTHOR)
    for i in range(len(CHAIN), -1, -1):
        uid = (CLIENT, *CHAIN)[i]
        await Membership.create(tracker=tracker, user_id=uid,
                                **{f"l{k}_id": holder for k, holder in enumerate(CHAIN[i:], start=1)})
    await OutboxEvent.all().delete()
    return tracker


async def told(kind: str = events.SUBSCRIBER) -> dict[int, str]:
    rows = await OutboxEvent.filter(kind=kind, channel_id__isnull=True)
    return {e.chat_id: e.params["level"] for e in rows}


async def test_the_fourth_ancestor_hears_of_a_payment_only_under_four_levels(database):
    tracker = await world()
    await create_subscription(tracker.id, CLIENT, "month", 100_000, datetime.now(UTC))
    assert await told() == {AUTHOR: "author", 14: "l1", 13: "l2", 12: "l3"}

    await OutboxEvent.all().delete()
    await add_schedule({"platform": Decimal(15), "author": Decimal(20), "levels": [30, 20, 10, 5]},
                       datetime.now(UTC) - timedelta(seconds=1), now=datetime.now(UTC) - timedelta(seconds=2))
    await create_subscription(tracker.id, CLIENT, "month", 100_000, datetime.now(UTC))  # a renewal now
    assert await told(events.RENEWAL) == {AUTHOR: "author", 14: "l1", 13: "l2", 12: "l3", 11: "l4"}
    event = await OutboxEvent.get(kind=events.RENEWAL, chat_id=11)
    assert plain(render(events.RENEWAL, event.params, "ru")).endswith("(4-й уровень).")
