"""Settlement under schedules of any depth: each period's entries add up to its margin, settling
twice is settling once, and a deeper schedule dated between two period ends splits the earlier
period by the old schedule and the later one by the new."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.commission import add_schedule, schedule_at
from billing.settlement import settle_due_periods
from billing.split import ALL_ROLES, split_margin
from billing.subscriptions import create_subscription
from models import AccountingPeriod, CommissionRate, LedgerEntry, Membership, User
from models.enums import EntryKind
from tests.billing.helpers import MSK, at, ledger_snapshot, make_tracker, wipe
from tests.billing.test_split_depth import schedules

T0 = at(2025, 1, 1, 9)
CLIENT = 20
ANCESTORS = (16, 15, 14, 13, 12, 11)  # the client's levels 1..6
FOUR = {"platform": Decimal(15), "author": Decimal(20), "l1": Decimal(30), "l2": Decimal(20), "l3": Decimal(10),
        "l4": Decimal(5)}
NONE = {"platform": Decimal(60), "author": Decimal(40)}


async def client_with_chain(tracker, chain: tuple[int, ...]) -> None:
    """The client invited by chain[0], who was invited by chain[1], ...: each ancestor a member
    with their own chain (the client's lock copies it from the inviter's row)."""
    for uid in (*chain, CLIENT):
        await User.get_or_create(id=uid, defaults={"first_name": f"u{uid}"})
    for i in range(len(chain), -1, -1):  # the topmost ancestor first: rows in joining order
        uid = (CLIENT, *chain)[i]
        above = chain[i:]  # whoever invited uid, then their inviter, ...
        await Membership.create(tracker=tracker, user_id=uid,
                                **{f"l{k}_id": holder for k, holder in enumerate(above, start=1)})


async def entries_of(period_id: int) -> dict[tuple[str, str], int]:
    rows = await LedgerEntry.filter(source_id=period_id).values_list("account__key", "role", "amount_kopecks")
    return {(key, str(role)): amount for key, role, amount in rows}


async def test_a_deeper_schedule_from_a_date_splits_earlier_periods_by_the_old_one(database):
    tracker = await make_tracker(author_id=1)
    await client_with_chain(tracker, ANCESTORS)
    sub = await create_subscription(tracker.id, CLIENT, "quarter", 600_000, T0, tz=MSK)
    p1, p2, p3 = await AccountingPeriod.filter(subscription=sub).order_by("seq")
    assert (p1.l4_id, p1.l5_id, p1.l6_id) == (13, 12, 11)  # the period carries the whole chain
    await add_schedule(FOUR, p1.ends_at + timedelta(days=9), created_by=42, now=T0)
    await add_schedule(NONE, p3.ends_at, now=T0)
    assert await schedule_at(p2.ends_at) == FOUR
    row = await CommissionRate.get(valid_from=p1.ends_at + timedelta(days=9))
    assert (row.levels, row.l4, row.l5) == (4, Decimal(5), None)

    await settle_due_periods(T0 + timedelta(days=100))  # the configured default before any row
    # p1 ended before the change: three levels, 13 (level 4) gets nothing.
    assert await entries_of(p1.id) == {
        ("platform", "platform"): 40_000, ("user:1", "author"): 40_000, ("user:16", "l1"): 60_000,
        ("user:15", "l2"): 40_000, ("user:14", "l3"): 20_000,
    }
    # p2 ended after it: four levels, 13 gets 5%, the platform 15%.
    assert await entries_of(p2.id) == {
        ("platform", "platform"): 30_000, ("user:1", "author"): 40_000, ("user:16", "l1"): 60_000,
        ("user:15", "l2"): 40_000, ("user:14", "l3"): 20_000, ("user:13", "l4"): 10_000,
    }
    # p3 ends exactly when the schedule without levels starts: nobody earns as an inviter.
    assert await entries_of(p3.id) == {("platform", "platform"): 120_000, ("user:1", "author"): 80_000}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    schedule=schedules(),
    depth=st.integers(min_value=0, max_value=6),
    prices=st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=3),
    cost=st.integers(min_value=0, max_value=5 * 10**8),
)
async def test_any_depth_adds_up_and_settling_twice_is_settling_once(database, schedule, depth, prices, cost):
    await wipe()
    tracker = await make_tracker(author_id=1)
    await client_with_chain(tracker, ANCESTORS[:depth])
    subs = [await create_subscription(tracker.id, CLIENT, "month", price, T0, tz=MSK) for price in prices]
    end = max(s.ends_at for s in subs) + timedelta(days=1)
    await settle_due_periods(end, schedule=schedule, batch_size=2)
    once = await ledger_snapshot()
    again = await settle_due_periods(end, schedule=schedule)
    assert again.periods == 0 and await ledger_snapshot() == once
    levels = len(schedule["levels"])
    for period in await AccountingPeriod.all():
        entries = await LedgerEntry.filter(source_id=period.id, kind__in=[EntryKind.ACCRUAL, EntryKind.LOSS]) \
            .values_list("role", "amount_kopecks")
        assert sum(amount for _, amount in entries) == period.margin_kopecks
        assert {str(role) for role, _ in entries} <= {r.value for r in ALL_ROLES[: 2 + levels]}


async def test_the_month_totals_count_a_fourth_level_and_still_add_up(database):
    from billing.reports import month_totals
    from dialogs.platform.admin.getters import _level_amounts
    from i18n.catalog import translator

    tracker = await make_tracker(author_id=1)
    await client_with_chain(tracker, ANCESTORS[:4])  # 13 is level 4
    await User.get_or_create(id=30, defaults={"first_name": "u30"})
    await Membership.create(tracker=tracker, user_id=30, l1_id=1)  # the author's own client: levels 2..4 unheld
    for uid in (CLIENT, 30):
        await create_subscription(tracker.id, uid, "month", 200_000, T0, tz=MSK)
    await settle_due_periods(at(2025, 2, 5, 12), schedule=FOUR)
    feb = await month_totals("2025-02", MSK)
    assert feb.by_role["l4"] == 2 * 10_000 and feb.unheld["l4"] == 10_000
    assert feb.platform_kopecks + feb.paid_to_people_kopecks == feb.margin_kopecks == 400_000
    text = _level_amounts(translator("en"), feb.by_role).replace("\xa0", " ")
    assert text == "L1 RUB 1,200.00, L2 RUB 800.00, L3 RUB 400.00, L4 RUB 200.00"
    assert feb.unheld == {"l1": 0, "l2": 40_000, "l3": 20_000, "l4": 10_000}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(old=schedules(), new=schedules(), change_after=st.integers(min_value=0, max_value=3),
       shift=st.integers(min_value=-3600, max_value=3600))
async def test_a_change_on_any_date_splits_each_period_by_the_schedule_at_its_end(database, old, new,
                                                                                  change_after, shift):
    """A quarter's three monthly periods: the new schedule (any depth) starts near one period's end
    (or before them all); every period ending before it is split by the old one (any depth), every
    other by the new."""
    await wipe()
    await CommissionRate.all().delete()
    tracker = await make_tracker(author_id=1)
    await client_with_chain(tracker, ANCESTORS)
    sub = await create_subscription(tracker.id, CLIENT, "quarter", 600_001, T0, tz=MSK)
    periods = await AccountingPeriod.filter(subscription=sub).order_by("seq")
    change = (periods[min(change_after, 2)].ends_at if change_after < 3 else T0) + timedelta(seconds=shift)
    change = max(change, T0)
    await add_schedule(new, change, now=T0, unattributed=new["unattributed"])
    await settle_due_periods(T0 + timedelta(days=100), schedule=old)
    for period in periods:
        in_force = new if period.ends_at >= change else old
        expected = split_margin(period.revenue_kopecks, author=1, chain=list(ANCESTORS), schedule=in_force)
        got = await LedgerEntry.filter(source_id=period.id).values_list("role", "amount_kopecks")
        assert sorted((str(role), amount) for role, amount in got) == \
            sorted((share.role.value, share.amount) for share in expected)
