"""Metering: mJ (мыслеДжоули) per model, the dated mJ -> RUB rate, and usage records.

A model costs `mj_per_1k_input` mJ per 1,000 input tokens and `mj_per_1k_output` per 1,000 output
tokens (ModelPrice, set by the admin). mJ convert to roubles at the rate in force at the moment of
the call (MjRate: a new rate is added with the date it applies from, an old one is never edited,
so the past stays as billed). The seed's rate: 400 mJ = 600 RUB in January 2025, 1.5 RUB per mJ.

A usage record keeps its tokens, its mJ and its cost in millionths (`mj_micro`, `cost_ukop`: one
call often costs a fraction of a kopeck); settlement sums a period's costs and rounds once.
All arithmetic is exact Decimal, rounded half-up only when a micro-unit integer is stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import NamedTuple, Protocol

from billing.sqlutil import utc
from models import MjRate, ModelPrice, UsageRecord

MICRO = 1_000_000

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
            Decimal(input_tokens) * Decimal(price.mj_per_1k_input) + Decimal(output_tokens) * Decimal(price.mj_per_1k_output)
        ) / 1000
        kopecks = mj * Decimal(rate) * 100
        return UsageCost(mj_micro=_half_up(mj * MICRO), cost_ukop=_half_up(kopecks * MICRO))


def mj_to_kopecks(mj: Decimal | int | str, rub_per_mj: Decimal) -> int:
    """What `mj` cost in kopecks at a rate, half-up (e.g. 400 mJ at 1.5 RUB/mJ = 60,000)."""
    with localcontext() as ctx:
        ctx.prec = 60
        return _half_up(Decimal(mj) * Decimal(rub_per_mj) * 100)


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
    return await MjRate.create(valid_from=valid_from, rub_per_mj=rate)


async def rate_at(moment: datetime) -> MjRate | None:
    return await MjRate.filter(valid_from__lte=utc(moment)).order_by("-valid_from").first()


async def set_model_price(
    model: str, mj_per_1k_input: Decimal | str, mj_per_1k_output: Decimal | str, *, active: bool = True
) -> ModelPrice:
    price, _ = await ModelPrice.update_or_create(
        model=model,
        defaults={
            "mj_per_1k_input": Decimal(str(mj_per_1k_input)),
            "mj_per_1k_output": Decimal(str(mj_per_1k_output)),
            "active": active,
        },
    )
    return price


async def record_usage(
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
) -> UsageRecord:
    """Meter one LLM call at the model's price and the rate in force at `at` (default now)."""
    at = utc(at or datetime.now(UTC))
    price = await ModelPrice.get_or_none(model=model, active=True)
    if price is None:
        raise UnknownModel(f"no price for model {model!r}")
    rate = await rate_at(at)
    if rate is None:
        raise NoRate(f"no mJ rate in force at {at.isoformat()}")
    cost = usage_cost(input_tokens, output_tokens, price, rate)
    return await UsageRecord.create(
        tracker_id=tracker_id,
        user_id=user_id,
        subscription_id=subscription_id,
        meeting_id=meeting_id,
        charged_to=charged_to,
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        mj_micro=cost.mj_micro,
        cost_ukop=cost.cost_ukop,
        rate=rate,
        created_at=at,
    )
