"""The split of a settled period's margin by role (DESIGN.md, "Money rules").

margin = revenue - token cost, taken as 100% and shared by role:

    platform 20 | author 20 | L1 30 | L2 20 | L3 10     (percent, configurable)

- The number of referral levels is part of the schedule: 0 to MAX_LEVELS (6), each with its own
  percent; platform + author + the levels add up to 100. The default is three levels, 30/20/10.
  A role beyond the schedule's depth does not exist for that schedule: it gets no entry at all.
- A level nobody holds (no inviter, or a chain shorter than the schedule) goes to the platform. It
  is still written under its own role (an `l2` entry on the platform's account), so the platform's
  totals show what it earned as platform and what fell to it from empty levels.
- A client nobody invited (no invite link at all) has no level 1. Whose that level is, is part of
  the schedule (`unattributed`): "platform" (the default, DESIGN.md) or "author" (the author's
  bot brought them, so the author holds level 1 as if they had invited them; deeper levels stay
  unheld, since the author has no inviter).
- One person may hold several roles (the author who invited a client himself is `author` and
  `l1`) and is paid for each, as separate entries.
- Shares are rounded by the largest-remainder method over the schedule's roles in the fixed order
  platform, author, l1, l2, ...: each role gets the floor of its exact share, and the kopecks left
  over go one each to the largest remainders, ties to the earlier role. So the shares always add
  up to the margin, and a role's amount depends only on the margin, never on who holds the others.
- A margin <= 0 accrues nothing: one LOSS entry of the margin (<= 0) on the platform records it.

Pure integer arithmetic: percents (Decimal) are scaled once to integer weights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

from models.enums import EntryKind, Role

MAX_LEVELS = 6
LEVEL_ROLES = (Role.L1, Role.L2, Role.L3, Role.L4, Role.L5, Role.L6)
# Every role a share can be written under, in rounding order; a schedule of depth d uses the
# first 2 + d of them.
ALL_ROLES = (Role.PLATFORM, Role.AUTHOR, *LEVEL_ROLES)
DEFAULT_LEVELS = 3
# The roles of the default three-level schedule, in rounding order.
ROLE_ORDER = ALL_ROLES[: 2 + DEFAULT_LEVELS]

# Who takes level 1 of a client nobody invited (a schedule's "unattributed").
UNATTRIBUTED_TO_PLATFORM = "platform"
UNATTRIBUTED_TO_AUTHOR = "author"
UNATTRIBUTED_RULES = (UNATTRIBUTED_TO_PLATFORM, UNATTRIBUTED_TO_AUTHOR)

DEFAULT_SCHEDULE: dict[str, Decimal] = {
    "platform": Decimal(20),
    "author": Decimal(20),
    "l1": Decimal(30),
    "l2": Decimal(20),
    "l3": Decimal(10),
}


class Share(NamedTuple):
    role: Role
    beneficiary: int | None  # a user id; None is the platform
    amount: int  # kopecks
    kind: EntryKind


@dataclass(frozen=True, slots=True)
class Weights:
    """A commission schedule as integer weights (platform, author, then one per level, in
    ALL_ROLES order) over a common denominator. `depth` is the number of levels."""

    weights: tuple[int, ...]
    total: int
    unattributed_to_author: bool = False  # level 1 of a client nobody invited goes to the author

    @property
    def depth(self) -> int:
        return len(self.weights) - 2

    @property
    def roles(self) -> tuple[Role, ...]:
        return ALL_ROLES[: len(self.weights)]

    def weight(self, role: Role) -> int:
        """The role's weight; 0 for a level deeper than the schedule."""
        i = ALL_ROLES.index(role)
        return self.weights[i] if i < len(self.weights) else 0

    def percent(self, role: Role) -> Decimal:
        return Decimal(self.weight(role)) * 100 / self.total


class HasShares(Protocol):
    """A configured schedule, such as `bot.config.CommissionSchedule`."""

    def as_dict(self) -> Mapping[str, Any]: ...


# What a commission schedule may be given as: None (the defaults), already compiled weights, a
# mapping role name -> percent, or a configured schedule.
ScheduleLike = Weights | Mapping[str, Any] | HasShares | None


