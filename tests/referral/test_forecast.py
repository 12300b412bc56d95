"""The forecast reads the chain each accounting period carries (copied from the membership when the
period is created, after the chain is locked at payment) instead of joining the memberships.

The oracle is the forecast as it was defined over the memberships: every open period whose
subscriber's membership is locked, priced for the tracker's author and for the membership's
l1/l2/l3 by the commission split, row by row in Python.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.partner import LevelAmounts, forecast_by_level
from billing.payments import record_payment
from billing.refunds import refund_subscription
from billing.settlement import settle_due_periods
from billing.split import ROLE_ORDER, compile_schedule, role_amounts
from models import AccountingPeriod, Membership, Subscription, Tracker
from models.enums import PaymentProvider, PeriodStatus, PlanKind
from referral import create_link, record_start
from tests.referral.conftest import make_tracker, make_user

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
_charges = count(1)
_worlds = count(1)


async def buy(tracker_id: int, user_id: int, plan: PlanKind, price: int, paid_at: datetime):
    """A charge through the production entry point: payment, chain lock, subscription, periods."""
    outcome = await record_payment(
        tracker_id=tracker_id, user_id=user_id, provider=PaymentProvider.SIMULATION,
        external_id=f"forecast-{next(_charges)}", plan_kind=plan, price_kopecks=price,
        currency="RUB", amount_minor=price, paid_at=paid_at,
    )  # fmt: skip
    return outcome.subscription


async def membership_forecast(tracker_id: int | None, user_id: int) -> LevelAmounts:
    """The oracle: open periods joined to their subscriber's locked membership, in Python."""
    weights = compile_schedule(None)
    periods = AccountingPeriod.filter(status=PeriodStatus.OPEN)
    if tracker_id is not None:
        periods = periods.filter(tracker_id=tracker_id)
    totals = dict.fromkeys(("author", "l1", "l2", "l3"), 0)
    for period in await periods:
        shares = dict(zip((r.value for r in ROLE_ORDER), role_amounts(period.revenue_kopecks, weights), strict=True))
        tracker = await Tracker.get(id=period.tracker_id)
        if tracker.author_id == user_id:
            totals["author"] += shares["author"]
        member = await Membership.get_or_none(tracker_id=period.tracker_id, user_id=period.user_id)
        if member is None or member.locked_at is None:
            continue
        for role, holder in (("l1", member.l1_id), ("l2", member.l2_id), ("l3", member.l3_id)):
            if holder == user_id:
                totals[role] += shares[role]
    return LevelAmounts(**totals)


async def test_a_period_created_after_payment_carries_the_locked_chain(database):
    vera, sasha, petya, client = 1, 10, 11, 12
    tracker = await make_tracker(vera, "vera_bot")
    for uid in (sasha, petya, client):
        await make_user(uid)
    vera_link = await create_link(tracker.id, vera)
    # The client arrives through Petya before Petya has an inviter: l2 is empty at attribution.
    await record_start(tracker.id, sasha, vera_link.code)
    await record_start(tracker.id, petya, None)
    await Membership.filter(tracker_id=tracker.id, user_id=petya).update(is_partner=True)
    await Membership.filter(tracker_id=tracker.id, user_id=sasha).update(is_partner=True)
    petya_link = await create_link(tracker.id, petya)
    sasha_link = await create_link(tracker.id, sasha)
    await record_start(tracker.id, client, petya_link.code)
    assert (await record_start(tracker.id, petya, sasha_link.code)).attributed  # now Petya's chain is Sasha, Vera
    first = await buy(tracker.id, client, PlanKind.QUARTER, 600_000, T0)
    # The lock re-read Petya's chain; the periods carry it as locked.
    chains = await AccountingPeriod.filter(subscription_id=first.id).values_list("l1_id", "l2_id", "l3_id")
    assert chains == [(petya, sasha, vera)] * 3

    # After the lock nothing changes: another link opened later, then a renewal.
    assert not (await record_start(tracker.id, client, vera_link.code)).attributed
    renewal = await buy(tracker.id, client, PlanKind.MONTH, 200_000, T0 + timedelta(days=5))
    assert await AccountingPeriod.filter(subscription_id=renewal.id).values_list("l1_id", "l2_id", "l3_id") == [
        (petya, sasha, vera)
    ]
    # Someone without an inviter: periods with an empty chain, the author still forecasts.
    await make_user(13)
    loner = await buy(tracker.id, 13, PlanKind.MONTH, 200_000, T0)
    assert await AccountingPeriod.filter(subscription_id=loner.id).values_list("l1_id", "l2_id", "l3_id") == [
        (None, None, None)
    ]
    assert await forecast_by_level(tracker.id, petya) == LevelAmounts(l1=4 * 60_000)
    assert await forecast_by_level(tracker.id, sasha) == LevelAmounts(l2=4 * 40_000)
    assert await forecast_by_level(tracker.id, vera) == LevelAmounts(author=5 * 40_000, l3=4 * 20_000)

    # A refund cancels the open periods: they leave the forecast.
    await refund_subscription(first.id)
    assert await forecast_by_level(tracker.id, petya) == LevelAmounts(l1=60_000)
    for uid in (vera, sasha, petya, client):
        assert await forecast_by_level(tracker.id, uid) == await membership_forecast(tracker.id, uid)


