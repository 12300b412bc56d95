"""Accounting periods: how a paid subscription is cut into the periods that are settled one by one.

The rules (DESIGN.md, "Money rules"):
- a day plan is one period of one day; a month plan is one period of one calendar month;
- quarter and year plans are 3 and 12 monthly periods. Boundary k is the purchase plus k months,
  each computed from the purchase itself, not from the previous boundary, so a Jan 31 purchase
  gives Feb 28 (29), Mar 31, Apr 30, ... and never drifts to the 28th;
- calendar arithmetic happens on the wall clock of the platform's time zone (a month from
  Jan 31 01:00 in Moscow is Feb 28 01:00 in Moscow, which in UTC is still Feb 27); the results
  are stored in UTC;
- the price is split evenly in kopecks, the kopecks that do not divide go to the earliest periods.

Everything here is pure: no database, no clock.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from models.enums import PlanKind

DEFAULT_TIMEZONE = "Europe/Moscow"

PERIODS_PER_PLAN = {PlanKind.DAY: 1, PlanKind.MONTH: 1, PlanKind.QUARTER: 3, PlanKind.YEAR: 12}


@dataclass(frozen=True, slots=True)
class PeriodSpan:
    """Period `seq` (1, 2, ...): [starts_at, ends_at) in UTC and the revenue it carries."""

    seq: int
    starts_at: datetime
    ends_at: datetime
    revenue_kopecks: int


def zone(tz: str | ZoneInfo | None) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    return ZoneInfo(tz or DEFAULT_TIMEZONE)


def add_months(wall: datetime, months: int) -> datetime:
    """`wall` (a naive wall-clock time) plus `months` calendar months, the day clamped to the
    month's last day (Jan 31 + 1 month = Feb 28 or 29)."""
    years, month0 = divmod(wall.month - 1 + months, 12)
    year, month = wall.year + years, month0 + 1
    day = min(wall.day, calendar.monthrange(year, month)[1])
    return wall.replace(year=year, month=month, day=day)


def boundaries(plan_kind: PlanKind | str, starts_at: datetime, tz: str | ZoneInfo | None = None) -> list[datetime]:
    """The period boundaries in UTC: `starts_at` first, the subscription's end last."""
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be time-zone aware")
    kind = PlanKind(plan_kind)
    local_zone = zone(tz)
    # Calendar steps on the local wall clock, each from the start (not chained).
    wall = starts_at.astimezone(local_zone).replace(tzinfo=None)
    if kind is PlanKind.DAY:
        ends = [wall + timedelta(days=1)]
    else:
        ends = [add_months(wall, k) for k in range(1, PERIODS_PER_PLAN[kind] + 1)]
    # A wall time that a DST change skips or repeats resolves with fold=0, as zoneinfo does.
    return [starts_at.astimezone(UTC)] + [end.replace(tzinfo=local_zone).astimezone(UTC) for end in ends]


def split_evenly(total_kopecks: int, parts: int) -> list[int]:
    """`total_kopecks` in `parts` near-equal integer pieces, the remainder to the earliest ones."""
    if total_kopecks < 0:
        raise ValueError("a price cannot be negative")
    base, rest = divmod(total_kopecks, parts)
    return [base + 1] * rest + [base] * (parts - rest)


def cut_periods(
    plan_kind: PlanKind | str,
    price_kopecks: int,
    starts_at: datetime,
    tz: str | ZoneInfo | None = None,
) -> list[PeriodSpan]:
    """The accounting periods of a subscription of `plan_kind` that starts at `starts_at`."""
    edges = boundaries(plan_kind, starts_at, tz)
    revenues = split_evenly(price_kopecks, len(edges) - 1)
    return [
        PeriodSpan(seq=i + 1, starts_at=edges[i], ends_at=edges[i + 1], revenue_kopecks=revenues[i])
        for i in range(len(revenues))
    ]
