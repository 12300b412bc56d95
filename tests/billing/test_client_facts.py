"""`client_facts` (one statement for the first screen, issue 20) answers what `access_for`,
`active_subscription` and `referral.can_invite` answer with their several queries, case by case."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from billing.access import Payer, access_for, active_subscription, client_facts
from billing.policy import load_policy
from billing.subscriptions import create_subscription
from models import Membership, Subscription, SubscriptionStatus, Tracker
from referral import can_invite
from tests.billing.helpers import join, make_tracker
from tests.querycount import counting


async def same_answers(tracker: Tracker, user_id: int) -> None:
    await load_policy()  # cached for a while, as on a running platform
    with counting() as queries:
        facts = await client_facts(tracker, user_id)
    assert len(queries) == 1, str(queries)
    expected = await access_for(tracker, user_id)
    assert replace(facts.access, subscription=None) == replace(expected, subscription=None)  # no row loaded
    subscription = await active_subscription(tracker.id, user_id)
    assert facts.subscription_ends_at == (subscription.ends_at if subscription else None)
    assert facts.may_invite == await can_invite(tracker.id, user_id)


async def test_client_facts_agree_with_the_separate_queries(database):
    tracker = await make_tracker()
    await Tracker.filter(id=tracker.id).update(free_messages=3)
    tracker = await Tracker.get(id=tracker.id)
    await same_answers(tracker, tracker.author_id)  # the author
    await same_answers(tracker, 7)  # nobody yet: no membership at all

    assert not (await client_facts(tracker, 8)).member  # a newcomer: /start makes the membership
    member = await join(tracker, 8)
    assert (await client_facts(tracker, 8)).member
    await Membership.filter(id=member.id).update(messages_used=2)
    await same_answers(tracker, 8)  # one free message left
    assert (await client_facts(tracker, 8)).access.free_left == 1

    await Membership.filter(id=member.id).update(messages_used=3, is_partner=True)
    await same_answers(tracker, 8)  # out of free messages, but a named partner
    assert (await client_facts(tracker, 8)).access.payer is None

    await join(tracker, 9)
    await create_subscription(tracker.id, 9, "month", 200_000, datetime.now(UTC))
    await same_answers(tracker, 9)  # a payer in force
    facts = await client_facts(tracker, 9)
    assert facts.access.payer is Payer.SUBSCRIPTION and facts.may_invite

    await create_subscription(tracker.id, 9, "month", 200_000, datetime.now(UTC) - timedelta(days=90))
    await Subscription.filter(tracker_id=tracker.id, user_id=9).update(status=SubscriptionStatus.REFUNDED)
    await same_answers(tracker, 9)  # every subscription refunded: no access, no invites


async def test_the_plans_come_with_the_facts_as_plans_on_sale_gives_them(database):
    from billing.plans import PriceTag, plans_on_sale, set_price, stop_selling
    from llm.state import answer_state
    from models import Plan, PlanKind

    tracker = await make_tracker()

    async def both_agree() -> list[PriceTag]:
        facts = await client_facts(tracker, 7)
        state = await answer_state(tracker, 7, test=False, now=datetime.now(UTC), with_history=True)
        expected = [PriceTag(p.kind, p.price_kopecks) for p in await plans_on_sale(tracker.id)]
        assert facts.plans == state.plans == expected
        return facts.plans

    assert await both_agree() == []  # nothing on sale yet
    await set_price(tracker.id, PlanKind.YEAR, 1_490_000)
    await set_price(tracker.id, PlanKind.DAY, 9_900)
    await set_price(tracker.id, PlanKind.MONTH, 149_000)
    assert await both_agree() == [(PlanKind.DAY, 9_900), (PlanKind.MONTH, 149_000), (PlanKind.YEAR, 1_490_000)]
    await stop_selling(tracker.id, PlanKind.DAY)
    await Plan.filter(tracker_id=tracker.id, kind=PlanKind.YEAR).update(price_kopecks=0)  # not on sale either
    assert await both_agree() == [(PlanKind.MONTH, 149_000)]
