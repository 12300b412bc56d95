"""The platform admin's changes to metering: a new dated mJ rate, model prices on and off.

Kept beside `billing.rates` (which owns the metering hot path and its caches): every write here
goes through `rates.add_rate` / `rates.set_model_price` or clears the caches itself, so a change
takes effect in this process at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from billing.amounts import plain_decimal
from billing.rates import add_rate, clear_caches
from models import MjRate, ModelPrice
from models.sql import utc

MAX_DECIMAL = Decimal(10) ** 8  # the columns hold 14 digits, 6 of them after the point
STEP = Decimal("0.000001")


class AdminInputError(ValueError):
    """A rate or a price the admin cannot set; `key` and `params` name a locale message."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def parse_decimal(text: str, *, positive: bool = False) -> Decimal:
    """An amount the admin typed ("1.5", "0,15"): >= 0 (> 0 if `positive`), six decimals at most."""
    value = plain_decimal(text.strip())
    if (value is None or value < 0 or (positive and value == 0) or value >= MAX_DECIMAL
            or value != value.quantize(STEP)):
        raise AdminInputError("admin-bad-number", value=text)
    return value


async def add_admin_rate(rub_per_mj: Decimal, valid_from: datetime | None = None, *,
                         now: datetime | None = None) -> MjRate:
    """A new rate from `valid_from` (default now) on: never in the past and after every existing
    rate, so no metered call changes its price. `add_rate` clears the caches."""
    now = utc(now or datetime.now(UTC))
    valid_from = utc(valid_from) if valid_from is not None else now
    if valid_from < now:
        raise AdminInputError("admin-date-in-past")
    latest = await MjRate.all().order_by("-valid_from").first()
    if latest is not None and valid_from <= utc(latest.valid_from):
        raise AdminInputError("admin-date-not-after", latest=utc(latest.valid_from))
    if rub_per_mj <= 0:
        raise AdminInputError("admin-bad-number", value=str(rub_per_mj))
    return await add_rate(valid_from, rub_per_mj)


async def rate_history(limit: int = 10) -> list[MjRate]:
    """The latest `limit` rates, future ones included, newest first."""
    return await MjRate.all().order_by("-valid_from").limit(limit)


async def all_prices() -> list[ModelPrice]:
    """Every model price, active ones first, by name."""
    return await ModelPrice.all().order_by("-active", "model")


async def deactivate_model_price(model: str) -> bool:
    """Stop metering (and offering) a model: authors no longer see it; a tracker that still uses
    it is answered but not metered and the admins are alerted, as for a model never priced.
    Setting a price again (`rates.set_model_price`) turns it back on."""
    clear_caches()
    try:
        changed = await ModelPrice.filter(model=model, active=True).update(active=False)
    finally:
        clear_caches()
    return bool(changed)
