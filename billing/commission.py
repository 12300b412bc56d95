"""The dated commission schedule: which split of the margin is in force at a moment.

The admin adds a schedule (CommissionRate) that applies from a moment on, now or later, never
one that reaches into the past: a period is split by the schedule in force at its end, so a
schedule dated before an already ended period could change what an unsettled period would get
compared with what its settled neighbours got. Without any row, the configured schedule
(`settings.commission`, passed in as `fallback`) is in force.

The number of referral levels is part of a schedule (0..MAX_LEVELS): a schedule is a mapping
platform, author, l1, .., l<depth> -> percent. A row keeps its depth in `levels`.

Settlement reads every row once per run (`Schedules`): the table holds a handful of rows.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from billing.amounts import plain_decimal
from billing.split import (
    LEVEL_ROLES,
    MAX_LEVELS,
    UNATTRIBUTED_RULES,
    UNATTRIBUTED_TO_PLATFORM,
    ScheduleLike,
    Weights,
    compile_schedule,
)
from models import CommissionRate
from models.sql import utc

LEVELS = tuple(role.value for role in LEVEL_ROLES)  # l1 .. l6: the rows' columns
# The columns every row has (l1..l3 hold 0 past a row's depth; l4..l6 nothing).
_ALWAYS = ("l1", "l2", "l3")


class ScheduleError(ValueError):
    """A schedule that cannot be added; `key` and `params` name a locale message."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class DatedSchedule:
    valid_from: datetime | None  # None: the configured schedule, in force before any row
    shares: dict[str, Decimal]  # role name -> percent
    created_by: int | None = None
    unattributed: str = UNATTRIBUTED_TO_PLATFORM  # who takes level 1 of a client nobody invited


def as_shares(schedule: ScheduleLike) -> dict[str, Decimal]:
    """Percent per role from a `CommissionSchedule`, a mapping or None (the defaults)."""
    weights = compile_schedule(schedule)  # also validates: >= 0 and adding up to 100
    return {role.value: weights.percent(role).normalize() for role in weights.roles}


def _row_shares(row: CommissionRate) -> dict[str, Decimal]:
    roles = ("platform", "author", *LEVELS[: row.levels])
    return {role: Decimal(getattr(row, role)).normalize() for role in roles}


def _row_schedule(row: CommissionRate) -> dict[str, Any]:
    return {**_row_shares(row), "unattributed": row.unattributed}


def unattributed_rule(schedule: ScheduleLike) -> str:
    """"author" or "platform": who takes level 1 of a client nobody invited under `schedule`."""
    return "author" if compile_schedule(schedule).unattributed_to_author else UNATTRIBUTED_TO_PLATFORM


class Schedules:
    """Every dated schedule, for looking up the one in force at many moments (settlement)."""

    def __init__(self, rows: list[CommissionRate], fallback: ScheduleLike = None) -> None:
        self.fallback = compile_schedule(fallback)
        self._starts = [utc(row.valid_from) for row in rows]
        self._weights = [compile_schedule(_row_schedule(row)) for row in rows]

    def weights_at(self, moment: datetime) -> Weights:
        i = bisect_right(self._starts, moment)
        return self._weights[i - 1] if i else self.fallback

    def __len__(self) -> int:
        return len(self._starts)


async def load(fallback: ScheduleLike = None) -> Schedules:
    return Schedules(await CommissionRate.all().order_by("valid_from"), fallback)


async def schedule_at(moment: datetime | None = None, fallback: ScheduleLike = None) -> dict[str, Decimal]:
    """The shares in force at `moment` (default now), as a mapping every money function takes."""
    moment = utc(moment or datetime.now(UTC))
    row = await CommissionRate.filter(valid_from__lte=moment).order_by("-valid_from").first()
    return _row_shares(row) if row is not None else as_shares(fallback)


async def schedule_in_force(moment: datetime | None = None, fallback: ScheduleLike = None) -> dict[str, Any]:
    """The whole schedule in force at `moment`: the shares and who takes level 1 of a client nobody
    invited ("unattributed"), as every money function takes it."""
    moment = utc(moment or datetime.now(UTC))
    row = await CommissionRate.filter(valid_from__lte=moment).order_by("-valid_from").first()
    if row is not None:
        return _row_schedule(row)
    return {**as_shares(fallback), "unattributed": unattributed_rule(fallback)}


async def rule_at(moment: datetime | None = None, fallback: ScheduleLike = None) -> str:
    """Who takes level 1 of a client nobody invited, under the schedule in force at `moment`."""
    moment = utc(moment or datetime.now(UTC))
    row = await CommissionRate.filter(valid_from__lte=moment).order_by("-valid_from").first()
    return row.unattributed if row is not None else unattributed_rule(fallback)


async def history(fallback: ScheduleLike = None, limit: int = 10) -> list[DatedSchedule]:
    """The latest `limit` dated schedules, newest first, then the configured one they replaced."""
    rows = await CommissionRate.all().order_by("-valid_from").limit(limit)
    out = [DatedSchedule(utc(r.valid_from), _row_shares(r), r.created_by, r.unattributed) for r in rows]
    return out + [DatedSchedule(None, as_shares(fallback), unattributed=unattributed_rule(fallback))]


def parse_shares(values: list[str]) -> dict[str, Decimal]:
    """Percents in role order: platform, author, then one per referral level (0 to MAX_LEVELS of
    them, l1 first): ">= 0, three decimals at most, adding up to 100". A decimal comma is accepted."""
    if len(values) < 2:
        raise ScheduleError("admin-commission-bad-count")
    if len(values) > 2 + MAX_LEVELS:
        raise ScheduleError("commission-too-many-levels", levels=len(values) - 2, most=MAX_LEVELS)
    shares: dict[str, Decimal] = {}
    for role, text in zip(("platform", "author", *LEVELS), values, strict=False):
        value = plain_decimal(text.strip())
        if value is None or value < 0 or value > 100 or value != value.quantize(Decimal("0.001")):
            raise ScheduleError("admin-commission-bad-number", value=text)
        shares[role] = value
    total = sum(shares.values(), Decimal(0))
    if total != 100:
        raise ScheduleError("admin-commission-bad-total", total=f"{total.normalize():f}")
    return shares


async def add_schedule(
    shares: dict[str, Decimal], valid_from: datetime | None = None, *, created_by: int | None = None,
    now: datetime | None = None, unattributed: str = UNATTRIBUTED_TO_PLATFORM,
) -> CommissionRate:
    """A new schedule from `valid_from` (default now) on: not in the past, after every existing one.
    `unattributed`: who takes level 1 of a client nobody invited, "platform" or "author"."""
    if unattributed not in UNATTRIBUTED_RULES:
        raise ValueError(f"unattributed must be one of {UNATTRIBUTED_RULES}, got {unattributed!r}")
    now = utc(now or datetime.now(UTC))
    valid_from = utc(valid_from) if valid_from is not None else now
    if valid_from < now:
        raise ScheduleError("admin-date-in-past")
    weights = compile_schedule(shares)  # >= 0, adding up to 100, at most MAX_LEVELS levels, no gap
    latest = await CommissionRate.all().order_by("-valid_from").first()
    if latest is not None and valid_from <= utc(latest.valid_from):
        raise ScheduleError("admin-date-not-after", latest=utc(latest.valid_from))
    percents: dict[str, Any] = {role.value: weights.percent(role) for role in weights.roles}
    for level in LEVELS[weights.depth:]:
        percents[level] = Decimal(0) if level in _ALWAYS else None
    return await CommissionRate.create(valid_from=valid_from, created_by=created_by, unattributed=unattributed,
                                       levels=weights.depth, **percents)
