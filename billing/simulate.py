"""`gptitor simulate`: a money scenario run through the production code on a throwaway database.

The scenario's people, memberships, subscriptions, periods and metered cost are written to a
fresh SQLite file in a temporary directory (in bulk), then `billing.settlement` settles them with
`billing.split`, exactly as in production, and the report is read back from the ledger. So a
figure printed here is a figure the platform would accrue. Scenario format: docs/simulate.md.

Scenarios:
- `self`, `representatives`: the seed's worked examples (2,000 RUB a month, 600 RUB token cost);
- `snowball`: every subscriber brings `per_month` new subscribers a month. The network grows
  exponentially, so it is simulated by cohorts: one database subscriber stands for everyone who
  joined in the same month in the same position relative to the first subscriber, and pays for
  all of them. Shares are proportional, so the totals are the same as one row per person (up to
  the rounding of the odd kopeck, which here happens per cohort instead of per person);
- a path to a TOML file.
"""

from __future__ import annotations

import tempfile
import tomllib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from billing.periods import DEFAULT_TIMEZONE
from billing.rates import MICRO
from billing.settlement import settle_due_periods
from billing.split import ROLE_ORDER, compile_schedule
from billing.sqlutil import default_connection, sql, ts
from billing.subscriptions import SubscriptionPlan, plan_subscription
from i18n.format import report_rub
from models import Membership, Tracker, User
from models.enums import PlanKind, Role

SEED_PRICE_MONTH = 200_000  # kopecks: 2,000 RUB
SEED_COST_MONTH = 60_000  # kopecks: 400 mJ at 1.5 RUB/mJ = 600 RUB
SEED_RUB_PER_MJ = Decimal("1.5")  # 400 mJ = 600 RUB, January 2025
SEED_START = "2025-01-01"

AUTHOR = "author"
PLATFORM = "platform"
RESERVED = {AUTHOR, PLATFORM, "subscribers", "first", "others"}
INT64_MAX = 2**63 - 1


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
    commission: dict[str, Decimal] | None = None
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


@dataclass
class Report:
    scenario: str
    subscribers: int
    periods: int
    revenue_kopecks: int
    token_cost_kopecks: int
    margin_kopecks: int
    loss_kopecks: int
    parties: list[str]
    by_role: dict[str, dict[str, int]]  # party -> role -> kopecks (LOSS under "loss")
    monthly: list[dict[str, Any]] = field(default_factory=list)  # snowball only
    notes: list[str] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        """Each party's accrued kopecks; the platform's net of losses, so they add up to the margin."""
        return {party: sum(self.by_role.get(party, {}).values()) for party in self.parties}

    def as_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "subscribers": self.subscribers,
            "periods": self.periods,
            "revenue": self.revenue_kopecks,
            "token_cost": self.token_cost_kopecks,
            "margin": self.margin_kopecks,
            "loss": self.loss_kopecks,
            "totals": self.totals,
            "by_role": {party: dict(self.by_role.get(party, {})) for party in self.parties},
            **({"monthly": self.monthly} if self.monthly else {}),
            "units": "kopecks",
        }


# --- loading --------------------------------------------------------------------------------


def load_scenario(spec: str, *, months: int | None = None) -> Scenario:
    """A built-in scenario by name, or a TOML file. `months` overrides the scenario's."""
    if spec in BUILTIN:
        scenario = BUILTIN[spec]
    else:
        path = Path(spec)
        if not path.is_file():
            raise ScenarioError(f"{spec!r} is neither a built-in scenario ({', '.join(SCENARIO_NAMES)}) nor a TOML file.")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ScenarioError(f"{spec} is not valid TOML: {exc}.") from None
        scenario = parse_scenario(data, name=path.stem)
    if months is not None:
        scenario = Scenario(**{**scenario.__dict__, "months": _positive(months, "--months")})
    return scenario


