"""What a simulation runs: the seed's built-in scenarios and TOML files (docs/simulate.md), checked
into a `Scenario` with one sentence for each mistake."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from billing.split import DEFAULT_SCHEDULE, LEVEL_ROLES, MAX_LEVELS, compile_schedule

SEED_PRICE_MONTH = 200_000  # kopecks: 2,000 RUB
SEED_COST_MONTH = 60_000  # kopecks: 400 mJ at 1.5 RUB/mJ = 600 RUB
SEED_RUB_PER_MJ = Decimal("1.5")  # 400 mJ = 600 RUB, January 2025
SEED_START = "2025-01-01"

AUTHOR = "author"
PLATFORM = "platform"
RESERVED = {AUTHOR, PLATFORM, "subscribers", "first", "others"}


class ScenarioError(ValueError):
    """A scenario that cannot be run; the message is one sentence for a person."""


@dataclass(frozen=True)
class Partner:
    name: str
    invited_by: str  # "author" or an earlier partner


@dataclass(frozen=True)
class Cohort:
    invited_by: str | None  # None: subscribers who came with no invite
    subscribers: int
    cost_month_kopecks: int | None = None  # None: the tracker's cost_month


@dataclass(frozen=True)
class Scenario:
    name: str
    price_month_kopecks: int = SEED_PRICE_MONTH
    cost_month_kopecks: int = SEED_COST_MONTH
    months: int = 1
    partners: tuple[Partner, ...] = ()
    cohorts: tuple[Cohort, ...] = ()
    # platform, author and "levels" (a list of percents, level 1 first); None: the defaults.
    commission: dict[str, Any] | None = None
    rub_per_mj: Decimal = SEED_RUB_PER_MJ
    start: str = SEED_START  # local date in the platform time zone


BUILTIN = {
    # The seed's "Всё сам": the author brings 1,000 subscribers himself.
    "self": Scenario(name="self", cohorts=(Cohort(AUTHOR, 1000),)),
    # The seed's "Через представителей": the author 1,000; Sasha 500 and Masha 2,000, both
    # brought by the author.
    "representatives": Scenario(
        name="representatives",
        partners=(Partner("sasha", AUTHOR), Partner("masha", AUTHOR)),
        cohorts=(Cohort(AUTHOR, 1000), Cohort("sasha", 500), Cohort("masha", 2000)),
    ),
}
SCENARIO_NAMES = [*BUILTIN, "snowball"]


def load_scenario(spec: str, *, months: int | None = None) -> Scenario:
    """A built-in scenario by name, or a TOML file. `months` overrides the scenario's."""
    if spec in BUILTIN:
        scenario = BUILTIN[spec]
    else:
        path = Path(spec)
        if not path.is_file():
            raise ScenarioError(
                f"{spec!r} is neither a built-in scenario ({', '.join(SCENARIO_NAMES)}) nor a TOML file."
            )
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ScenarioError(f"{spec} is not valid TOML: {exc}.") from None
        scenario = parse_scenario(data, name=path.stem)
    if months is not None:
        scenario = Scenario(**{**scenario.__dict__, "months": positive_int(months, "--months")})
    return scenario


def parse_scenario(data: dict[str, Any], *, name: str) -> Scenario:
    tracker = data.get("tracker", {})
    if not isinstance(tracker, dict):
        raise ScenarioError("[tracker] must be a table.")
    unknown = set(data) - {"tracker", "partner", "cohort", "commission"}
    if unknown:
        raise ScenarioError(
            f"unknown section(s) {', '.join(sorted(unknown))}: use [tracker], [[partner]], [[cohort]], [commission]."
        )
    partners: list[Partner] = []
    known = {AUTHOR}
    for item in data.get("partner", []):
        partner_name = str(item.get("name", "")).strip()
        invited_by = str(item.get("invited_by", AUTHOR))
        if not partner_name or partner_name in RESERVED or partner_name in known:
            raise ScenarioError(f"partner name {partner_name!r} is empty, reserved or used twice.")
        if invited_by not in known:
            raise ScenarioError(
                f"partner {partner_name!r} is invited by {invited_by!r}, "
                "who is not the author or a partner listed before."
            )
        partners.append(Partner(partner_name, invited_by))
        known.add(partner_name)
    cohorts: list[Cohort] = []
    for item in data.get("cohort", []):
        invited_by = item.get("invited_by")
        if invited_by is not None and invited_by not in known:
            raise ScenarioError(f"a cohort is invited by {invited_by!r}, who is not the author or a listed partner.")
        cost = item.get("cost_month")
        cohorts.append(
            Cohort(
                invited_by,
                positive_int(item.get("subscribers", 0), "cohort subscribers"),
                None if cost is None else _kopecks(cost, "cohort cost_month"),
            )
        )
    if not cohorts:
        raise ScenarioError("a scenario needs at least one [[cohort]] of subscribers.")
    commission = _commission(data["commission"]) if "commission" in data else None
    return Scenario(
        name=name,
        price_month_kopecks=_kopecks(tracker.get("price_month", "2000.00"), "tracker.price_month"),
        cost_month_kopecks=_kopecks(tracker.get("cost_month", "600.00"), "tracker.cost_month"),
        months=positive_int(tracker.get("months", 1), "tracker.months"),
        partners=tuple(partners),
        cohorts=tuple(cohorts),
        commission=commission,
        rub_per_mj=_decimal(tracker.get("rub_per_mj", SEED_RUB_PER_MJ), "tracker.rub_per_mj"),
        start=_date(tracker.get("start", SEED_START)),
    )


