"""Settlement: token cost in the period's window, the split from the membership chain, and
exactly-once accrual (twice = once, killed half way + rerun = one clean run, catch-up)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise import connections

from billing.ledger import platform_balance, settled_total, user_balance
from billing.settlement import SettlementInterrupted, settle_due_periods, token_cost_kopecks
from billing.split import split_margin
from billing.subscriptions import create_subscription
from models import AccountingPeriod, LedgerEntry, Membership, UsageRecord, ledger_guard
from models.enums import EntryKind, PeriodStatus, Role
from tests.billing.helpers import MSK, at, join, ledger_snapshot, make_tracker, wipe

T0 = at(2025, 1, 1, 9)


async def use(tracker, user_id, when, cost_ukop, charged_to="subscription"):
    await UsageRecord.create(
        tracker=tracker, user_id=user_id, model="m", input_tokens=1, output_tokens=1,
        mj_micro=0, cost_ukop=cost_ukop, created_at=when, charged_to=charged_to,
    )


async def test_token_cost_is_the_metered_usage_inside_the_window(database):
    tracker = await make_tracker(author_id=1)
    other = await make_tracker(author_id=1, bot_id=101)
    await join(tracker, 5)
    sub = await create_subscription(tracker.id, 5, "month", 200_000, T0, tz=MSK)
    [period] = await AccountingPeriod.filter(subscription=sub)
    await use(tracker, 5, period.starts_at, 1_000_000)  # first instant: in
    await use(tracker, 5, period.starts_at + timedelta(days=3), 499_999)  # in
    await use(tracker, 5, period.ends_at - timedelta(microseconds=1), 1)  # last instant: in
    await use(tracker, 5, period.ends_at, 7_000_000)  # the next period's: out
    await use(tracker, 5, period.starts_at - timedelta(seconds=1), 7_000_000)  # before: out
    await use(tracker, 5, period.starts_at + timedelta(days=1), 7_000_000, charged_to="author")  # not the margin's
    await use(other, 5, period.starts_at + timedelta(days=1), 7_000_000)  # another tracker
    result = await settle_due_periods(period.ends_at)
    await period.refresh_from_db()
    # 1,500,000 millionths = 1.5 kopecks, rounded half-up once for the period
    assert period.token_cost_kopecks == 2
    assert period.margin_kopecks == 199_998
    assert period.status == PeriodStatus.SETTLED
    assert result.periods == 1 and result.margin_kopecks == 199_998


def test_cost_rounds_half_up_to_kopecks():
    assert [token_cost_kopecks(v) for v in (0, 499_999, 500_000, 1_499_999, 1_500_000)] == [0, 0, 1, 1, 2]


async def test_only_ended_periods_settle_and_a_late_run_catches_up(database):
    tracker = await make_tracker(author_id=1)
    await join(tracker, 5, inviter=1)
    await create_subscription(tracker.id, 5, "quarter", 600_000, T0, tz=MSK)
    assert (await settle_due_periods(T0 + timedelta(days=20))).periods == 0
    assert (await settle_due_periods(T0 + timedelta(days=40))).periods == 1
    # the platform was down for months: one run settles everything that ended meanwhile
    assert (await settle_due_periods(T0 + timedelta(days=400))).periods == 2
    assert await AccountingPeriod.filter(status=PeriodStatus.OPEN).count() == 0
    assert (await user_balance(1)).accrued == 600_000 // 2  # author 20% + L1 30%


async def test_a_fourth_ancestor_gets_nothing(database):
    # author(1) -> p1(11) -> p2(12) -> p3(13) -> p4(14) -> subscriber(20)
    tracker = await make_tracker(author_id=1)
    inviter = 1
    for user in (11, 12, 13, 14, 20):
        await join(tracker, user, inviter)
        inviter = user
    member = await Membership.get(tracker=tracker, user_id=20)
    assert (member.l1_id, member.l2_id, member.l3_id) == (14, 13, 12)
    await create_subscription(tracker.id, 20, "month", 100_000, T0, tz=MSK)
    await settle_due_periods(T0 + timedelta(days=40))
    assert (await user_balance(14)).by_role == {"l1": 30_000}
    assert (await user_balance(13)).by_role == {"l2": 20_000}
    assert (await user_balance(12)).by_role == {"l3": 10_000}
    assert (await user_balance(11)).accrued == 0  # the fourth ancestor
    assert (await user_balance(1)).by_role == {"author": 20_000}  # the author only as author
    assert (await platform_balance()).by_role == {"platform": 20_000}


async def test_the_author_who_invites_is_paid_as_author_and_as_l1(database):
    tracker = await make_tracker(author_id=1)
    await join(tracker, 5, inviter=1)
    await create_subscription(tracker.id, 5, "month", 200_000, T0, tz=MSK)
    await use(tracker, 5, T0 + timedelta(days=2), 60_000 * 1_000_000)  # 600 RUB
    await settle_due_periods(T0 + timedelta(days=40))
    author = await user_balance(1)
    assert author.by_role == {"author": 28_000, "l1": 42_000}  # the seed's per-subscriber figures
    assert (await platform_balance()).by_role == {"platform": 28_000, "l2": 28_000, "l3": 14_000}


async def test_a_loss_accrues_nothing_and_is_the_platforms(database):
    tracker = await make_tracker(author_id=1)
    await join(tracker, 5, inviter=1)
    await create_subscription(tracker.id, 5, "month", 50_000, T0, tz=MSK)
    await use(tracker, 5, T0 + timedelta(days=2), 80_000 * 1_000_000)
    result = await settle_due_periods(T0 + timedelta(days=40))
    assert result.margin_kopecks == -30_000 and result.loss_kopecks == -30_000
    [entry] = await LedgerEntry.all()
    assert (entry.kind, entry.role, entry.amount_kopecks) == (EntryKind.LOSS, Role.PLATFORM, -30_000)
    assert (await platform_balance()).losses == -30_000
    assert (await user_balance(1)).accrued == 0
    assert await settled_total() == (-30_000, -30_000)


async def test_settling_across_many_batches(database):
    tracker = await make_tracker(author_id=1)
    for user in range(10, 40):
        await join(tracker, user, inviter=1 if user % 2 else None)
        await create_subscription(tracker.id, user, "month", 100_000 + user, T0, tz=MSK)
    result = await settle_due_periods(T0 + timedelta(days=40), batch_size=7)
    assert result.periods == 30 and result.batches == 5
    margin, ledger = await settled_total()
    assert margin == ledger == sum(100_000 + u for u in range(10, 40))


# --- properties over random worlds ----------------------------------------------------------

plans = st.sampled_from(["day", "month", "quarter", "year"])
usage = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=400 * 24),
        st.integers(min_value=0, max_value=3 * 10**11),
        st.sampled_from(["subscription", "subscription", "author"]),
    ),
    max_size=4,
)
subscriber = st.fixed_dictionaries(
    {
        "inviter": st.one_of(st.none(), st.integers(min_value=0, max_value=5)),  # 0 author, k partner k
        "plan": plans,
        "price": st.integers(min_value=0, max_value=5 * 10**6),
        "start_hours": st.integers(min_value=0, max_value=60 * 24),
        "renew": st.booleans(),
        "usage": usage,
    }
)
world = st.fixed_dictionaries(
    {
        # partner k (user 10 + k) is invited by the author (0) or by an earlier partner
        "partners": st.lists(st.integers(min_value=0, max_value=5), max_size=5),
        "subscribers": st.lists(subscriber, min_size=1, max_size=6),
        "now_days": st.integers(min_value=0, max_value=420),
        "batch_size": st.integers(min_value=1, max_value=4),
    }
)
DB_EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


async def build(spec) -> None:
    await wipe()
    tracker = await make_tracker(author_id=1)
    partners = []
    for k, inviter in enumerate(spec["partners"], start=1):
        inviter = min(inviter, k - 1)  # only someone who is already a member
        await join(tracker, 10 + k, 1 if inviter == 0 else 10 + inviter)
        partners.append(10 + k)
    for n, sub in enumerate(spec["subscribers"]):
        user = 100 + n
        inviter = sub["inviter"]
        if inviter is not None:
            inviter = 1 if inviter == 0 or inviter > len(partners) else partners[inviter - 1]
        await join(tracker, user, inviter)
        paid = T0 + timedelta(hours=sub["start_hours"])
        await create_subscription(tracker.id, user, sub["plan"], sub["price"], paid, tz=MSK)
        if sub["renew"]:  # paid while active: queued after the first
            await create_subscription(tracker.id, user, sub["plan"], sub["price"] + 1, paid + timedelta(hours=1),
                                      tz=MSK)
        for hours, cost, charged_to in sub["usage"]:
            await use(tracker, user, paid + timedelta(hours=hours), cost, charged_to)


async def expected_ledger(now) -> set[tuple]:
    """The oracle: every due period computed straight from the rules, row by row, in Python."""
    out = set()
    usage_rows = await UsageRecord.filter(charged_to="subscription").all()
    for period in await AccountingPeriod.filter(ends_at__lte=now).prefetch_related("tracker"):
        member = await Membership.get_or_none(tracker_id=period.tracker_id, user_id=period.user_id)
        cost_ukop = sum(
            u.cost_ukop for u in usage_rows
            if u.tracker_id == period.tracker_id and u.user_id == period.user_id
            and period.starts_at <= u.created_at < period.ends_at
        )
        margin = period.revenue_kopecks - (cost_ukop + 500_000) // 1_000_000
        chain = (member.l1_id, member.l2_id, member.l3_id) if member else (None, None, None)
        for share in split_margin(margin, author=period.tracker.author_id, l1=chain[0], l2=chain[1], l3=chain[2]):
            key = "platform" if share.beneficiary is None else f"user:{share.beneficiary}"
            out.add(("period", period.id, key, share.role.value, share.kind.value, share.amount))
    return out


@DB_EXAMPLES
@given(spec=world)
async def test_ledger_equals_the_rules_and_settling_twice_equals_once(database, spec):
    await build(spec)
    now = T0 + timedelta(days=spec["now_days"])
    first = await settle_due_periods(now, batch_size=spec["batch_size"])
    snapshot = await ledger_snapshot()
    assert snapshot == await expected_ledger(now)
    margin, ledger = await settled_total()
    assert margin == ledger == first.margin_kopecks  # the ledger's total is the settled margin
    second = await settle_due_periods(now, batch_size=spec["batch_size"])
    assert second.periods == 0 and await ledger_snapshot() == snapshot
    # later, everything has ended: still exactly the rules, still adding up
    later = T0 + timedelta(days=900)
    await settle_due_periods(later, batch_size=spec["batch_size"])
    assert await ledger_snapshot() == await expected_ledger(later)
    margin, ledger = await settled_total()
    assert margin == ledger


@DB_EXAMPLES
@given(spec=world, crash_after=st.integers(min_value=0, max_value=3))
async def test_a_settlement_killed_half_way_and_rerun_equals_one_clean_run(database, spec, crash_after):
    await build(spec)
    now = T0 + timedelta(days=spec["now_days"])
    try:
        await settle_due_periods(now, batch_size=spec["batch_size"], interrupt_after_batches=crash_after)
    except SettlementInterrupted:
        # what was committed is whole: settled periods and their entries match, nothing else
        margin, ledger = await settled_total()
        assert margin == ledger
        settled = await AccountingPeriod.filter(status=PeriodStatus.SETTLED).count()
        assert settled == crash_after * spec["batch_size"]
    await settle_due_periods(now, batch_size=spec["batch_size"])
    rerun = await ledger_snapshot()
    periods_after_rerun = await AccountingPeriod.all().order_by("id").values_list(
        "id", "status", "token_cost_kopecks", "margin_kopecks"
    )

    # the same world settled in one clean run (the ledger guard lifted to start it over)
    async with ledger_guard.lifted(connections.get("default")):
        await LedgerEntry.all().delete()
    await AccountingPeriod.all().update(
        status=PeriodStatus.OPEN, token_cost_kopecks=None, margin_kopecks=None, settled_at=None
    )
    await settle_due_periods(now, batch_size=spec["batch_size"])
    assert rerun == await ledger_snapshot() == await expected_ledger(now)
    assert periods_after_rerun == await AccountingPeriod.all().order_by("id").values_list(
        "id", "status", "token_cost_kopecks", "margin_kopecks"
    )


async def test_interrupted_batch_rolls_back_entirely(database):
    tracker = await make_tracker(author_id=1)
    for user in range(10, 16):
        await join(tracker, user, inviter=1)
        await create_subscription(tracker.id, user, "month", 100_000, T0, tz=MSK)
    with pytest.raises(SettlementInterrupted):
        await settle_due_periods(T0 + timedelta(days=40), batch_size=4, interrupt_after_batches=1)
    assert await AccountingPeriod.filter(status=PeriodStatus.SETTLED).count() == 4
    assert await LedgerEntry.all().distinct().values_list("source_id", flat=True) and (
        set(await LedgerEntry.all().values_list("source_id", flat=True)) == set(
            await AccountingPeriod.filter(status=PeriodStatus.SETTLED).values_list("id", flat=True)
        )
    )
    assert (await settle_due_periods(T0 + timedelta(days=40), batch_size=4)).periods == 2