def parse_scenario(data: dict[str, Any], *, name: str) -> Scenario:
    tracker = data.get("tracker", {})
    if not isinstance(tracker, dict):
        raise ScenarioError("[tracker] must be a table.")
    unknown = set(data) - {"tracker", "partner", "cohort", "commission"}
    if unknown:
        raise ScenarioError(f"unknown section(s) {', '.join(sorted(unknown))}: use [tracker], [[partner]], [[cohort]], [commission].")
    partners: list[Partner] = []
    known = {AUTHOR}
    for item in data.get("partner", []):
        partner_name = str(item.get("name", "")).strip()
        invited_by = str(item.get("invited_by", AUTHOR))
        if not partner_name or partner_name in RESERVED or partner_name in known:
            raise ScenarioError(f"partner name {partner_name!r} is empty, reserved or used twice.")
        if invited_by not in known:
            raise ScenarioError(f"partner {partner_name!r} is invited by {invited_by!r}, who is not the author or a partner listed before.")
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
                _positive(item.get("subscribers", 0), "cohort subscribers"),
                None if cost is None else _kopecks(cost, "cohort cost_month"),
            )
        )
    if not cohorts:
        raise ScenarioError("a scenario needs at least one [[cohort]] of subscribers.")
    commission = None
    if "commission" in data:
        commission = {role.value: _decimal(data["commission"].get(role.value, 0), f"commission.{role.value}") for role in ROLE_ORDER}
        try:
            compile_schedule(commission)
        except ValueError:
            raise ScenarioError("[commission] shares must be >= 0 and add up to 100.") from None
    return Scenario(
        name=name,
        price_month_kopecks=_kopecks(tracker.get("price_month", "2000.00"), "tracker.price_month"),
        cost_month_kopecks=_kopecks(tracker.get("cost_month", "600.00"), "tracker.cost_month"),
        months=_positive(tracker.get("months", 1), "tracker.months"),
        partners=tuple(partners),
        cohorts=tuple(cohorts),
        commission=commission,
        rub_per_mj=_decimal(tracker.get("rub_per_mj", SEED_RUB_PER_MJ), "tracker.rub_per_mj"),
        start=_date(tracker.get("start", SEED_START)),
    )


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