def _commission(table: Any) -> dict[str, Any]:
    """[commission]: platform, author, and the levels as `levels = [...]` or as keys l1, l2, ..."""
    if not isinstance(table, dict):
        raise ScenarioError("[commission] must be a table.")
    if "levels" in table:
        raw = table["levels"]
        if not isinstance(raw, list):
            raise ScenarioError("commission.levels must be a list of percents, level 1 first, such as [30, 20, 10].")
        stray = sorted(role.value for role in LEVEL_ROLES if role.value in table)
        if stray:
            raise ScenarioError(f"[commission] gives both levels and {', '.join(stray)}: use one of them.")
    else:
        raw = [table[role.value] for role in LEVEL_ROLES if role.value in table]
        expected = [role.value for role in LEVEL_ROLES[: len(raw)]]
        given = [role.value for role in LEVEL_ROLES if role.value in table]
        if given != expected:
            raise ScenarioError(f"[commission] levels must follow one another from l1: {', '.join(given)} has a gap.")
    if len(raw) > MAX_LEVELS:
        raise ScenarioError(f"[commission] has {len(raw)} levels; at most {MAX_LEVELS} are allowed.")
    levels = [_decimal(v, f"commission level {i}") for i, v in enumerate(raw, start=1)]
    commission = {
        "platform": _decimal(table.get("platform", 0), "commission.platform"),
        "author": _decimal(table.get("author", 0), "commission.author"),
        "levels": levels,
    }
    try:
        compile_schedule(commission)
    except ValueError:
        raise ScenarioError("[commission] shares must be >= 0 and add up to 100.") from None
    return commission


def with_levels(scenario: Scenario, text: str) -> Scenario:
    """The scenario under `--levels 30,20,10,5`: those level percents, the author's share as it
    was, and the platform the rest (refused if nothing or less is left for it)."""
    parts = [p.strip() for p in text.split(",")] if text.strip() else []
    if len(parts) > MAX_LEVELS:
        raise ScenarioError(f"--levels gives {len(parts)} levels; at most {MAX_LEVELS} are allowed.")
    levels: list[Decimal] = []
    for part in parts:
        try:
            value = Decimal(part)
        except InvalidOperation:
            value = Decimal(-1)
        if not value.is_finite() or value < 0 or value > 100:
            raise ScenarioError(f"--levels: {part!r} is not a percent from 0 to 100.")
        levels.append(value)
    author = Decimal(str((scenario.commission or DEFAULT_SCHEDULE)["author"]))
    platform = 100 - author - sum(levels, Decimal(0))
    if platform < 0:
        raise ScenarioError(
            f"--levels {text} and the author's {author.normalize():f}% add up to more than 100%: "
            "lower the levels."
        )
    return Scenario(**{**scenario.__dict__, "commission": {"platform": platform, "author": author, "levels": levels}})


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, float):  # TOML floats are binary: 0.1 is not 0.1. Ask for a string.
        raise ScenarioError(f"{what} must be a string such as \"2000.00\" or an integer, not a float.")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ScenarioError(f"{what} is not a number: {value!r}.") from None


def _kopecks(value: Any, what: str) -> int:
    amount = _decimal(value, what) * 100
    if amount != amount.to_integral_value() or amount < 0:
        raise ScenarioError(f"{what} must be a non-negative amount of roubles with at most two decimals.")
    return int(amount)


def positive_int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ScenarioError(f"{what} must be a whole number of at least 1.")
    return value


def _date(value: Any) -> str:
    try:
        return datetime.fromisoformat(str(value)).date().isoformat()
    except ValueError:
        raise ScenarioError(f"tracker.start must be a date like 2025-01-01, not {value!r}.") from None
