"""Creating subscriptions (periods in one transaction, renewals queue) and refunds."""

from __future__ import annotations

from datetime import timedelta

from billing.ledger import settled_total, user_balance
from billing.refunds import refund_subscription
from billing.settlement import settle_due_periods
from billing.subscriptions import create_subscription
from models import AccountingPeriod, Membership, Payment, Subscription, User
from models import sql as db
from models.enums import PaymentProvider, PeriodStatus, SubscriptionStatus
from tests.billing.helpers import MSK, at, join, make_tracker

T0 = at(2025, 1, 31, 9)


async def test_a_subscription_is_written_with_all_its_periods(database):
    tracker = await make_tracker()
    await join(tracker, 5, inviter=1)
    sub = await create_subscription(tracker.id, 5, "year", 1_200_005, T0, tz=MSK)
    periods = await AccountingPeriod.filter(subscription=sub).order_by("seq")
    assert len(periods) == 12
    assert (sub.starts_at, sub.ends_at) == (periods[0].starts_at, periods[-1].ends_at)
    assert sum(p.revenue_kopecks for p in periods) == 1_200_005
    assert all(p.status == PeriodStatus.OPEN and p.tracker_id == tracker.id and p.user_id == 5 for p in periods)
    # the first payment locks the inviter chain
    assert (await Membership.get(tracker=tracker, user_id=5)).locked_at == T0


async def test_the_periods_carry_the_subscribers_chain_as_locked(database):
    tracker = await make_tracker()
    await join(tracker, 10, inviter=1)
    await join(tracker, 11, inviter=10)
    await join(tracker, 12, inviter=11)
    await join(tracker, 5, inviter=12)  # 12 <- 11 <- 10: the author is beyond l3
    sub = await create_subscription(tracker.id, 5, "quarter", 600_000, T0, tz=MSK)
    chains = await AccountingPeriod.filter(subscription=sub).values_list("l1_id", "l2_id", "l3_id")
    assert chains == [(12, 11, 10)] * 3
    # Someone with no membership row has no inviters, and no row is made for them here.
    await User.create(id=6, first_name="u6")
    loner = await create_subscription(tracker.id, 6, "month", 200_000, T0, tz=MSK)
    assert await AccountingPeriod.filter(subscription=loner).values_list("l1_id", "l2_id", "l3_id") == [
        (None, None, None)
    ]
    assert not await Membership.exists(tracker=tracker, user_id=6)


async def test_a_renewal_paid_while_active_starts_when_the_current_one_ends(database):
    tracker = await make_tracker()
    await join(tracker, 5)
    first = await create_subscription(tracker.id, 5, "month", 200_000, T0, tz=MSK)
    second = await create_subscription(tracker.id, 5, "quarter", 500_000, T0 + timedelta(days=10), tz=MSK)
    assert second.starts_at == first.ends_at
    third = await create_subscription(tracker.id, 5, "day", 10_000, T0 + timedelta(days=11), tz=MSK)
    assert third.starts_at == second.ends_at
    # after everything ran out, a new purchase starts when it is paid
    late = third.ends_at + timedelta(days=3)
    assert (await create_subscription(tracker.id, 5, "month", 200_000, late, tz=MSK)).starts_at == late


async def test_one_payment_makes_one_subscription(database):
    tracker = await make_tracker()
    await join(tracker, 5)
    payment = await Payment.create(
        tracker=tracker, user_id=5, provider=PaymentProvider.TELEGRAM, external_id="ch_1",
        plan_kind="month", currency="RUB", amount_minor=200_000, amount_kopecks=200_000,
    )
    one = await create_subscription(tracker.id, 5, "month", 200_000, T0, payment_id=payment.id, tz=MSK)
    again = await create_subscription(tracker.id, 5, "month", 200_000, T0, payment_id=payment.id, tz=MSK)
    assert one.id == again.id
    assert await Subscription.all().count() == 1 and await AccountingPeriod.all().count() == 1


async def test_a_refund_cancels_the_unsettled_periods_and_settled_ones_stand(database):
    tracker = await make_tracker()
    await join(tracker, 5, inviter=1)
    payment = await Payment.create(
        tracker=tracker, user_id=5, provider=PaymentProvider.YOOKASSA, external_id="p1",
        plan_kind="year", currency="RUB", amount_minor=1_200_000, amount_kopecks=1_200_000,
    )
    sub = await create_subscription(tracker.id, 5, "year", 1_200_000, T0, payment_id=payment.id, tz=MSK)
    await settle_due_periods(T0 + timedelta(days=100))  # three months delivered
    accrued = (await user_balance(1)).accrued
    assert accrued == 3 * 50_000

    assert await open_period_totals() == {(0, 100_000, 9), (1, 100_000, 9)}  # level 0: everyone's
    result = await refund_subscription(sub.id)
    assert (result.cancelled_periods, result.settled_periods, result.already_refunded) == (9, 3, False)
    assert await open_period_totals() == set()  # the cabinet's forecast lost the cancelled periods
    assert (await Subscription.get(id=sub.id)).status == SubscriptionStatus.REFUNDED
    assert (await Payment.get(id=payment.id)).refunded is True
    assert await AccountingPeriod.filter(subscription=sub, status=PeriodStatus.CANCELLED).count() == 9

    # the cancelled periods never accrue, the settled ones stand
    assert (await settle_due_periods(T0 + timedelta(days=800))).periods == 0
    assert (await user_balance(1)).accrued == accrued
    assert await settled_total() == (300_000, 300_000)

    # idempotent
    again = await refund_subscription(sub.id)
    assert (again.cancelled_periods, again.settled_periods, again.already_refunded) == (0, 3, True)

    # refunded time does not delay a new purchase
    fresh = await create_subscription(tracker.id, 5, "month", 200_000, T0 + timedelta(days=120), tz=MSK)
    assert fresh.starts_at == T0 + timedelta(days=120)


async def open_period_totals() -> set[tuple[int, int, int]]:
    """The cabinet's open-period counts (models/summaries.py) that are not zero: (level, revenue,
    periods)."""
    found = await db.rows(db.default_connection(), "SELECT level, revenue_kopecks, periods FROM open_period_totals "
                          "WHERE periods <> 0", [])
    return {tuple(row) for row in found}


async def test_a_subscription_without_a_payment_ends_and_leaves_the_open_totals(database):
    tracker = await make_tracker()
    await join(tracker, 5, inviter=1)
    sub = await create_subscription(tracker.id, 5, "quarter", 300_000, T0, tz=MSK)
    assert await open_period_totals() == {(0, 100_000, 3), (1, 100_000, 3)}
    result = await refund_subscription(sub.id)
    assert (result.cancelled_periods, result.ended) == (3, True)
    assert await open_period_totals() == set()