def _positive(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ScenarioError(f"{what} must be a whole number of at least 1.")
    return value


def _date(value: Any) -> str:
    try:
        return datetime.fromisoformat(str(value)).date().isoformat()
    except ValueError:
        raise ScenarioError(f"tracker.start must be a date like 2025-01-01, not {value!r}.") from None


# --- running --------------------------------------------------------------------------------


async def run(spec: str, *, months: int | None = None, per_month: int = 1, tz: str = DEFAULT_TIMEZONE) -> Report:
    """Run a scenario on a fresh temporary SQLite database and report what the ledger holds."""
    from bot import db  # the composition root's database setup; imported late, it is not domain

    if spec == "snowball":
        months = _positive(months if months is not None else 18, "--months")
        per_month = _positive(per_month, "--per-month")
        scenario = Scenario(name="snowball", months=months)
    else:
        scenario = load_scenario(spec, months=months)
    with tempfile.TemporaryDirectory(prefix="gptitor-simulate-") as tmp:
        await db.init(f"sqlite://{Path(tmp) / 'simulate.sqlite3'}")
        try:
            if spec == "snowball":
                return await _run_snowball(scenario, per_month, ZoneInfo(tz))
            return await _run_cohorts(scenario, ZoneInfo(tz))
        finally:
            await db.close()


class _World:
    """Writes people, memberships, subscriptions, periods and usage in bulk."""

    def __init__(self, scenario: Scenario, tz: ZoneInfo) -> None:
        self.scenario = scenario
        self.tz = tz
        start = datetime.fromisoformat(scenario.start).replace(tzinfo=tz)
        # Monthly renewals, each starting when the previous one ends: the production rule.
        self.plans: list[SubscriptionPlan] = []
        for _ in range(scenario.months):
            plan = plan_subscription(PlanKind.MONTH, scenario.price_month_kopecks, start, tz)
            self.plans.append(plan)
            start = plan.ends_at
        self.subscriptions: list[list[Any]] = []
        self.periods: list[list[Any]] = []
        self.usage: list[list[Any]] = []
        self.period_month: dict[int, int] = {}  # period id -> month number (1, 2, ...)
        self.chains: dict[int, tuple[int | None, ...]] = {}  # user id -> (l1, l2, l3), copied onto their periods
        self.tracker_id = 0

    async def create_people(self, users: list[tuple[int, str]], members: list[tuple[int, tuple[int | None, ...], bool]]) -> None:
        author = await User.create(id=1, first_name=AUTHOR)
        tracker = await Tracker.create(bot_id=1, username="simulated_bot", name="Simulated tracker", author=author, token_encrypted="-")
        self.tracker_id = tracker.id
        await User.bulk_create([User(id=uid, first_name=name) for uid, name in users], batch_size=5000)
        self.chains = {uid: chain for uid, chain, _ in members}
        await Membership.bulk_create(
            [
                Membership(tracker_id=tracker.id, user_id=uid, l1_id=l1, l2_id=l2, l3_id=l3, is_partner=partner)
                for uid, (l1, l2, l3), partner in members
            ],
            batch_size=5000,
        )

    def subscribe(self, user_id: int, first_month: int, weight: int, cost_month_kopecks: int, conn: BaseDBAsyncClient) -> None:
        """`user_id` pays for every month from `first_month` on, for `weight` people at once."""
        l1, l2, l3 = self.chains.get(user_id, (None, None, None))
        for month, plan in enumerate(self.plans, start=1):
            if month < first_month:
                continue
            sid = len(self.subscriptions) + 1
            price = plan.price_kopecks * weight
            self.subscriptions.append(
                [sid, self.tracker_id, user_id, PlanKind.MONTH.value, price, ts(conn, plan.starts_at), ts(conn, plan.ends_at), "active", False, ts(conn, plan.starts_at)]
            )
            for span in plan.periods:
                pid = len(self.periods) + 1
                self.period_month[pid] = month
                self.periods.append(
                    [pid, sid, self.tracker_id, user_id, span.seq, ts(conn, span.starts_at), ts(conn, span.ends_at), span.revenue_kopecks * weight, "open", l1, l2, l3]
                )
            cost_ukop = cost_month_kopecks * weight * MICRO
            if cost_ukop > INT64_MAX:
                raise ScenarioError("the network grows beyond what 64-bit kopeck sums hold: lower --months or --per-month.")
            if cost_ukop:
                mj_micro = int(Decimal(cost_month_kopecks * weight) / 100 / self.scenario.rub_per_mj * MICRO)
                # One metered record a month, inside the month's window.
                self.usage.append(
                    [self.tracker_id, user_id, sid, "subscription", "simulated", 0, 0, min(mj_micro, INT64_MAX), cost_ukop, ts(conn, plan.starts_at)]
                )

    async def flush(self) -> None:
        async with in_transaction() as conn:
            await conn.execute_many(
                sql(conn, "INSERT INTO subscriptions (id, tracker_id, user_id, plan_kind, price_kopecks, starts_at, ends_at, status, auto_renew, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                self.subscriptions,
            )
            await conn.execute_many(
                sql(conn, "INSERT INTO accounting_periods (id, subscription_id, tracker_id, user_id, seq, starts_at, ends_at, revenue_kopecks, status, l1_id, l2_id, l3_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                self.periods,
            )
            if self.usage:
                await conn.execute_many(
                    sql(conn, "INSERT INTO usage_records (tracker_id, user_id, subscription_id, charged_to, model, input_tokens, output_tokens, mj_micro, cost_ukop, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                    self.usage,
                )

    async def settle(self) -> None:
        await settle_due_periods(self.plans[-1].ends_at, schedule=self.scenario.commission)


async def _run_cohorts(scenario: Scenario, tz: ZoneInfo) -> Report:
    world = _World(scenario, tz)
    conn = default_connection()
    ids = {AUTHOR: 1}
    chains: dict[str, tuple[int | None, int | None, int | None]] = {AUTHOR: (None, None, None)}
    users: list[tuple[int, str]] = []
    members: list[tuple[int, tuple[int | None, ...], bool]] = []

    def chain_below(inviter: str | None) -> tuple[int | None, int | None, int | None]:
        # Whoever `inviter` brings has the inviter as L1, the inviter's L1 as L2, its L2 as L3.
        if inviter is None:
            return (None, None, None)
        above = chains[inviter]
        return (ids[inviter], above[0], above[1])

    for number, partner in enumerate(scenario.partners, start=2):
        ids[partner.name] = number
        chains[partner.name] = chain_below(partner.invited_by)
        users.append((number, partner.name))
        members.append((number, chains[partner.name], True))
    subscribers: list[tuple[int, Cohort]] = []
    next_id = 1_000_000
    for cohort in scenario.cohorts:
        chain = chain_below(cohort.invited_by)
        for _ in range(cohort.subscribers):
            users.append((next_id, "subscriber"))
            members.append((next_id, chain, False))
            subscribers.append((next_id, cohort))
            next_id += 1
    await world.create_people(users, members)
    for user_id, cohort in subscribers:
        cost = scenario.cost_month_kopecks if cohort.cost_month_kopecks is None else cohort.cost_month_kopecks
        world.subscribe(user_id, 1, 1, cost, conn)
    await world.flush()
    await world.settle()
    names = {1: AUTHOR, **{ids[p.name]: p.name for p in scenario.partners}}
    parties = [AUTHOR, *(p.name for p in scenario.partners), PLATFORM]
    return await _report(scenario.name, len(subscribers), parties, names)


async def _run_snowball(scenario: Scenario, per_month: int, tz: ZoneInfo) -> Report:
    """Month 1: the first subscriber (brought by the author). Every following month each
    subscriber brings `per_month` new ones; nobody leaves. One database subscriber per cohort:
    (month joined, own position, L1/L2/L3 position), where a position is the author, the first
    subscriber, or "others" (anyone else, counted together)."""
    world = _World(scenario, tz)
    conn = default_connection()
    FIRST, OTHERS = 2, 3  # user ids; the author is 1
    Signature = tuple[int, int | None, int | None, int | None]  # (own, l1, l2, l3)
    active: dict[Signature, int] = {(FIRST, 1, None, None): 1}
    joined: list[tuple[int, Signature, int]] = [(1, (FIRST, 1, None, None), 1)]
    monthly_counts = [(1, 1)]
    for month in range(2, scenario.months + 1):
        new: dict[Signature, int] = defaultdict(int)
        for (own, l1, l2, _l3), count in active.items():
            new[(OTHERS, own, l1, l2)] += count * per_month
        for signature, count in new.items():
            joined.append((month, signature, count))
            active[signature] = active.get(signature, 0) + count
        monthly_counts.append((sum(active.values()), sum(new.values())))

    users = [(FIRST, "first"), (OTHERS, "others")]
    members: list[tuple[int, tuple[int | None, ...], bool]] = [(FIRST, (1, None, None), False)]
    cohort_users: list[tuple[int, int, int]] = []  # (user id, month joined, weight)
    next_id = 1000
    for month, (own, l1, l2, l3), count in joined:
        if own == FIRST:
            cohort_users.append((FIRST, month, count))
            continue
        users.append((next_id, f"cohort m{month}"))
        members.append((next_id, (l1, l2, l3), False))
        cohort_users.append((next_id, month, count))
        next_id += 1
    await world.create_people(users, members)
    for user_id, month, count in cohort_users:
        world.subscribe(user_id, month, count, scenario.cost_month_kopecks, conn)
    await world.flush()
    await world.settle()

    names = {1: AUTHOR, FIRST: "first", OTHERS: "others"}
    report = await _report("snowball", monthly_counts[-1][0], [AUTHOR, "first", "others", PLATFORM], names)
    income = await _monthly_income(conn, FIRST, world.period_month)
    for month, (subscribers, newcomers) in enumerate(monthly_counts, start=1):
        levels = income.get(month, {})
        report.monthly.append(
            {"month": month, "subscribers": subscribers, "new": newcomers, "first_income": sum(levels.values()), "first_by_level": {lv: levels.get(lv, 0) for lv in ("l1", "l2", "l3")}}
        )
    report.notes.append(f"each subscriber brings {per_month} new subscriber(s) a month from the month after joining; nobody leaves")
    return report


async def _monthly_income(conn: BaseDBAsyncClient, user_id: int, period_month: dict[int, int]) -> dict[int, dict[str, int]]:
    _, rows = await conn.execute_query(
        sql(conn, "SELECT l.source_id, l.role, l.amount_kopecks FROM ledger_entries l JOIN accounts a ON a.id = l.account_id WHERE a.user_id = ? AND l.source_type = 'period'"),
        [user_id],
    )
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for period_id, role, amount in rows:
        out[period_month[period_id]][role] += int(amount)
    return out


async def _report(name: str, subscribers: int, parties: list[str], names: dict[int, str]) -> Report:
    conn = default_connection()
    _, rows = await conn.execute_query(
        "SELECT COUNT(*), COALESCE(SUM(revenue_kopecks), 0), COALESCE(SUM(token_cost_kopecks), 0), COALESCE(SUM(margin_kopecks), 0), "
        "COALESCE(SUM(CASE WHEN margin_kopecks < 0 THEN margin_kopecks ELSE 0 END), 0) FROM accounting_periods WHERE status = 'settled'"
    )
    periods, revenue, cost, margin, loss = (int(v) for v in rows[0])
    _, rows = await conn.execute_query(
        "SELECT a.key, a.user_id, l.kind, l.role, SUM(l.amount_kopecks) FROM ledger_entries l JOIN accounts a ON a.id = l.account_id "
        "WHERE l.source_type = 'period' GROUP BY a.key, a.user_id, l.kind, l.role"
    )
    by_role: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, user_id, kind, role, amount in rows:
        party = PLATFORM if key == "platform" else names.get(user_id, "subscribers")
        by_role[party]["loss" if kind == "loss" else role] += int(amount)
    if "subscribers" in by_role:
        parties = [*parties[:-1], "subscribers", parties[-1]]
    return Report(
        scenario=name,
        subscribers=subscribers,
        periods=periods,
        revenue_kopecks=revenue,
        token_cost_kopecks=cost,
        margin_kopecks=margin,
        loss_kopecks=loss,
        parties=parties,
        by_role={party: dict(roles) for party, roles in by_role.items()},
    )


# --- printing -------------------------------------------------------------------------------


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    rows = list(rows)
    widths = [max(len(str(line[i])) for line in [header, *rows]) for i in range(len(header))]
    fmt = lambda line: "  ".join(  # noqa: E731
        str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i]) for i, cell in enumerate(line)
    )
    return [fmt(header), "  ".join("-" * w for w in widths), *map(fmt, rows)]


def format_report(report: Report) -> str:
    lines = [
        f"Scenario {report.scenario}: {report.subscribers:,} subscribers, {report.periods:,} periods settled (RUB)",
        f"revenue {report_rub(report.revenue_kopecks)}   token cost {report_rub(report.token_cost_kopecks)}   margin {report_rub(report.margin_kopecks)}",
        "",
    ]
    columns = [Role.AUTHOR.value, Role.L1.value, Role.L2.value, Role.L3.value, Role.PLATFORM.value]
    has_loss = any("loss" in roles for roles in report.by_role.values())
    header = ["party", "as author", "L1", "L2", "L3", "as platform", *(["loss"] if has_loss else []), "total"]
    totals = report.totals
    rows = []
    for party in report.parties:
        roles = report.by_role.get(party, {})
        cells = [report_rub(roles.get(c, 0)) for c in columns] + ([report_rub(roles.get("loss", 0))] if has_loss else [])
        rows.append([party, *cells, report_rub(totals[party])])
    rows.append(["all", *[""] * (len(header) - 2), report_rub(sum(totals.values()))])
    lines += _table(header, rows)
    if report.monthly:
        lines += ["", "The first subscriber's income by month (RUB):", ""]
        lines += _table(
            ["month", "subscribers", "new", "from L1", "from L2", "from L3", "income"],
            (
                [str(m["month"]), f"{m['subscribers']:,}", f"{m['new']:,}", *(report_rub(m["first_by_level"][lv]) for lv in ("l1", "l2", "l3")), report_rub(m["first_income"])]
                for m in report.monthly
            ),
        )
    lines += [f"note: {note}" for note in report.notes]
    return "\n".join(lines)
