"""Metering: mJ (мыслеДжоули) per model, the dated mJ -> RUB rate, and usage records.

A model costs `mj_per_1k_input` mJ per 1,000 input tokens and `mj_per_1k_output` per 1,000 output
tokens (ModelPrice, set by the admin). mJ convert to roubles at the rate in force at the moment of
the call (MjRate: a new rate is added with the date it applies from, an old one is never edited,
so the past stays as billed). The seed's rate: 400 mJ = 600 RUB in January 2025, 1.5 RUB per mJ.

A usage record keeps its tokens, its mJ and its cost in millionths (`mj_micro`, `cost_ukop`: one
call often costs a fraction of a kopeck); settlement sums a period's costs and rounds once.
All arithmetic is exact Decimal, rounded half-up only when a micro-unit integer is stored.

The hot path (every answer is metered) reads the price and the rate through small in-process
caches (`current_rate`, `cached_price`):
- the rate: the rate in force together with the moment it stops being in force, i.e. the next
  rate's `valid_from` (known rates take effect exactly at their dated boundary), capped at
  fill time + RATE_CACHE_SECONDS so that a rate added by another process is seen within that
  time. A lookup for a moment outside the cached window goes to the database.
- the price per model: for PRICE_CACHE_SECONDS. An admin's price edit made through
  `set_model_price` in this process takes effect at once; one made by another process takes
  effect within PRICE_CACHE_SECONDS.
`add_rate` and `set_model_price` clear both caches, and so does `clear_caches` (bot.db calls it
when a database is connected or closed: a cache never outlives its database).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, NamedTuple, Protocol, cast

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from billing import dashboard_rollup
from models import MjRate, ModelPrice, UsageRecord
from models.sql import default_connection, is_postgres, sql, ts, utc

MICRO = 1_000_000
RATE_CACHE_SECONDS = 30
PRICE_CACHE_SECONDS = 30

# Who bears a call's cost (UsageRecord.charged_to). Only "subscription" lowers a period's margin.
CHARGED_TO_SUBSCRIPTION = "subscription"
CHARGED_TO_AUTHOR = "author"  # the author's test chat
CHARGED_TO_PLATFORM = "platform"  # the free allowance


class PriceLike(Protocol):
    mj_per_1k_input: Decimal
    mj_per_1k_output: Decimal


class UnknownModel(LookupError):
    """No active ModelPrice for the model: the admin has to set one before it can be metered."""


class NoRate(LookupError):
    """No mJ -> RUB rate in force at that moment: the admin has to add one."""


class UsageCost(NamedTuple):
    mj_micro: int  # millionths of an mJ
    cost_ukop: int  # millionths of a kopeck


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def usage_cost(input_tokens: int, output_tokens: int, price: PriceLike, rub_per_mj: Decimal | MjRate) -> UsageCost:
    """The mJ and the RUB cost of one call, both computed from the exact mJ."""
    if input_tokens < 0 or output_tokens < 0:
        raise ValueError("token counts cannot be negative")
    rate = rub_per_mj.rub_per_mj if isinstance(rub_per_mj, MjRate) else rub_per_mj
    with localcontext() as ctx:
        ctx.prec = 60  # far beyond any real token count x price x rate: nothing is rounded here
        mj = (
            Decimal(input_tokens) * Decimal(price.mj_per_1k_input)
            + Decimal(output_tokens) * Decimal(price.mj_per_1k_output)
        ) / 1000
        kopecks = mj * Decimal(rate) * 100
        return UsageCost(mj_micro=_half_up(mj * MICRO), cost_ukop=_half_up(kopecks * MICRO))


def mj_to_kopecks(mj: Decimal | int | str, rub_per_mj: Decimal) -> int:
    """What `mj` cost in kopecks at a rate, half-up (e.g. 400 mJ at 1.5 RUB/mJ = 60,000)."""
    with localcontext() as ctx:
        ctx.prec = 60
        return _half_up(Decimal(mj) * Decimal(rub_per_mj) * 100)


# (connection, rate, in force from, in force until (exclusive)); the connection is held so a cache
# filled against one database is never used against another.
_rate_cache: tuple[object, MjRate, datetime, datetime] | None = None
# model -> (connection, monotonic expiry, price)
_price_cache: dict[str, tuple[object, float, ModelPrice]] = {}
# Bumped by every clear: a lookup that read the database before a clear (an admin's new rate or
# price committing meanwhile) must not store what it read after it.
_generation = 0


def _db_key() -> object:
    """The database the caches belong to: the client behind a transaction's wrapper (a key that
    does not match is only a cache miss)."""
    conn: object = default_connection()
    for _ in range(8):
        parent = getattr(conn, "_parent", None)
        if parent is None:
            break
        conn = parent
    return conn


def clear_caches() -> None:
    global _rate_cache, _generation
    _rate_cache = None
    _price_cache.clear()
    _generation += 1


async def current_rate(moment: datetime | None = None) -> MjRate | None:
    """`rate_at(moment)` (default now) through the in-process cache: exact at the dated
    boundaries of the rates known when the cache was filled (see the module's docstring)."""
    global _rate_cache
    now = datetime.now(UTC)
    moment = utc(moment) if moment is not None else now
    conn = _db_key()
    cached = _rate_cache
    if cached is not None and cached[0] is conn and cached[2] <= moment < cached[3]:
        return cached[1]
    generation = _generation
    rate = await rate_at(moment)
    if rate is None:
        return None
    cap = now + timedelta(seconds=RATE_CACHE_SECONDS)
    if rate.valid_from <= cap:  # else `moment` is far ahead: not worth caching
        nxt = cast(
            "datetime | None",
            await MjRate.filter(valid_from__gt=rate.valid_from)
            .order_by("valid_from")
            .first()
            .values_list("valid_from", flat=True),
        )
        until = cap if nxt is None else min(utc(nxt), cap)
        if moment < until and generation == _generation:
            _rate_cache = (conn, rate, utc(rate.valid_from), until)
    return rate


async def cached_price(model: str) -> ModelPrice | None:
    """The model's active price, cached for PRICE_CACHE_SECONDS (None is not cached)."""
    conn = _db_key()
    cached = _price_cache.get(model)
    now = time.monotonic()
    if cached is not None and cached[0] is conn and now < cached[1]:
        return cached[2]
    generation = _generation
    price = await ModelPrice.get_or_none(model=model, active=True)
    if price is None:
        _price_cache.pop(model, None)
    elif generation == _generation:
        _price_cache[model] = (conn, now + PRICE_CACHE_SECONDS, price)
    return price


async def add_rate(valid_from: datetime, rub_per_mj: Decimal | str) -> MjRate:
    """A new rate from `valid_from` on. It must come after every existing one: a rate that
    reached back into already metered time would contradict what was billed."""
    valid_from = utc(valid_from)
    latest = await MjRate.all().order_by("-valid_from").first()
    if latest is not None and valid_from <= latest.valid_from:
        raise ValueError(f"a new rate must start after {latest.valid_from.isoformat()}")
    rate = Decimal(str(rub_per_mj))
    if rate <= 0:
        raise ValueError("a rate must be positive")
    clear_caches()
    try:
        return await MjRate.create(valid_from=valid_from, rub_per_mj=rate)
    finally:
        clear_caches()


async def rate_at(moment: datetime) -> MjRate | None:
    return await MjRate.filter(valid_from__lte=utc(moment)).order_by("-valid_from").first()


async def set_model_price(
    model: str, mj_per_1k_input: Decimal | str, mj_per_1k_output: Decimal | str, *, active: bool = True
) -> ModelPrice:
    clear_caches()
    try:
        price, _ = await ModelPrice.update_or_create(
            model=model,
            defaults={
                "mj_per_1k_input": Decimal(str(mj_per_1k_input)),
                "mj_per_1k_output": Decimal(str(mj_per_1k_output)),
                "active": active,
            },
        )
    finally:
        clear_caches()
    return price


INSERT_USAGE = (
    "INSERT INTO usage_records (tracker_id, user_id, subscription_id, meeting_id, charged_to, model,"
    " input_tokens, output_tokens, mj_micro, cost_ukop, rate_id, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def usage_row(
    conn: BaseDBAsyncClient, tracker_id: int, user_id: int, model: str, input_tokens: int, output_tokens: int, *,
    at: datetime, subscription_id: int | None, meeting_id: int | None, charged_to: str,
    price: ModelPrice, rate: MjRate,
) -> tuple[list[Any], UsageCost]:
    """The values of INSERT_USAGE for one call at `price` and `rate` (checked to be the model's and
    in force at `at`), and its cost: for a caller that writes the record together with other rows
    (llm.records, one commit per answer)."""
    if price.model != model:
        raise ValueError(f"price of {price.model!r} given for model {model!r}")
    if utc(rate.valid_from) > at:
        raise ValueError(f"rate from {rate.valid_from.isoformat()} given for {at.isoformat()}")
    cost = usage_cost(input_tokens, output_tokens, price, rate)
    values = [
        tracker_id, user_id, subscription_id, meeting_id, charged_to, model,
        input_tokens, output_tokens, cost.mj_micro, cost.cost_ukop, rate.id, ts(conn, at),
    ]  # fmt: skip
    return values, cost


class Metered(NamedTuple):
    usage_id: int
    mj_micro: int
    cost_ukop: int


async def meter_call(
    tracker_id: int,
    user_id: int,
    model: str,
    input_tokens: int,
    output_tokens: int,
    *,
    at: datetime | None = None,
    subscription_id: int | None = None,
    meeting_id: int | None = None,
    charged_to: str = CHARGED_TO_SUBSCRIPTION,
    price: ModelPrice | None = None,
    rate: MjRate | None = None,
) -> Metered:
    """Meter one LLM call at the model's price and the rate in force at `at` (default now): one
    usage record, written with one raw INSERT (every answer is metered; building a model object
    for it cost more than the insert itself).

    `price` and `rate` may be passed pre-fetched (the model's active price, the rate in force at
    `at`, e.g. from `cached_price` / `current_rate`); otherwise they are read from the database."""
    at = utc(at or datetime.now(UTC))
    if price is None:
        price = await ModelPrice.get_or_none(model=model, active=True)
    if price is None:
        raise UnknownModel(f"no price for model {model!r}")
    if rate is None:
        rate = await rate_at(at)
    if rate is None:
        raise NoRate(f"no mJ rate in force at {at.isoformat()}")
    if charged_to != CHARGED_TO_SUBSCRIPTION:
        return await _insert_usage(default_connection(), tracker_id, user_id, model, input_tokens, output_tokens,
                                   at, subscription_id, meeting_id, charged_to, price, rate)
    async with in_transaction() as conn:  # the author's dashboard counts it in the same transaction
        metered = await _insert_usage(conn, tracker_id, user_id, model, input_tokens, output_tokens,
                                      at, subscription_id, meeting_id, charged_to, price, rate)
        await dashboard_rollup.usage_metered(conn, tracker_id, user_id, at, metered.cost_ukop)
    return metered


async def _insert_usage(conn: Any, tracker_id: int, user_id: int, model: str, input_tokens: int,
                        output_tokens: int, at: datetime, subscription_id: int | None, meeting_id: int | None,
                        charged_to: str, price: ModelPrice, rate: MjRate) -> Metered:
    values, cost = usage_row(
        conn, tracker_id, user_id, model, input_tokens, output_tokens, at=at, subscription_id=subscription_id,
        meeting_id=meeting_id, charged_to=charged_to, price=price, rate=rate,
    )
    if is_postgres(conn):  # asyncpg hands back the RETURNING row, sqlite3 the last row id
        usage_id = (await conn.execute_insert(sql(conn, INSERT_USAGE) + " RETURNING id", values))["id"]
    else:
        usage_id = await conn.execute_insert(INSERT_USAGE, values)
    return Metered(int(usage_id), cost.mj_micro, cost.cost_ukop)


async def record_usage(*args: Any, **kwargs: Any) -> UsageRecord:
    """`meter_call` (same arguments), returning the record written."""
    metered = await meter_call(*args, **kwargs)
    return await UsageRecord.get(id=metered.usage_id)
