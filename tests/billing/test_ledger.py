"""Balances, payouts (reserve / release / paid) and the forecast of open periods."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from billing.accounts import platform_account_id, user_account_id, user_account_ids
from billing.ledger import (
    InsufficientFunds,
    PayoutStateError,
    balance,
    forecast,
    mark_payout_paid,
    release_payout,
    reserve_payout,
    user_balance,
)
from billing.settlement import settle_due_periods
from billing.subscriptions import create_subscription
from models import Account, UsageRecord
from tests.billing.helpers import MSK, at, join, make_tracker

T0 = at(2025, 1, 1, 9)


async def funded_partner() -> int:
    """Partner 7 brings one subscriber; one settled month pays them 30% of 100,000."""
    tracker = await make_tracker(author_id=1)
    await join(tracker, 7, inviter=1)
    await join(tracker, 8, inviter=7)
    await create_subscription(tracker.id, 8, "month", 100_000, T0, tz=MSK)
    await settle_due_periods(T0 + timedelta(days=40))
    return await user_account_id(7)


async def test_accounts_are_created_once_even_when_asked_at_once(database):
    await make_tracker(author_id=1)
    results = await asyncio.gather(*(user_account_ids([1]) for _ in range(5)))
    assert len({r[1] for r in results}) == 1
    assert await platform_account_id() == await platform_account_id()
    assert await Account.filter(key="user:1").count() == 1


async def test_reserve_release_and_paid(database):
    account = await funded_partner()
    assert (await balance(account)).available == 30_000

    assert await reserve_payout(1, account, 10_000) is True
    assert await reserve_payout(1, account, 10_000) is False  # the same request twice: one hold
    b = await balance(account)
    assert (b.accrued, b.reserved, b.paid, b.available) == (30_000, 10_000, 0, 20_000)

    with pytest.raises(InsufficientFunds):
        await reserve_payout(2, account, 20_001)

    assert await reserve_payout(2, account, 20_000) is True
    assert await release_payout(2) is True  # rejected: money back
    assert await release_payout(2) is False
    assert await mark_payout_paid(1) is True  # approved and paid
    assert await mark_payout_paid(1) is False
    with pytest.raises(PayoutStateError):
        await release_payout(1)  # a paid request cannot be released
    with pytest.raises(PayoutStateError):
        await mark_payout_paid(3)  # never reserved

    b = await balance(account)
    assert (b.accrued, b.reserved, b.paid, b.available) == (30_000, 0, 10_000, 20_000)


async def test_forecast_of_open_periods(database):
    tracker = await make_tracker(author_id=1)
    await join(tracker, 7, inviter=1)
    await join(tracker, 8, inviter=7)
    await create_subscription(tracker.id, 8, "quarter", 300_000, T0, tz=MSK)
    # 200 RUB metered so far in the first month
    await UsageRecord.create(
        tracker=tracker, user_id=8, model="m", input_tokens=1, output_tokens=1, mj_micro=0,
        cost_ukop=20_000 * 1_000_000, created_at=T0 + timedelta(days=3),
    )
    # open: 100,000 - 20,000 + 100,000 + 100,000 = 280,000 estimated margin
    assert await forecast(7) == {"author": 0, "l1": 84_000, "l2": 0, "l3": 0}
    assert await forecast(1) == {"author": 56_000, "l1": 0, "l2": 56_000, "l3": 0}
    assert await forecast(None) == {"platform": 56_000, "l1": 0, "l2": 0, "l3": 28_000}
    # once the first month settles it leaves the forecast and enters the balance
    await settle_due_periods(T0 + timedelta(days=40))
    assert await forecast(7) == {"author": 0, "l1": 60_000, "l2": 0, "l3": 0}
    assert (await user_balance(7)).accrued == 24_000


async def test_balance_equals_a_plain_sum_of_random_ledgers(database):
    """balance() reads accruals from billing.partner.totals's running totals plus the entries folded
    after them; whatever the ledger and whenever the folds ran, it equals the plain SUM."""
    import random
    from datetime import UTC, datetime

    from billing.ledger import INSERT_ENTRY
    from billing.partner import totals as rollup
    from models.sql import default_connection, sql, ts

    conn = default_connection()
    tracker = await make_tracker(author_id=1)
    other = await make_tracker(author_id=2, bot_id=101)
    users = [7, 8]
    await join(tracker, 7, inviter=1)
    await join(tracker, 8, inviter=7)
    accounts = {uid: await user_account_id(uid) for uid in users}
    kinds = ["accrual"] * 6 + ["loss", "reserve", "release", "payout", "adjustment"]
    roles = ["author", "l1", "l2", "l3", "platform", "none"]
    rng = random.Random(20261123)
    source = 0
    for step in range(400):
        uid = rng.choice(users)
        source += 1
        kind = rng.choice(kinds)
        tracker_id = rng.choice([tracker.id, other.id, tracker.id, None] if kind == "accrual" else [None, tracker.id])
        created = datetime(2025, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), tzinfo=UTC)
        await conn.execute_query(
            sql(conn, INSERT_ENTRY),
            [accounts[uid], kind, rng.choice(roles), rng.randint(-50_000, 100_000), rng.choice(["period", "payout"]),
             source, tracker_id, ts(conn, created)],
        )  # fmt: skip
        if rng.random() < 0.1:  # a cabinet view folds what is new (now and then in another zone)
            await rollup.refresh(rng.choice(users), tz=rng.choice([None, None, "UTC"]))
        if step % 20 == 0 or step == 399:
            for account in accounts.values():
                _, rows = await conn.execute_query(
                    sql(conn, "SELECT kind, role, SUM(amount_kopecks) FROM ledger_entries WHERE account_id = ? "
                              "GROUP BY kind, role"),
                    [account],
                )
                by_kind: dict[str, int] = {}
                by_role: dict[str, int] = {}
                for kind_, role, amount in rows:
                    by_kind[kind_] = by_kind.get(kind_, 0) + amount
                    if kind_ == "accrual":
                        by_role[role] = by_role.get(role, 0) + amount
                b = await balance(account)
                assert b.accrued == by_kind.get("accrual", 0)
                assert b.by_role == by_role
                assert b.paid == by_kind.get("payout", 0)
                assert b.losses == by_kind.get("loss", 0)
                assert b.adjustments == by_kind.get("adjustment", 0)
                assert b.available == sum(v for k, v in by_kind.items() if k != "payout")
                assert b.reserved == -by_kind.get("reserve", 0) - by_kind.get("release", 0) - b.paid
    # the folds did take part: most of the accruals come from the running totals
    _, folded = await conn.execute_query("SELECT COALESCE(SUM(entries), 0) FROM earnings_rollup")
    assert folded[0][0] > 50
