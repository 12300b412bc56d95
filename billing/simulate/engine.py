"""How a simulation runs: the scenario's people, subscriptions, periods and metered cost written in
bulk to a throwaway database, then settled by `billing.settlement` as in production."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from billing.periods import DEFAULT_TIMEZONE
from billing.rates import MICRO
from billing.settlement import settle_due_periods
from billing.simulate.report import Report, monthly_income, read_report
from billing.simulate.scenario import (
    AUTHOR,
    PLATFORM,
    Cohort,
    Scenario,
    ScenarioError,
    load_scenario,
    positive_int,
    with_levels,
)
from billing.split import MAX_LEVELS, compile_schedule
from billing.subscriptions import SubscriptionPlan, plan_subscription
from models import Membership, Tracker, User
from models.enums import PlanKind
from models.sql import default_connection, sql, ts

INT64_MAX = 2**63 - 1

Database = Callable[[str], AbstractAsyncContextManager[None]]


async def run(spec: str, *, database: Database, months: int | None = None, per_month: int = 1,
              tz: str = DEFAULT_TIMEZONE, levels: str | None = None) -> Report:
    """Run a scenario on a fresh temporary SQLite database and report what the ledger holds.
    `database(url)` connects to a new database with the production schema, and closes it: the
    caller's (`bot.db.database`), since how the platform builds its schema is the app's business.
    `levels` ("30,20,10,5") replaces the scenario's referral levels (`scenario.with_levels`)."""
    if spec == "snowball":
        months = positive_int(months if months is not None else 18, "--months")
        per_month = positive_int(per_month, "--per-month")
        scenario = Scenario(name="snowball", months=months)
    else:
        scenario = load_scenario(spec, months=months)
    if levels is not None:
        scenario = with_levels(scenario, levels)
    with tempfile.TemporaryDirectory(prefix="gptitor-simulate-") as tmp:
        async with database(f"sqlite://{Path(tmp) / 'simulate.sqlite3'}"):
            if spec == "snowball":
                return await run_snowball(scenario, per_month, ZoneInfo(tz))
            return await run_cohorts(scenario, ZoneInfo(tz))


def full_chain(chain: tuple[int | None, ...]) -> tuple[int | None, ...]:
    """A chain cut or padded to the six levels a membership and a period carry."""
    return (*chain[:MAX_LEVELS], *[None] * (MAX_LEVELS - len(chain[:MAX_LEVELS])))


