"""The author's own use charged through the ledger, and the admin's cost settings."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from tortoise import connections

from billing import author_usage
from billing.accounts import platform_account_id, user_account_id
from billing.cost_rules import CostRuleError, check_free_messages, check_limit
from billing.ledger import INSERT_ENTRY, InsufficientFunds, balance, reserve_payout
from billing.plans import set_price
from billing.policy import DEFAULTS, SettingError, clear_cache, describe, load_policy, set_setting
from billing.rates import add_rate, rate_at, record_usage, set_model_price
from models import LedgerEntry, PlatformSetting
from models.enums import EntryKind, Role, SourceType
from models.sql import sql, ts
from tests.billing.helpers import at, join, make_tracker

MODEL = "gpt-4o-mini"
DAY = at(2025, 3, 10)


@pytest.fixture
async def priced(database):
    clear_cache()
    await add_rate(at(2025, 1, 1), "1.5")
    await set_model_price(MODEL, "1", "2")
    yield
    clear_cache()


async def direct_day_cost(user_id: int) -> tuple[int, int]:
    """(mJ millionths, cost millionths of a kopeck) of the author's use on DAY: a plain SUM."""
    conn = connections.get("default")
    _, rows = await conn.execute_query(sql(conn, (
        "SELECT COALESCE(SUM(mj_micro), 0), COALESCE(SUM(cost_ukop), 0) FROM usage_records"
        " WHERE user_id = ? AND charged_to = 'author' AND created_at >= ? AND created_at < ?"
    )), [user_id, ts(conn, DAY), ts(conn, DAY + timedelta(days=1))])
    return int(rows[0][0]), int(rows[0][1])


async def test_a_days_own_use_beyond_the_quota_is_charged_once(priced):
    tracker = await make_tracker(author_id=1)
    await join(tracker, 5)
    other = await make_tracker(author_id=2, bot_id=101)
    await set_setting("author_free_mj_per_day", "4")
    for hour in (1, 5, 23):  # 5 mJ a call (3,000 in, 1,000 out), three calls: 15 mJ
        await record_usage(tracker.id, 1, MODEL, 3000, 1000, at=DAY + timedelta(hours=hour), charged_to="author")
    await record_usage(tracker.id, 1, MODEL, 3000, 1000, at=DAY + timedelta(days=1, hours=1), charged_to="author")
    await record_usage(other.id, 2, MODEL, 1000, 500, at=DAY + timedelta(hours=2), charged_to="author")  # 2 mJ
    await record_usage(tracker.id, 5, MODEL, 3000, 1000, at=DAY + timedelta(hours=2), charged_to="platform")

    # Not before the day is over (and the grace has passed).
    assert await author_usage.charge_closed_days(DAY + timedelta(days=1, minutes=5)) == 0
    charged = await author_usage.charge_closed_days(DAY + timedelta(days=1, minutes=11))

    mj, cost = await direct_day_cost(1)
    assert mj == 15_000_000
    expected = int((Decimal(cost) * 11 / 15 / 1_000_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert charged == expected == 1650  # 11 mJ beyond the 4 free, at 1.5 RUB: 16.50 RUB
    author = await balance(await user_account_id(1))
    assert author.available == -1650  # negative: the author used more than they earned
    assert (await balance(await platform_account_id())).available == 1650
    assert not await LedgerEntry.filter(account_id=await user_account_id(2)).exists()  # within the quota
    assert not await LedgerEntry.filter(account_id=await user_account_id(5)).exists()  # a client: the platform's

    # Idempotent: a second run, or a restart, charges nothing more; the next day comes in its turn.
    assert await author_usage.charge_closed_days(DAY + timedelta(days=1, hours=3)) == 0
    assert await author_usage.charge_closed_days(DAY + timedelta(days=2, hours=1)) == 150  # 5 mJ - 4 free
    entries = await LedgerEntry.filter(kind=EntryKind.USAGE).order_by("id").values_list("amount_kopecks", flat=True)
    assert sorted(entries) == [-1650, -150, 150, 1650]
    assert sum(entries) == 0  # each charge is a transfer from the author to the platform


async def test_the_debt_is_recovered_before_a_payout(priced):
    tracker = await make_tracker(author_id=1)
    await set_setting("author_free_mj_per_day", "0")
    await record_usage(tracker.id, 1, MODEL, 3000, 1000, at=DAY + timedelta(hours=1), charged_to="author")
    await author_usage.charge_closed_days(DAY + timedelta(days=2))
    account = await user_account_id(1)
    assert (await balance(account)).available == -750  # 5 mJ at 1.5 RUB
    conn = connections.get("default")  # the author's share of a settled period arrives
    await conn.execute_query(sql(conn, INSERT_ENTRY), [
        account, EntryKind.ACCRUAL.value, Role.AUTHOR.value, 10_000, SourceType.PERIOD.value, 1, tracker.id,
        ts(conn, DAY + timedelta(days=3)),
    ])
    with pytest.raises(InsufficientFunds):
        await reserve_payout(1, account, 10_000)
    assert await reserve_payout(2, account, 9_250)
    assert (await balance(account)).available == 0


async def test_the_free_cap_and_the_limit_are_refused_with_a_sentence(priced):
    tracker = await make_tracker(author_id=1)
    policy = await load_policy()
    check_free_messages(policy.max_free_messages, policy)
    with pytest.raises(CostRuleError) as caught:
        check_free_messages(100_000, policy)
    assert (caught.value.key, caught.value.params) == ("costs-free-over-cap", {"cap": 50})

    rate = await rate_at(DAY)
    await check_limit(tracker.id, Decimal(10**9), policy, rate)  # no plan on sale yet: nothing to compare
    await set_price(tracker.id, "month", 100)  # 1 RUB a month
    await set_price(tracker.id, "year", 120_000)  # 100 RUB a month
    with pytest.raises(CostRuleError) as caught:
        await check_limit(tracker.id, Decimal(10**9), policy, rate)
    assert caught.value.key == "costs-limit-over-margin" and caught.value.params["most"] == "0.666"
    await check_limit(tracker.id, Decimal("0.666"), policy, rate)
    await check_limit(tracker.id, Decimal(10**9), await set_setting("allow_unsafe_limits", "yes"), rate)


async def test_admin_settings_are_checked_stored_and_listed(priced):
    assert await load_policy() == DEFAULTS
    for name, text, key in [
        ("max_tokens", "0", "costs-bad-range"), ("max_tokens", "abc", "costs-bad-range"),
        ("max_free_messages", "-1", "costs-bad-range"), ("allow_unsafe_limits", "maybe", "costs-bad-yes-no"),
        ("platform_cost_percent", "100", "costs-bad-range"), ("author_free_mj_per_day", "1.0001", "costs-bad-range"),
        ("no_such_thing", "1", "costs-unknown-setting"),
    ]:
        with pytest.raises(SettingError) as caught:
            await set_setting(name, text)
        assert caught.value.key == key, (name, text)
    assert not await PlatformSetting.exists()

    policy = await set_setting("platform_cost_percent", "3,5", admin_id=9001)
    assert policy.platform_cost_percent == Decimal("3.5") and policy.net_revenue_kopecks(200_000) == 193_000
    assert (await PlatformSetting.get(key="platform_cost_percent")).updated_by == 9001
    await set_setting("allow_unsafe_limits", "да")
    clear_cache()  # as another worker would read it
    listed = {name: (value, changed) for name, value, changed in describe(await load_policy())}
    assert listed["platform_cost_percent"] == ("3.5", True)
    assert listed["allow_unsafe_limits"] == ("yes", True)
    assert listed["max_tokens"] == ("1024", False)