def level_percents(mapping: Mapping[str, Any]) -> list[Any]:
    """The levels' percents of a schedule mapping: its "levels" list if it has one, else the values
    of its keys l1, l2, ... up to the first one missing (so {"l1": .., "l2": ..} has two levels)."""
    levels = mapping.get("levels")
    if levels is not None:
        if isinstance(levels, str) or not isinstance(levels, Sequence):
            raise ValueError(f"levels must be a list of percents, got {levels!r}")
        return list(levels)
    out = []
    for role in LEVEL_ROLES:
        if role.value not in mapping:
            break
        out.append(mapping[role.value])
    deeper = [role.value for role in LEVEL_ROLES[len(out):] if role.value in mapping]
    if deeper:
        raise ValueError(f"commission levels must have no gap: {deeper} given without l{len(out) + 1}")
    return out


def compile_schedule(schedule: ScheduleLike = None) -> Weights:
    """Weights from a schedule: None (the defaults), a `Weights`, a mapping role name -> percent
    (levels as keys l1..l6 or a "levels" list), or an object with `as_dict()` such as
    `bot.config.CommissionSchedule`."""
    if isinstance(schedule, Weights):
        return schedule
    if schedule is None:
        mapping: Mapping[str, Any] = DEFAULT_SCHEDULE
    elif isinstance(schedule, Mapping):
        mapping = schedule
    else:
        mapping = schedule.as_dict()
    rule = str(mapping.get("unattributed") or UNATTRIBUTED_TO_PLATFORM)
    if rule not in UNATTRIBUTED_RULES:
        raise ValueError(f"unattributed must be one of {UNATTRIBUTED_RULES}, got {rule!r}")
    levels = level_percents(mapping)
    if len(levels) > MAX_LEVELS:
        raise ValueError(f"a schedule has at most {MAX_LEVELS} levels, got {len(levels)}")
    percents = (mapping["platform"], mapping["author"], *levels)
    return _compile(tuple(Decimal(str(p)) for p in percents), rule == UNATTRIBUTED_TO_AUTHOR)


@lru_cache(maxsize=64)
def _compile(percents: tuple[Decimal, ...], unattributed_to_author: bool = False) -> Weights:
    if any(not p.is_finite() or p < 0 for p in percents) or sum(percents) != 100:
        raise ValueError(f"commission shares must be >= 0 and add up to 100, got {percents}")
    # Scale by 10^d where d is the most decimal places any percent has: 12.5% -> 125 / 1000.
    places = max(max(0, -p.as_tuple().exponent) for p in percents)  # type: ignore[operator]
    scale = 10**places
    weights = tuple(int(p * scale) for p in percents)
    return Weights(weights=weights, total=100 * scale, unattributed_to_author=unattributed_to_author)


def role_amounts(margin: int, weights: Weights) -> list[int]:
    """Each role's share of a positive `margin`, in `weights.roles` order, adding up to `margin`."""
    total = weights.total
    amounts = [margin * w // total for w in weights.weights]
    left = margin - sum(amounts)  # fewer than the roles with a remainder: each is below one kopeck
    if left:
        # Largest remainder first; equal remainders go to the earlier role (smaller index).
        order = sorted((-(margin * w % total), i) for i, w in enumerate(weights.weights))
        for _, i in order[:left]:
            amounts[i] += 1
    return amounts


def split_margin(
    margin: int,
    *,
    author: int,
    l1: int | None = None,
    l2: int | None = None,
    l3: int | None = None,
    chain: Sequence[int | None] | None = None,
    schedule: ScheduleLike = None,
) -> list[Share]:
    """Who gets what of a period's `margin` (kopecks). Zero shares are left out. `chain` is the
    holders of levels 1, 2, ... (any length; instead of `l1`..`l3`); levels past its end, or past
    the schedule's depth for the holders, are nobody's."""
    if margin <= 0:
        return [Share(Role.PLATFORM, None, margin, EntryKind.LOSS)]
    weights = compile_schedule(schedule)
    amounts = role_amounts(margin, weights)
    levels = list(chain if chain is not None else (l1, l2, l3))[: weights.depth]
    levels += [None] * (weights.depth - len(levels))
    if weights.depth and levels[0] is None and weights.unattributed_to_author:
        levels[0] = author
    holders = (None, author, *levels)
    return [
        Share(role, holder, amount, EntryKind.ACCRUAL)
        for role, holder, amount in zip(weights.roles, holders, amounts, strict=True)
        if amount
    ]
