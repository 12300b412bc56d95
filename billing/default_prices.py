"""Model prices shipped with the platform, so a fresh install meters from the first answer.

For the default endpoint (OpenAI's API) the common chat models get a price in mJ when they have
none: the provider's list price per 1M tokens in USD, as of PRICES_AS_OF, turned into roubles at
USD_RUB and into mJ at the seed's rate (1.5 RUB per mJ), six decimals, half-up. So an mJ of these
models costs what the tokens cost the platform at the seed's rate; the admin sets the platform's
own prices (and a new mJ rate) in the admin panel whenever they like.

The seed only adds a model that has no row at all: an admin's price is never overwritten, and a
model the admin switched off stays off. Another endpoint (OPENAI_BASE_URL pointing at a compatible
server) serves other models under other names: nothing is seeded for it, its admin prices them.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from tortoise.exceptions import IntegrityError

from billing.rates import clear_caches
from models import ModelPrice

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://api.openai.com/v1"
PRICES_AS_OF = date(2025, 6, 1)
USD_RUB = Decimal(100)  # a round conversion: the table is a starting point, not an exchange rate
SEED_RUB_PER_MJ = Decimal("1.5")  # the seed: 400 mJ = 600 RUB

# USD per 1M input tokens, per 1M output tokens (the provider's list prices as of PRICES_AS_OF).
LIST_PRICES_USD_PER_1M: dict[str, tuple[str, str]] = {
    "gpt-4o-mini": ("0.15", "0.60"),
    "gpt-4o": ("2.50", "10.00"),
    "gpt-4.1": ("2.00", "8.00"),
    "gpt-4.1-mini": ("0.40", "1.60"),
    "gpt-4.1-nano": ("0.10", "0.40"),
    "o4-mini": ("1.10", "4.40"),
    "o3-mini": ("1.10", "4.40"),
    "gpt-3.5-turbo": ("0.50", "1.50"),
}
STEP = Decimal("0.000001")  # ModelPrice keeps six decimals


def mj_per_1k(usd_per_1m: str | Decimal) -> Decimal:
    """USD per 1M tokens -> mJ per 1K tokens: / 1000 tokens, * USD_RUB, / SEED_RUB_PER_MJ."""
    value = Decimal(usd_per_1m) / 1000 * USD_RUB / SEED_RUB_PER_MJ
    return max(value.quantize(STEP, rounding=ROUND_HALF_UP), STEP)


def default_prices() -> dict[str, tuple[Decimal, Decimal]]:
    """model -> (mJ per 1K input tokens, mJ per 1K output tokens)."""
    return {model: (mj_per_1k(i), mj_per_1k(o)) for model, (i, o) in LIST_PRICES_USD_PER_1M.items()}


def is_default_endpoint(base_url: str) -> bool:
    return base_url.rstrip("/") == DEFAULT_ENDPOINT


async def seed_default_prices(base_url: str = DEFAULT_ENDPOINT) -> list[str]:
    """Adds the shipped price of each common model of the default endpoint that has no row yet;
    returns the models added. Idempotent, and safe beside another worker doing the same."""
    if not is_default_endpoint(base_url):
        return []
    known = set(await ModelPrice.all().values_list("model", flat=True))
    added = []
    for model, (mj_in, mj_out) in default_prices().items():
        if model in known:
            continue
        try:
            await ModelPrice.create(model=model, mj_per_1k_input=mj_in, mj_per_1k_output=mj_out, active=True)
        except IntegrityError:  # another worker, starting at the same moment, added it
            continue
        added.append(model)
    if added:
        clear_caches()
        log.info("seeded default prices (list prices of %s) for %s", PRICES_AS_OF.isoformat(), ", ".join(added))
    return added
