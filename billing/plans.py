"""Plan prices: what the author types, checked, and the plans on sale.

A plan with no row, `on_sale=False` or a price of 0 is not on sale. Prices are integer kopecks.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from tortoise.backends.base.client import BaseDBAsyncClient

from billing.amounts import plain_decimal
from models import Plan, PlanKind
from models.sql import is_postgres

PLAN_ORDER = [PlanKind.DAY, PlanKind.MONTH, PlanKind.QUARTER, PlanKind.YEAR]

MIN_PRICE_KOPECKS = 100                   # 1 RUB: the smallest charge YooKassa takes
MAX_PRICE_KOPECKS = 1_000_000 * 100       # 1 million RUB for one plan is a typo, not a price

_JUNK = re.compile(r"[\s\u00a0\u202f\u2009']|₽|руб\.?|rub", re.IGNORECASE)


class PriceError(ValueError):
    """The text is not a price we accept; `key` is the locale key that says why."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def parse_price(text: str | None) -> int:
    """ "2000", "2 000", "2000.50", "2000,50 ₽" -> kopecks. Refuses anything but a plain decimal
    (billing.amounts), 0, negatives, fractions of a kopeck and absurd amounts with a `PriceError`."""
    amount = plain_decimal(_JUNK.sub("", text or ""))
    if amount is None:
        raise PriceError("plans-price-not-a-number")
    if amount <= 0:
        raise PriceError("plans-price-not-positive")
    kopecks = amount.scaleb(2)
    if kopecks != kopecks.to_integral_value():
        raise PriceError("plans-price-kopecks")
    kopecks_int = int(kopecks)
    if kopecks_int < MIN_PRICE_KOPECKS:
        raise PriceError("plans-price-too-small", min=MIN_PRICE_KOPECKS // 100)
    if kopecks_int > MAX_PRICE_KOPECKS:
        raise PriceError("plans-price-too-large", max=MAX_PRICE_KOPECKS // 100)
    return kopecks_int


class PriceTag(NamedTuple):
    """A plan on sale as a screen shows it."""

    kind: PlanKind
    price_kopecks: int


def on_sale_subquery(conn: BaseDBAsyncClient) -> str:
    """A scalar subquery (one `?`: the tracker's id) giving the tracker's plans on sale as
    "kind:price,..." (read_price_tags parses it), for statements that read the prices along with
    a client's other facts in the same round trip. The same plans as plans_on_sale's."""
    concat = "string_agg" if is_postgres(conn) else "group_concat"
    return (f"(SELECT {concat}(pl.kind || ':' || pl.price_kopecks, ',') FROM plans pl"
            " WHERE pl.tracker_id = ? AND pl.on_sale AND pl.price_kopecks > 0)")


def read_price_tags(text: str | None) -> list[PriceTag]:
    """on_sale_subquery's column as the plans on sale, in PLAN_ORDER."""
    found: dict[PlanKind, int] = {}
    for item in (text or "").split(","):
        if item:
            kind, _, price = item.partition(":")
            found[PlanKind(kind)] = int(price)
    return [PriceTag(kind, found[kind]) for kind in PLAN_ORDER if kind in found]


async def plans_on_sale(tracker_id: int) -> list[Plan]:
    plans = {p.kind: p for p in await Plan.filter(tracker_id=tracker_id, on_sale=True, price_kopecks__gt=0)}
    return [plans[k] for k in PLAN_ORDER if k in plans]


async def plan_on_sale(tracker_id: int, kind: PlanKind | str) -> Plan | None:
    try:
        kind = PlanKind(kind)
    except ValueError:
        return None
    return await Plan.get_or_none(tracker_id=tracker_id, kind=kind, on_sale=True, price_kopecks__gt=0)


async def all_plans(tracker_id: int) -> dict[PlanKind, Plan | None]:
    plans = {p.kind: p for p in await Plan.filter(tracker_id=tracker_id)}
    return {k: plans.get(k) for k in PLAN_ORDER}


async def set_price(tracker_id: int, kind: PlanKind | str, price_kopecks: int) -> Plan:
    """Put the plan on sale at this price (a new price applies to new invoices only)."""
    if not MIN_PRICE_KOPECKS <= price_kopecks <= MAX_PRICE_KOPECKS:
        raise PriceError("plans-price-not-positive")
    plan, created = await Plan.get_or_create(
        tracker_id=tracker_id, kind=PlanKind(kind), defaults={"price_kopecks": price_kopecks, "on_sale": True}
    )
    if not created:
        plan.price_kopecks, plan.on_sale = price_kopecks, True
        await plan.save(update_fields=["price_kopecks", "on_sale", "updated_at"])
    return plan


async def stop_selling(tracker_id: int, kind: PlanKind | str) -> None:
    await Plan.filter(tracker_id=tracker_id, kind=PlanKind(kind)).update(on_sale=False)
