"""The running earnings totals agree with the ledger, whatever order things happen in."""

from datetime import UTC, datetime, timedelta

from billing.partner import links_stats, monthly_earnings_by_level, settled_by_level
from billing.partner import totals as rollup
from models import LedgerEntry
from models.enums import EntryKind, Role, SourceType
from models.referral import EarningsCursor, EarningsRollup
from referral import create_link, record_start
from tests.referral.conftest import PAID_AT, make_tracker, make_user, pay

AUTHOR, PARTNER = 1, 10


async def ledger_total(user_id: int, role: Role | None = None) -> int:
    from billing.accounts import user_account_id

    query = LedgerEntry.filter(account_id=await user_account_id(user_id), kind=EntryKind.ACCRUAL)
    if role is not None:
        query = query.filter(role=role)
    return sum(e.amount_kopecks for e in await query)


async def network_of_payers(tracker, n: int, *, start: int = 100, paid_at: datetime = PAID_AT) -> None:
    link = await create_link(tracker.id, PARTNER)
    for uid in range(start, start + n):
        await make_user(uid)
        await record_start(tracker.id, uid, link.code)
        await pay(tracker.id, uid, 100_001, paid_at=paid_at, cost_kopecks=1)  # odd kopecks: rounding shows


async def test_totals_follow_each_settlement_and_never_double_count(database, monkeypatch):
    from billing.settlement import settle_due_periods

    monkeypatch.setattr(rollup, "BATCH", 3)  # several fold transactions per refresh
    tracker = await make_tracker(AUTHOR)
    await make_user(PARTNER, "P")
    await record_start(tracker.id, PARTNER, (await create_link(tracker.id, AUTHOR)).code)
    await pay(tracker.id, PARTNER)
    await network_of_payers(tracker, 7)
    await settle_due_periods(PAID_AT + timedelta(days=40))
    assert (await settled_by_level(tracker.id, PARTNER)).l1 == await ledger_total(PARTNER) > 0
    assert (await settled_by_level(tracker.id, PARTNER)).l1 == await ledger_total(PARTNER)  # again: same

    # More payers, settled a month later: the totals fold only what is new.
    cursor = (await EarningsCursor.get()).last_entry_id
    await network_of_payers(tracker, 5, start=200, paid_at=PAID_AT + timedelta(days=35))
    await settle_due_periods(PAID_AT + timedelta(days=80))
    assert (await settled_by_level(None, PARTNER)).l1 == await ledger_total(PARTNER)
    assert (await EarningsCursor.get()).last_entry_id > cursor
    # The author, folded for the first time now, gets author and level-2 shares right too.
    vera = await settled_by_level(tracker.id, AUTHOR)
    assert (vera.author, vera.l2) == (await ledger_total(AUTHOR, Role.AUTHOR), await ledger_total(AUTHOR, Role.L2))
    # Per link and per month add up to the same.
    links = await links_stats(tracker.id, PARTNER)
    assert len(links) == 2 and all(link.earned_kopecks for link in links)
    assert sum(link.earned_kopecks for link in links) == await ledger_total(PARTNER)
    months = await monthly_earnings_by_level(tracker.id, PARTNER, 24, now=PAID_AT + timedelta(days=80))
    assert sum(m.amounts.l1 for m in months) == await ledger_total(PARTNER)
    assert [m.month for m in months if m.amounts.total] == ["2025-02", "2025-03"]


async def test_entries_committed_after_the_fold_are_counted_live(database, monkeypatch):
    from billing.settlement import settle_due_periods

    tracker = await make_tracker(AUTHOR)
    await make_user(PARTNER, "P")
    await record_start(tracker.id, PARTNER, (await create_link(tracker.id, AUTHOR)).code)
    await pay(tracker.id, PARTNER)
    await network_of_payers(tracker, 3)
    await settle_due_periods(PAID_AT + timedelta(days=40))
    await rollup.refresh(PARTNER)

    # As if a settlement batch committed between this view's fold and its read.
    real_refresh = rollup.refresh_many
    late = []

    async def stale(user_ids, **kwargs):
        states = await real_refresh(user_ids, **kwargs)
        late.append(await LedgerEntry.create(
            account_id=states[PARTNER][0], kind=EntryKind.ACCRUAL, role=Role.L1, amount_kopecks=7,
            source_type=SourceType.ADJUSTMENT, source_id=1, tracker_id=tracker.id,
        ))  # fmt: skip
        return states

    monkeypatch.setattr(rollup, "refresh_many", stale)
    before = await ledger_total(PARTNER)
    assert (await settled_by_level(tracker.id, PARTNER)).l1 == before + 7 == await ledger_total(PARTNER)
    assert late and (await EarningsCursor.get()).last_entry_id < late[0].id  # counted live, not folded
    monkeypatch.setattr(rollup, "refresh_many", real_refresh)
    assert (await settled_by_level(tracker.id, PARTNER)).l1 == await ledger_total(PARTNER)


async def test_another_time_zone_refolds_the_months(database):
    tracker = await make_tracker(AUTHOR)
    await make_user(PARTNER)
    from billing.accounts import user_account_id

    account = await user_account_id(PARTNER)
    # Settled at 22:30 UTC on Jan 31: February in Moscow, January in UTC.
    await LedgerEntry.create(
        account_id=account, kind=EntryKind.ACCRUAL, role=Role.L1, amount_kopecks=100,
        source_type=SourceType.PERIOD, source_id=1, tracker_id=tracker.id,
        created_at=datetime(2025, 1, 31, 22, 30, tzinfo=UTC),
    )  # fmt: skip
    now = datetime(2025, 2, 10, tzinfo=UTC)
    moscow = await monthly_earnings_by_level(tracker.id, PARTNER, 2, now=now)
    assert [(m.month, m.amounts.l1) for m in moscow] == [("2025-01", 0), ("2025-02", 100)]
    utc = await monthly_earnings_by_level(tracker.id, PARTNER, 2, now=now, tz="UTC")
    assert [(m.month, m.amounts.l1) for m in utc] == [("2025-01", 100), ("2025-02", 0)]
    assert await EarningsRollup.all().count() == 1
    assert (await EarningsCursor.get()).timezone == "UTC"
    # Figures without months keep whatever zone the totals are in: no refold back and forth.
    cursor = await EarningsCursor.get()
    assert (await settled_by_level(tracker.id, PARTNER)).l1 == 100
    assert ((await EarningsCursor.get()).timezone == "UTC"
            and (await EarningsCursor.get()).updated_at == cursor.updated_at)


async def test_reading_makes_no_account(database):
    tracker = await make_tracker(AUTHOR)
    await make_user(PARTNER)
    assert (await settled_by_level(tracker.id, PARTNER)).total == 0
    assert await rollup.refresh(PARTNER) is None
    from models import Account

    assert not await Account.exists(user_id=PARTNER)


async def test_views_at_once_fold_once(database, monkeypatch):
    import asyncio

    from billing.settlement import settle_due_periods

    monkeypatch.setattr(rollup, "BATCH", 2)
    tracker = await make_tracker(AUTHOR)
    await make_user(PARTNER, "P")
    await record_start(tracker.id, PARTNER, (await create_link(tracker.id, AUTHOR)).code)
    await pay(tracker.id, PARTNER)
    await network_of_payers(tracker, 6)
    await settle_due_periods(PAID_AT + timedelta(days=40))
    results = await asyncio.gather(*(settled_by_level(tracker.id, PARTNER) for _ in range(5)))
    assert {r.l1 for r in results} == {await ledger_total(PARTNER)}
    assert sum(r.entries for r in await EarningsRollup.filter(role=Role.L1)) == 6
