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
