"""The split settlement makes in the database (billing.split_sql) against billing.split itself,
period by period: any margin (losses, zero, the largest the database takes exactly), any schedule
of 0 to 6 levels with fractional percents and either unattributed rule, chains with levels
nobody holds, flagged partners and revenue the author collected. A margin too large for the
database's 64-bit integers is split by billing.split in Python, with the same result."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise import connections

from billing import split_sql
from billing.accounts import platform_account_id, user_account_ids
from billing.settlement import settle_due_periods
from billing.split import LEVEL_ROLES, MAX_LEVELS, compile_schedule, split_margin
from billing.subscriptions import create_subscription
from models import AccountingPeriod, FraudFlag, LedgerEntry, User
from models.enums import Collector, EntryKind, FraudReason, PeriodStatus
from models.sql import ts
from tests.billing.helpers import MSK, at, ledger_snapshot, make_tracker, wipe
from tests.billing.test_split_depth import schedules

T0 = at(2025, 3, 1, 9)
AUTHOR, CLIENT = 1, 50
PARTNERS = tuple(range(2, 10))
FLAGGED = (3, 5)

# Random cuts rarely give two roles one weight, and ties are where the rounding order matters.
TIED = [
    {"platform": D(20), "author": D(20), "levels": [D(30), D(20), D(10)], "unattributed": "platform"},
    {"platform": D(25), "author": D(25), "levels": [D(25), D(25)], "unattributed": "author"},
    {"platform": D("12.5"), "author": D("12.5"), "levels": [D(25), D("12.5"), D("12.5"), D("12.5"), D("12.5"), D(0)],
     "unattributed": "platform"},
]
any_schedule = st.one_of(st.sampled_from(TIED), schedules())

period_spec = st.fixed_dictionaries({
    "margin": st.one_of(
        st.integers(min_value=-(10**12), max_value=10**12),
        st.integers(min_value=-3, max_value=300),
        st.sampled_from([10**15, -(10**15)]),
    ),
    "chain": st.lists(st.one_of(st.none(), st.sampled_from(PARTNERS)), max_size=MAX_LEVELS),
    "collected": st.booleans(),
})


async def year_of_periods(n: int) -> tuple[object, list[AccountingPeriod]]:
    tracker = await make_tracker(author_id=AUTHOR)
    for uid in (CLIENT, *PARTNERS):
        await User.get_or_create(id=uid, defaults={"first_name": f"u{uid}"})
    for uid in FLAGGED:
        await FraudFlag.create(user_id=uid, tracker=tracker, reason=next(iter(FraudReason)))
    sub = await create_subscription(tracker.id, CLIENT, "year", 1_200_000, T0, tz=MSK)
    periods = await AccountingPeriod.filter(subscription=sub).order_by("seq")
    return tracker, periods[:n]


def expected(period_id: int, spec: dict, schedule: dict, revenue: int) -> set[tuple]:
    key = {None: "platform"}
    rows = set()
    for share in split_margin(spec["margin"], author=AUTHOR, chain=spec["chain"], schedule=schedule):
        kind = share.kind.value
        if share.beneficiary in FLAGGED and share.role in LEVEL_ROLES:
            kind = EntryKind.HELD.value
        who = key.get(share.beneficiary, f"user:{share.beneficiary}")
        rows.add(("period", period_id, who, share.role.value, kind, share.amount))
    if spec["collected"]:
        rows.add(("collection", period_id, f"user:{AUTHOR}", "author", "collected", -revenue))
    return rows


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(schedule=any_schedule, specs=st.lists(period_spec, min_size=1, max_size=12))
async def test_the_database_splits_every_period_as_split_margin_does(database, schedule, specs):
    await wipe()
    _, periods = await year_of_periods(len(specs))
    weights = compile_schedule(schedule)
    conn = connections.get("default")
    platform = await platform_account_id(conn)
    await user_account_ids([AUTHOR, *PARTNERS], conn)
    want: set[tuple] = set()
    for period, spec in zip(periods, specs, strict=False):
        chain = spec["chain"] + [None] * (MAX_LEVELS - len(spec["chain"]))
        await AccountingPeriod.filter(id=period.id).update(
            status=PeriodStatus.SETTLED, margin_kopecks=spec["margin"],
            collector=Collector.AUTHOR if spec["collected"] else Collector.PLATFORM,
            **{f"l{k}_id": holder for k, holder in enumerate(chain, start=1)},
        )
        if split_sql.fits(spec["margin"], weights):
            want |= expected(period.id, spec, schedule, period.revenue_kopecks)
        elif spec["collected"]:  # the database writes only the collected entry of such a period
            want.add(("collection", period.id, f"user:{AUTHOR}", "author", "collected", -period.revenue_kopecks))
    now_ts = ts(conn, T0)
    ids = [p.id for p in periods]
    written = await split_sql.write_entries(conn, ids, weights, platform, now_ts, held=FLAGGED)
    assert await ledger_snapshot() == want
    assert written == len(want)
    assert await split_sql.write_entries(conn, ids, weights, platform, now_ts, held=FLAGGED) == 0  # the key


async def test_a_margin_past_the_databases_integers_is_split_in_python(database):
    tracker, _ = await year_of_periods(0)
    sub = await create_subscription(tracker.id, CLIENT, "month", 100_000, T0 + timedelta(days=400), tz=MSK)
    period = await AccountingPeriod.get(subscription=sub)
    huge = 2**61  # times the default schedule's total of 100: past 2^62
    assert not split_sql.fits(huge, compile_schedule(None))
    await AccountingPeriod.filter(id=period.id).update(revenue_kopecks=huge, l1_id=3, l2_id=4)
    result = await settle_due_periods(period.ends_at + timedelta(days=1))
    assert result.periods == 13 and result.margin_kopecks >= huge
    rows = await LedgerEntry.filter(source_id=period.id).values_list("account__key", "role", "kind", "amount_kopecks")
    shares = split_margin(huge, author=AUTHOR, chain=[3, 4], schedule=None)
    assert sorted(rows) == sorted(
        ("platform" if s.beneficiary is None else f"user:{s.beneficiary}", s.role.value,
         EntryKind.HELD.value if s.beneficiary in FLAGGED and s.role in LEVEL_ROLES else s.kind.value, s.amount)
        for s in shares
    )
    assert sum(amount for *_, amount in rows) == huge
