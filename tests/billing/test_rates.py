"""Metering in mJ at a dated rate, and the seed's Vera example end to end."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from billing.ledger import platform_balance, user_balance
from billing.rates import (
    NoRate,
    UnknownModel,
    add_rate,
    mj_to_kopecks,
    rate_at,
    record_usage,
    set_model_price,
    usage_cost,
)
from billing.settlement import settle_due_periods
from billing.subscriptions import create_subscription
from models import AccountingPeriod, UsageRecord
from tests.billing.helpers import MSK, at, join, make_tracker

JAN_2025 = datetime(2025, 1, 1, tzinfo=ZoneInfo(MSK))


def test_usage_cost_is_exact():
    price = SimpleNamespace(mj_per_1k_input=Decimal("10"), mj_per_1k_output=Decimal("20"))
    # 3,000 input + 1,000 output tokens = 30 + 20 = 50 mJ = 75 RUB at 1.5 RUB/mJ
    assert usage_cost(3000, 1000, price, Decimal("1.5")) == (50_000_000, 7_500_000_000)
    # a fraction of a kopeck: 7 tokens at 0.123456 mJ/1K = 0.000864192 mJ
    tiny = SimpleNamespace(mj_per_1k_input=Decimal("0.123456"), mj_per_1k_output=Decimal(0))
    cost = usage_cost(7, 0, tiny, Decimal("1.5"))
    assert cost.mj_micro == 864  # 864.192 millionths, half-up
    assert cost.cost_ukop == 129_629  # 0.000864192 mJ x 150 kop = 0.1296288 kop -> 129,628.8 -> 129,629


def test_vera_monthly_cost():
    # 8 meetings x 50 mJ = 400 mJ = 600 RUB at the January 2025 rate (400 mJ = 600 RUB)
    assert mj_to_kopecks(8 * 50, Decimal("1.5")) == 60_000


async def test_rates_are_dated_and_only_added(database):
    old = await add_rate(JAN_2025, "1.5")
    new = await add_rate(JAN_2025 + timedelta(days=40), "2")
    assert (await rate_at(JAN_2025 + timedelta(days=10))).id == old.id
    assert (await rate_at(JAN_2025 + timedelta(days=40))).id == new.id
    assert await rate_at(JAN_2025 - timedelta(seconds=1)) is None
    with pytest.raises(ValueError):
        await add_rate(JAN_2025 + timedelta(days=20), "1.7")  # would rewrite billed history


async def test_vera_end_to_end(database):
    """Vera: two meetings a week (8 a month) of ~50 mJ each, 2,000 RUB a month -> margin 1,400."""
    await add_rate(JAN_2025, "1.5")
    await set_model_price("vera-model", "10", "20")
    tracker = await make_tracker(author_id=1)
    await join(tracker, 5, inviter=1)
    sub = await create_subscription(tracker.id, 5, "month", 200_000, JAN_2025 + timedelta(hours=10), tz=MSK)
    for week in range(4):
        for meeting in range(2):
            when = JAN_2025 + timedelta(days=1 + 7 * week + 3 * meeting)
            await record_usage(tracker.id, 5, "vera-model", 3000, 1000, at=when, subscription_id=sub.id)
    # the author's test chat is metered but is not this subscriber's cost
    await record_usage(tracker.id, 5, "vera-model", 3000, 1000, at=JAN_2025 + timedelta(days=2), charged_to="author")

    records = await UsageRecord.filter(charged_to="subscription")
    assert sum(r.mj_micro for r in records) == 400 * 1_000_000  # 400 mJ
    assert sum(r.cost_ukop for r in records) == 60_000 * 1_000_000  # 600 RUB

    await settle_due_periods(JAN_2025 + timedelta(days=40))
    [period] = await AccountingPeriod.filter(subscription=sub)
    assert (period.token_cost_kopecks, period.margin_kopecks) == (60_000, 140_000)
    assert (await user_balance(1)).by_role == {"author": 28_000, "l1": 42_000}
    assert (await platform_balance()).accrued == 70_000


async def test_metering_needs_a_price_and_a_rate(database):
    tracker = await make_tracker(author_id=1)
    await join(tracker, 5)
    with pytest.raises(UnknownModel):
        await record_usage(tracker.id, 5, "nope", 1, 1, at=at(2025, 2, 1))
    await set_model_price("m", "1", "1")
    with pytest.raises(NoRate):
        await record_usage(tracker.id, 5, "m", 1, 1, at=at(2025, 2, 1))
