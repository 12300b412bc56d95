"""The admin's metering changes: a dated rate never reaches into the past, prices switch on and
off, and the in-process caches never keep what a change made stale."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from billing import admin, rates
from models import ModelPrice
from tests.billing.helpers import at

NOW = at(2026, 11, 1, 12)


async def test_a_new_rate_starts_now_or_later_and_after_the_latest(database):
    await rates.add_rate(at(2025, 1, 1), "1.5")
    with pytest.raises(admin.AdminInputError) as past:
        await admin.add_admin_rate(Decimal("2"), NOW - timedelta(minutes=1), now=NOW)
    assert past.value.key == "admin-date-in-past"
    first = await admin.add_admin_rate(Decimal("1.75"), now=NOW)
    assert first.valid_from == NOW
    later = await admin.add_admin_rate(Decimal("2"), NOW + timedelta(days=30), now=NOW)
    with pytest.raises(admin.AdminInputError) as early:
        await admin.add_admin_rate(Decimal("3"), NOW + timedelta(days=29), now=NOW)
    assert early.value.key == "admin-date-not-after"
    assert [r.id for r in await admin.rate_history()] == [later.id, first.id, (await rates.rate_at(at(2025, 6, 1))).id]
    assert (await rates.rate_at(NOW + timedelta(days=1))).rub_per_mj == Decimal("1.75")


def test_amounts_the_admin_types():
    assert admin.parse_decimal("0,15") == Decimal("0.15")
    assert admin.parse_decimal("0") == 0
    for bad in ("-1", "abc", "1.0000001", "100000000", "NaN", "0"):
        with pytest.raises(admin.AdminInputError):
            admin.parse_decimal(bad, positive=True)


async def test_switching_a_model_off_and_on(database):
    await rates.set_model_price("m1", "0.15", "0.6")
    assert (await rates.cached_price("m1")).mj_per_1k_input == Decimal("0.15")  # now cached
    assert await admin.deactivate_model_price("m1")
    assert not await admin.deactivate_model_price("m1")  # already off
    assert await rates.cached_price("m1") is None
    await rates.set_model_price("m1", "0.2", "0.8")
    assert (await rates.cached_price("m1")).mj_per_1k_input == Decimal("0.2")
    assert [p.model for p in await admin.all_prices()] == ["m1"] and (await ModelPrice.get(model="m1")).active


async def test_a_lookup_that_raced_a_change_does_not_cache_it(database, monkeypatch):
    await rates.add_rate(at(2025, 1, 1), "1.5")
    await rates.set_model_price("m1", "0.15", "0.6")
    rate_at, get_price = rates.rate_at, ModelPrice.get_or_none

    async def rate_then_change(moment):
        found = await rate_at(moment)
        rates.clear_caches()  # an admin's change committed while this lookup was on its way
        return found

    async def price_then_change(*args, **kwargs):
        found = await get_price(*args, **kwargs)
        rates.clear_caches()
        return found

    monkeypatch.setattr(rates, "rate_at", rate_then_change)
    monkeypatch.setattr(ModelPrice, "get_or_none", price_then_change)
    assert (await rates.current_rate()).rub_per_mj == Decimal("1.5")
    assert await rates.cached_price("m1") is not None
    assert rates._rate_cache is None and rates._price_cache == {}