# One world: members (ids in order of arrival) and what happens to them, in any order.
_action = st.one_of(
    st.tuples(st.just("start"), st.integers(0, 6), st.integers(0, 6)),  # member opens someone's link (0: the author's)
    st.tuples(
        st.just("pay"),
        st.integers(0, 6),
        st.sampled_from([PlanKind.DAY, PlanKind.MONTH, PlanKind.QUARTER]),
        st.integers(1, 500_000),
        st.integers(0, 24 * 60),  # hours after T0
    ),
    st.tuples(st.just("refund"), st.integers(0, 6)),
)
world = st.fixed_dictionaries(
    {
        "members": st.integers(2, 7),
        "actions": st.lists(_action, min_size=1, max_size=16),
        "settle_days": st.one_of(st.none(), st.integers(0, 120)),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=world)
async def test_the_forecast_equals_the_membership_join_for_a_random_network(database, spec):
    # Fresh ids for each example (the database is shared by the examples), so the all-trackers
    # forecast sees only this world.
    base = next(_worlds) * 1_000
    author = base + 1
    members = [base + 100 + k for k in range(spec["members"])]
    tracker = await make_tracker(author)
    links = {0: (await create_link(tracker.id, author)).code}
    for k, uid in enumerate(members, start=1):
        await make_user(uid)
        await record_start(tracker.id, uid, None)  # membership ids in arrival order
        await Membership.filter(tracker_id=tracker.id, user_id=uid).update(is_partner=True)
        links[k] = (await create_link(tracker.id, uid)).code
    # A second tracker, authored by the first member, where the same people pay: the forecast
    # over all trackers adds both.
    other = await make_tracker(members[0])
    await record_start(other.id, members[1], (await create_link(other.id, members[0])).code)
    await buy(other.id, members[1], PlanKind.MONTH, 123_457, T0)

    for action in spec["actions"]:
        who = members[action[1] % len(members)]
        if action[0] == "start":
            await record_start(tracker.id, who, links[action[2] % (len(members) + 1)])
        elif action[0] == "pay":
            _, _, plan, price, hours = action
            await buy(tracker.id, who, plan, price, T0 + timedelta(hours=hours))
        else:
            latest = await Subscription.filter(tracker_id=tracker.id, user_id=who).order_by("-id").first()
            if latest is not None:
                await refund_subscription(latest.id)
    if spec["settle_days"] is not None:
        await settle_due_periods(T0 + timedelta(days=spec["settle_days"]))

    for uid in [author, *members]:
        for tracker_id in (tracker.id, None):
            assert (await forecast_by_level(tracker_id, uid)
                    == await membership_forecast(tracker_id, uid)), (uid, tracker_id)
