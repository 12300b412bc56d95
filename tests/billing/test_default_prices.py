"""Model prices shipped for the default endpoint (issue 16): a fresh install meters from the first
answer; the seed adds only what is missing, never overwrites the admin's price nor turns a model
the admin switched off back on; another endpoint gets nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from billing import admin, rates
from billing.default_prices import (
    DEFAULT_ENDPOINT,
    LIST_PRICES_USD_PER_1M,
    default_prices,
    mj_per_1k,
    seed_default_prices,
)
from models import ModelPrice, Tracker, User

DEFAULT_MODEL = "gpt-4o-mini"  # bot.config's default model


def test_list_prices_become_mj_at_the_seeds_rate():
    # 0.15 USD per 1M = 0.00015 USD per 1K = 0.015 RUB = 0.01 mJ at 1.5 RUB per mJ
    assert mj_per_1k("0.15") == Decimal("0.01") and mj_per_1k("0.60") == Decimal("0.04")
    assert mj_per_1k("2.50") == Decimal("0.166667")  # six decimals, half-up
    assert DEFAULT_MODEL in default_prices()
    assert all(i > 0 and o > 0 for i, o in default_prices().values())


async def test_a_fresh_install_meters_the_default_model_from_the_first_answer(database):
    assert set(await seed_default_prices(DEFAULT_ENDPOINT + "/")) == set(LIST_PRICES_USD_PER_1M)
    await rates.add_rate(datetime(2025, 1, 1, tzinfo=UTC), "1.5")  # the seed's rate, as at start
    author = await User.create(id=1, first_name="A")
    tracker = await Tracker.create(bot_id=100, username="t_bot", name="T", author=author, token_encrypted="-")
    metered = await rates.meter_call(tracker.id, 1, DEFAULT_MODEL, 1000, 1000)
    assert metered.mj_micro == 50_000  # 0.01 + 0.04 mJ
    assert await seed_default_prices() == []  # the second start adds nothing


async def test_the_seed_never_overrides_the_admin(database):
    await rates.set_model_price("gpt-4o", "5", "7")
    await rates.set_model_price("gpt-4.1", "1", "1")
    await admin.deactivate_model_price("gpt-4.1")
    added = await seed_default_prices()
    assert "gpt-4o" not in added and "gpt-4.1" not in added and DEFAULT_MODEL in added
    kept = await ModelPrice.get(model="gpt-4o")
    assert (kept.mj_per_1k_input, kept.mj_per_1k_output) == (Decimal(5), Decimal(7))
    assert not (await ModelPrice.get(model="gpt-4.1")).active
    # The admin overrides a shipped price like any other.
    await rates.set_model_price(DEFAULT_MODEL, "0.02", "0.08")
    await seed_default_prices()
    assert (await rates.cached_price(DEFAULT_MODEL)).mj_per_1k_output == Decimal("0.08")


async def test_another_endpoint_gets_no_prices(database):
    assert await seed_default_prices("http://127.0.0.1:8000/v1") == []
    assert not await ModelPrice.exists()
