"""Refunds after settlement: the settled part clawed back with reversing entries, the unsettled
part cancelling or shortening periods, balances that go negative and are made up before any
payout, and (hypothesis) any interleaving keeps every period's shares equal to its net margin
while the ledger only grows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise import connections

from billing.ledger import InsufficientFunds, reserve_payout, user_balance
from billing.payments.recording import record_payment, refund_recorded
from billing.refunds import refund_subscription
from billing.settlement import settle_due_periods
from models import AccountingPeriod, Clawback, LedgerEntry, Payment, PaymentProvider, Refund, Subscription
from models.enums import EntryKind, PeriodStatus, SubscriptionStatus
from models.sql import rows
from tests.billing.helpers import MSK, at, join, make_tracker, wipe

T0 = at(2025, 1, 10, 9)
QUARTER = 90_000  # three months of 30 000.00


async def pay(tracker, user_id: int, charge: str, plan: str = "quarter", price: int = QUARTER, days: int = 0):
    outcome = await record_payment(
        tracker_id=tracker.id, user_id=user_id, provider=PaymentProvider.YOOKASSA, external_id=charge,
        plan_kind=plan, price_kopecks=price, currency="RUB", amount_minor=price, paid_at=T0 + timedelta(days=days),
        tz=MSK,
    )
    assert outcome.subscription is not None
    return outcome.subscription


async def chain_world():
    """Author 1 invited partner 3, who invited client 5: l1 = 3, l2 = the author, no l3."""
    tracker = await make_tracker(author_id=1)
    await join(tracker, 3, inviter=1)
    await join(tracker, 5, inviter=3)
    return tracker


async def period_books() -> list[tuple[int, int, int]]:
    """(period, net margin, its shares now) for every settled period."""
    conn = connections.get("default")
    found = await rows(conn, """
        SELECT p.id,
               p.margin_kopecks
                 - COALESCE((SELECT SUM(c.revenue_kopecks) FROM clawbacks c WHERE c.period_id = p.id), 0),
               COALESCE((SELECT SUM(e.amount_kopecks) FROM ledger_entries e
                         WHERE (e.source_type = 'period' AND e.source_id = p.id)
                            OR (e.source_type = 'clawback' AND e.source_id IN
                                (SELECT c.id FROM clawbacks c WHERE c.period_id = p.id))), 0)
        FROM accounting_periods p WHERE p.status = 'settled' ORDER BY p.id""", [])
    return [(int(a), int(b), int(c)) for a, b, c in found]


async def test_a_full_refund_after_one_month_claws_that_month_back(database):
    tracker = await chain_world()
    sub = await pay(tracker, 5, "q-1")
    await settle_due_periods(T0 + timedelta(days=35))  # month 1 settled: 30 000 shared
    partner = await user_balance(3)
    assert partner.available == 9_000  # l1: 30% of 30 000

    result = await refund_subscription(sub.id)

    assert (result.amount_kopecks, result.unsettled_kopecks, result.settled_kopecks) == (90_000, 60_000, 30_000)
    assert result.ended and result.cancelled_periods == 2
    assert (await Subscription.get(id=sub.id)).status == SubscriptionStatus.REFUNDED
    assert (await Payment.get(id=sub.payment_id)).refunded
    assert (await user_balance(3)).available == 0 and (await user_balance(3)).clawed_back == -9_000
    assert (await user_balance(1)).available == 0
    assert all(net == shares == 0 for _, net, shares in await period_books())
    # the settled entries stand; the reversal is new rows
    # platform, author, l1 (3), l2 (the author, who invited 3), l3 (nobody: the platform's)
    assert await LedgerEntry.filter(kind=EntryKind.ACCRUAL).count() == 5
    assert await LedgerEntry.filter(kind=EntryKind.CLAWBACK).count() == 5


async def test_a_partial_refund_below_the_unsettled_part_shortens_the_subscription(database):
    tracker = await chain_world()
    sub = await pay(tracker, 5, "q-2")
    await settle_due_periods(T0 + timedelta(days=35))
    periods = await AccountingPeriod.filter(subscription_id=sub.id).order_by("seq")

    result = await refund_subscription(sub.id, 45_000, key="yookassa:r-1")

    assert (result.unsettled_kopecks, result.settled_kopecks, result.ended) == (45_000, 0, False)
    after = await AccountingPeriod.filter(subscription_id=sub.id).order_by("seq")
    assert [p.status for p in after] == [PeriodStatus.SETTLED, PeriodStatus.OPEN, PeriodStatus.CANCELLED]
    assert after[1].revenue_kopecks == 15_000  # half of month 2 kept, and half its days
    assert after[1].ends_at - after[1].starts_at == (periods[1].ends_at - periods[1].starts_at) / 2
    kept = await Subscription.get(id=sub.id)
    assert kept.status == SubscriptionStatus.ACTIVE and kept.ends_at == after[1].ends_at
    assert not (await Payment.get(id=sub.payment_id)).refunded
    assert await Clawback.all().count() == 0

    # the rest of the unsettled part ends it; the same refund again changes nothing
    assert (await refund_subscription(sub.id, 45_000, key="yookassa:r-1")).already_refunded
    rest = await refund_subscription(sub.id, 15_000, key="yookassa:r-2")
    assert rest.ended and (await Subscription.get(id=sub.id)).status == SubscriptionStatus.REFUNDED
    assert not (await Payment.get(id=sub.payment_id)).refunded  # 30 000 of it was never returned


async def test_a_clawed_back_balance_goes_negative_and_later_accruals_make_it_up_first(database):
    tracker = await chain_world()
    sub = await pay(tracker, 5, "q-3")
    await settle_due_periods(T0 + timedelta(days=35))
    assert await reserve_payout(1, (await LedgerEntry.filter(kind=EntryKind.ACCRUAL, role="l1").first()).account_id,
                                9_000)  # the partner withdrew their 90.00
    await refund_recorded(await Payment.get(id=sub.payment_id), key="full")
    assert (await user_balance(3)).available == -9_000
    account = (await LedgerEntry.filter(kind=EntryKind.ACCRUAL, role="l1").first()).account_id

    # a month later another client of the partner pays and settles: it first fills the hole
    await join(tracker, 6, inviter=3)
    await pay(tracker, 6, "m-1", plan="month", price=50_000, days=40)
    await settle_due_periods(T0 + timedelta(days=80))
    assert (await user_balance(3)).available == -9_000 + 15_000
    with pytest.raises(InsufficientFunds):
        await reserve_payout(2, account, 6_001)
    assert await reserve_payout(3, account, 6_000)


async def test_a_refund_recorded_twice_by_two_routes_returns_the_money_once(database):
    tracker = await chain_world()
    sub = await pay(tracker, 5, "q-4")
    await settle_due_periods(T0 + timedelta(days=35))
    payment = await Payment.get(id=sub.payment_id)
    await refund_recorded(payment, key="full")
    again = await refund_recorded(payment, 90_000, key="yookassa:late")
    assert again.already
    assert await Refund.all().count() == 1
    assert all(net == shares for _, net, shares in await period_books())


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.sampled_from(["day", "month", "quarter"]), st.integers(5, 7)),
        st.tuples(st.just("settle"), st.integers(1, 40), st.just(0)),
        st.tuples(st.just("refund"), st.integers(0, 5), st.sampled_from([None, 1, 333, 10_000, 29_999, 45_000])),
    ),
    min_size=1, max_size=14,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
async def test_any_interleaving_keeps_shares_equal_to_net_margins_and_the_ledger_growing(database, ops):
    await wipe()
    tracker = await chain_world()
    for user in (6, 7):
        await join(tracker, user, inviter=5 if user == 6 else 1)
    day, n, seen = 0, 0, {}
    for op, a, b in ops:
        if op == "pay":
            n += 1
            await pay(tracker, b, f"c-{n}", plan=a, price={"day": 1_001, "month": 30_007, "quarter": 90_005}[a],
                      days=day)
        elif op == "settle":
            day += a
            await settle_due_periods(T0 + timedelta(days=day))
        else:
            subs = await Subscription.all().order_by("id")
            if subs:
                sub = subs[a % len(subs)]
                await refund_subscription(sub.id, b, key=f"r-{len(seen)}-{b}")
        ledger = dict(await LedgerEntry.all().values_list("id", "amount_kopecks"))
        assert all(ledger.get(i) == amount for i, amount in seen.items()), "a ledger row changed or went"
        seen = ledger
        for period, net, shares in await period_books():
            assert net == shares, f"period {period}: shares {shares} != net margin {net}"
        for sub in await Subscription.all():
            refunded = sum(await Refund.filter(payment_id=sub.payment_id).values_list("amount_kopecks", flat=True))
            standing = sum(await AccountingPeriod.filter(subscription_id=sub.id, status__in=[
                PeriodStatus.OPEN, PeriodStatus.SETTLED]).values_list("revenue_kopecks", flat=True))
            clawed = sum(await Clawback.filter(period__subscription_id=sub.id).values_list(
                "revenue_kopecks", flat=True))
            assert 0 <= refunded <= sub.price_kopecks
            assert standing - clawed == sub.price_kopecks - refunded, "the revenue kept is what was not refunded"


async def test_the_readme_example_750_of_900_halves_month_ones_shares(database):
    tracker = await chain_world()
    sub = await pay(tracker, 5, "q-5")
    await settle_due_periods(T0 + timedelta(days=35))
    result = await refund_subscription(sub.id, 75_000, key="yookassa:r-750")
    assert (result.unsettled_kopecks, result.settled_kopecks, result.ended) == (60_000, 15_000, True)
    assert (await user_balance(3)).available == 4_500  # P: 45.00 of 90.00
    assert (await user_balance(1)).available == 6_000  # A: author 30.00 + second level 30.00
    [(_, net, shares)] = await period_books()
    assert net == shares == 15_000


async def test_a_subscription_refunded_before_refunds_were_recorded_is_left_as_it_was(database):
    tracker = await chain_world()
    sub = await pay(tracker, 5, "q-old")
    await settle_due_periods(T0 + timedelta(days=35))
    # what the old code left behind: refunded, open periods cancelled, no Refund row
    await AccountingPeriod.filter(subscription_id=sub.id, status=PeriodStatus.OPEN).update(
        status=PeriodStatus.CANCELLED)
    await Subscription.filter(id=sub.id).update(status=SubscriptionStatus.REFUNDED)
    await Payment.filter(id=sub.payment_id).update(refunded=True)
    entries = await LedgerEntry.all().count()
    again = await refund_recorded(await Payment.get(id=sub.payment_id))  # the admin's command run again
    assert again.already and await LedgerEntry.all().count() == entries and await Refund.all().count() == 0
