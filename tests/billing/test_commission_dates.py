"""The dated commission schedule: a period is split by the schedule in force at its end.

A quarter is three monthly periods; one schedule starts between the first and the second end,
another exactly at the third end. Each period's entries follow its own schedule to the kopeck,
settling twice (or in small batches, or after a crash) is the same as once, and the admin cannot
date a schedule into the past.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from billing import commission
from billing.commission import ScheduleError, add_schedule, parse_shares, schedule_at
from billing.ledger import settled_total
from billing.settlement import SettlementInterrupted, settle_due_periods
from billing.subscriptions import create_subscription
from models import AccountingPeriod, LedgerEntry, UsageRecord
from models.enums import PeriodStatus
from tests.billing.helpers import MSK, at, join, ledger_snapshot, make_tracker

T0 = at(2025, 1, 1, 9)
CONFIGURED = {"platform": Decimal(20), "author": Decimal(20), "l1": Decimal(30), "l2": Decimal(20), "l3": Decimal(10)}
LATER = {"platform": Decimal(10), "author": Decimal(40), "l1": Decimal(30), "l2": Decimal(15), "l3": Decimal(5)}
LAST = {"platform": Decimal("12.5"), "author": Decimal("12.5"), "l1": Decimal(50), "l2": Decimal(25), "l3": Decimal(0)}


async def use(tracker, user_id, when, kopecks):
    await UsageRecord.create(tracker=tracker, user_id=user_id, model="m", input_tokens=1, output_tokens=1,
                             mj_micro=0, cost_ukop=kopecks * 1_000_000, created_at=when)


async def quarter_with_two_schedule_changes():
    """Periods p1, p2, p3 (200,000 kopecks each) with costs 1, 0 and 3 kopecks; LATER from between
    p1's and p2's ends, LAST from exactly p3's end."""
    tracker = await make_tracker(author_id=1)
    await join(tracker, 5, inviter=1)  # the author invited the client: author + l1, l2/l3 unheld
    sub = await create_subscription(tracker.id, 5, "quarter", 600_000, T0, tz=MSK)
    p1, p2, p3 = await AccountingPeriod.filter(subscription=sub).order_by("seq")
    await use(tracker, 5, p1.starts_at + timedelta(days=1), 1)
    await use(tracker, 5, p3.starts_at + timedelta(days=1), 3)
    await add_schedule(LATER, p1.ends_at + timedelta(days=9), created_by=42, now=T0)
    await add_schedule(LAST, p3.ends_at, now=T0)
    return p1, p2, p3


async def entries_of(period_id: int) -> dict[tuple[str, str], int]:
    rows = await LedgerEntry.filter(source_id=period_id).values_list("account__key", "role", "amount_kopecks")
    return {(key, str(role)): amount for key, role, amount in rows}


async def test_each_period_is_split_by_the_schedule_in_force_at_its_end(database):
    p1, p2, p3 = await quarter_with_two_schedule_changes()
    result = await settle_due_periods(T0 + timedelta(days=100), schedule=CONFIGURED, batch_size=2)
    assert result.periods == 3 and result.batches == 2
    # p1: margin 199,999 by the configured 20/20/30/20/10 (largest remainders: l3, platform, author, l2)
    assert await entries_of(p1.id) == {
        ("platform", "platform"): 40_000, ("user:1", "author"): 40_000, ("user:1", "l1"): 59_999,
        ("platform", "l2"): 40_000, ("platform", "l3"): 20_000,
    }
    # p2: margin 200,000 by LATER 10/40/30/15/5
    assert await entries_of(p2.id) == {
        ("platform", "platform"): 20_000, ("user:1", "author"): 80_000, ("user:1", "l1"): 60_000,
        ("platform", "l2"): 30_000, ("platform", "l3"): 10_000,
    }
    # p3 ends exactly when LAST starts: LAST applies. Margin 199,997 by 12.5/12.5/50/25/0
    # (24,999.625 twice, 99,998.5, 49,999.25: the two kopecks left go to platform and author).
    assert await entries_of(p3.id) == {
        ("platform", "platform"): 25_000, ("user:1", "author"): 25_000, ("user:1", "l1"): 99_998,
        ("platform", "l2"): 49_999,
    }
    assert await settled_total() == (199_999 + 200_000 + 199_997,) * 2


async def test_settling_twice_or_after_a_crash_is_settling_once(database):
    await quarter_with_two_schedule_changes()
    end = T0 + timedelta(days=100)
    with pytest.raises(SettlementInterrupted):
        await settle_due_periods(end, schedule=CONFIGURED, batch_size=1, interrupt_after_batches=1)
    assert await AccountingPeriod.filter(status=PeriodStatus.SETTLED).count() == 1
    await settle_due_periods(end, schedule=CONFIGURED, batch_size=1)
    once = await ledger_snapshot()
    again = await settle_due_periods(end, schedule=CONFIGURED)
    assert again.periods == 0 and await ledger_snapshot() == once
    assert len(once) == 5 + 5 + 4
    margin, ledger = await settled_total()
    assert margin == ledger == 599_996


async def test_without_dated_schedules_the_configured_one_applies(database):
    tracker = await make_tracker(author_id=1)
    await join(tracker, 5)
    sub = await create_subscription(tracker.id, 5, "month", 100_000, T0, tz=MSK)
    await settle_due_periods(T0 + timedelta(days=40), schedule={**CONFIGURED, "platform": 50, "author": 0, "l1": 20})
    [period] = await AccountingPeriod.filter(subscription=sub)
    assert await entries_of(period.id) == {
        ("platform", "platform"): 50_000, ("platform", "l1"): 20_000, ("platform", "l2"): 20_000,
        ("platform", "l3"): 10_000,
    }


async def test_schedule_at_and_the_admins_rules(database):
    assert await schedule_at(T0, CONFIGURED) == CONFIGURED
    await add_schedule(LATER, T0 + timedelta(days=10), now=T0)
    assert await schedule_at(T0 + timedelta(days=9), CONFIGURED) == CONFIGURED
    assert await schedule_at(T0 + timedelta(days=10), CONFIGURED) == LATER
    # Never into the past, never before (or at) the latest dated one.
    with pytest.raises(ScheduleError) as past:
        await add_schedule(LAST, T0 - timedelta(seconds=1), now=T0)
    assert past.value.key == "admin-date-in-past"
    with pytest.raises(ScheduleError) as early:
        await add_schedule(LAST, T0 + timedelta(days=10), now=T0)
    assert early.value.key == "admin-date-not-after"
    history = await commission.history(CONFIGURED)
    assert [h.valid_from for h in history] == [T0 + timedelta(days=10), None]


def test_shares_are_parsed_and_must_add_up_to_100():
    assert parse_shares(["12,5", "12.5", "50", "25", "0"]) == LAST
    for bad, key in ((["20"], "admin-commission-bad-count"),
                     (["20", "20", "30", "20"], "admin-commission-bad-total"),  # two levels: 90
                     (["10"] * 9, "commission-too-many-levels"),
                     (["20", "20", "30", "20", "11"], "admin-commission-bad-total"),
                     (["-10", "40", "30", "20", "20"], "admin-commission-bad-number"),
                     (["20.0001", "19.9999", "30", "20", "10"], "admin-commission-bad-number"),
                     (["x", "20", "30", "20", "10"], "admin-commission-bad-number")):
        with pytest.raises(ScheduleError) as err:
            parse_shares(bad)
        assert err.value.key == key
