"""What a tracker will cost per client per month, from its schedule and the mJ its meetings use.

The seed's worked example (the tracker Vera): two meetings a week, 8 a month, about 50 mJ each:
8 x 50 = 400 mJ; at 1.5 RUB per mJ that is 600 RUB a client a month; at a month price of
2,000 RUB the margin is 1,400 RUB. A one-time scenario ("contracting") is left out of the monthly
figure, as the seed does. Pure: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from billing.rates import mj_to_kopecks

WEEKS_PER_MONTH = 4  # the seed counts two meetings a week as 8 a month


@dataclass(frozen=True, slots=True)
class ScheduleLine:
    meetings_per_month: int
    mj_per_meeting: Decimal


@dataclass(frozen=True, slots=True)
class MonthlyEstimate:
    mj: Decimal
    cost_kopecks: int
    price_kopecks: int | None
    margin_kopecks: int | None  # None when there is no month price


def meetings_per_month(weekdays_per_week: int) -> int:
    return weekdays_per_week * WEEKS_PER_MONTH


def monthly_estimate(
    lines: Iterable[ScheduleLine], rub_per_mj: Decimal | str, month_price_kopecks: int | None = None
) -> MonthlyEstimate:
    mj = sum((Decimal(line.meetings_per_month) * Decimal(line.mj_per_meeting) for line in lines), Decimal(0))
    cost = mj_to_kopecks(mj, Decimal(str(rub_per_mj)))
    margin = None if month_price_kopecks is None else month_price_kopecks - cost
    return MonthlyEstimate(mj=mj, cost_kopecks=cost, price_kopecks=month_price_kopecks, margin_kopecks=margin)