class World:
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
        self.chains: dict[int, tuple[int | None, ...]] = {}  # user id -> (l1, .., l6), copied onto their periods
        self.depth = compile_schedule(scenario.commission).depth
        self.tracker_id = 0

    async def create_people(
        self, users: list[tuple[int, str]], members: list[tuple[int, tuple[int | None, ...], bool]]
    ) -> None:
        author = await User.create(id=1, first_name=AUTHOR)
        tracker = await Tracker.create(
            bot_id=1, username="simulated_bot", name="Simulated tracker", author=author, token_encrypted="-"
        )
        self.tracker_id = tracker.id
        await User.bulk_create([User(id=uid, first_name=name) for uid, name in users], batch_size=5000)
        self.chains = {uid: full_chain(chain) for uid, chain, _ in members}
        await Membership.bulk_create(
            [
                Membership(tracker_id=tracker.id, user_id=uid, is_partner=partner,
                           **{f"l{level}_id": holder for level, holder in enumerate(self.chains[uid], start=1)})
                for uid, _, partner in members
            ],
            batch_size=5000,
        )

    def subscribe(
        self, user_id: int, first_month: int, weight: int, cost_month_kopecks: int, conn: BaseDBAsyncClient
    ) -> None:
        """`user_id` pays for every month from `first_month` on, for `weight` people at once."""
        chain = self.chains.get(user_id, full_chain(()))
        for month, plan in enumerate(self.plans, start=1):
            if month < first_month:
                continue
            sid = len(self.subscriptions) + 1
            price = plan.price_kopecks * weight
            self.subscriptions.append(
                [
                    sid,
                    self.tracker_id,
                    user_id,
                    PlanKind.MONTH.value,
                    price,
                    ts(conn, plan.starts_at),
                    ts(conn, plan.ends_at),
                    "active",
                    False,
                    ts(conn, plan.starts_at),
                ]
            )
            for span in plan.periods:
                pid = len(self.periods) + 1
                self.period_month[pid] = month
                self.periods.append(
                    [
                        pid,
                        sid,
                        self.tracker_id,
                        user_id,
                        span.seq,
                        ts(conn, span.starts_at),
                        ts(conn, span.ends_at),
                        span.revenue_kopecks * weight,
                        "open",
                        *chain,
                    ]
                )
            cost_ukop = cost_month_kopecks * weight * MICRO
            if cost_ukop > INT64_MAX:
                raise ScenarioError(
                    "the network grows beyond what 64-bit kopeck sums hold: lower --months or --per-month."
                )
            if cost_ukop:
                mj_micro = int(Decimal(cost_month_kopecks * weight) / 100 / self.scenario.rub_per_mj * MICRO)
                # One metered record a month, inside the month's window.
                self.usage.append(
                    [
                        self.tracker_id,
                        user_id,
                        sid,
                        "subscription",
                        "simulated",
                        0,
                        0,
                        min(mj_micro, INT64_MAX),
                        cost_ukop,
                        ts(conn, plan.starts_at),
                    ]
                )

    async def flush(self) -> None:
        async with in_transaction() as conn:
            await conn.execute_many(
                sql(
                    conn,
                    "INSERT INTO subscriptions (id, tracker_id, user_id, plan_kind, price_kopecks, starts_at, ends_at,"
                    " status, auto_renew, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ),
                self.subscriptions,
            )
            await conn.execute_many(
                sql(
                    conn,
                    "INSERT INTO accounting_periods (id, subscription_id, tracker_id, user_id, seq, starts_at, ends_at,"
                    " revenue_kopecks, status, l1_id, l2_id, l3_id, l4_id, l5_id, l6_id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ),
                self.periods,
            )
            if self.usage:
                await conn.execute_many(
                    sql(
                        conn,
                        "INSERT INTO usage_records (tracker_id, user_id, subscription_id, charged_to, model,"
                        " input_tokens, output_tokens, mj_micro, cost_ukop, created_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    ),
                    self.usage,
                )

    async def settle(self) -> None:
        await settle_due_periods(self.plans[-1].ends_at, schedule=self.scenario.commission)


async def run_cohorts(scenario: Scenario, tz: ZoneInfo) -> Report:
    world = World(scenario, tz)
    conn = default_connection()
    ids = {AUTHOR: 1}
    chains: dict[str, tuple[int | None, ...]] = {AUTHOR: full_chain(())}
    users: list[tuple[int, str]] = []
    members: list[tuple[int, tuple[int | None, ...], bool]] = []

    def chain_below(inviter: str | None) -> tuple[int | None, ...]:
        # Whoever `inviter` brings has the inviter as level 1 and the inviter's level k as level k+1.
        if inviter is None:
            return full_chain(())
        return full_chain((ids[inviter], *chains[inviter]))

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
    return await read_report(scenario.name, len(subscribers), parties, names, levels=world.depth)


async def run_snowball(scenario: Scenario, per_month: int, tz: ZoneInfo) -> Report:
    """Month 1: the first subscriber (brought by the author). Every following month each
    subscriber brings `per_month` new ones; nobody leaves. One database subscriber per cohort:
    (month joined, own position, the position of each level the schedule pays), where a position
    is the author, the first subscriber, or "others" (anyone else, counted together)."""
    world = World(scenario, tz)
    conn = default_connection()
    FIRST, OTHERS = 2, 3  # user ids; the author is 1
    depth = world.depth
    Signature = tuple[int | None, ...]  # (own, l1, .., l<depth>): deeper levels earn nothing
    first: Signature = (FIRST, *(1, *[None] * depth)[:depth])
    active: dict[Signature, int] = {first: 1}
    joined: list[tuple[int, Signature, int]] = [(1, first, 1)]
    monthly_counts = [(1, 1)]
    for month in range(2, scenario.months + 1):
        new: dict[Signature, int] = defaultdict(int)
        for signature, count in active.items():
            new[(OTHERS, *signature[:depth])] += count * per_month
        for signature, count in new.items():
            joined.append((month, signature, count))
            active[signature] = active.get(signature, 0) + count
        monthly_counts.append((sum(active.values()), sum(new.values())))

    users = [(FIRST, "first"), (OTHERS, "others")]
    members: list[tuple[int, tuple[int | None, ...], bool]] = [(FIRST, (1,), False)]
    cohort_users: list[tuple[int, int, int]] = []  # (user id, month joined, weight)
    next_id = 1000
    for month, (own, *chain), count in joined:
        if own == FIRST:
            cohort_users.append((FIRST, month, count))
            continue
        users.append((next_id, f"cohort m{month}"))
        members.append((next_id, tuple(chain), False))
        cohort_users.append((next_id, month, count))
        next_id += 1
    await world.create_people(users, members)
    for user_id, month, count in cohort_users:
        world.subscribe(user_id, month, count, scenario.cost_month_kopecks, conn)
    await world.flush()
    await world.settle()

    names = {1: AUTHOR, FIRST: "first", OTHERS: "others"}
    report = await read_report("snowball", monthly_counts[-1][0], [AUTHOR, "first", "others", PLATFORM], names,
                               levels=depth)
    income = await monthly_income(conn, FIRST, world.period_month)
    for month, (subscribers, newcomers) in enumerate(monthly_counts, start=1):
        levels = income.get(month, {})
        report.monthly.append(
            {
                "month": month,
                "subscribers": subscribers,
                "new": newcomers,
                "first_income": sum(levels.values()),
                "first_by_level": {f"l{k}": levels.get(f"l{k}", 0) for k in range(1, depth + 1)},
            }
        )
    report.notes.append(
        f"each subscriber brings {per_month} new subscriber(s) a month from the month after joining; nobody leaves"
    )
    return report
