"""Level 1 of a client nobody invited (issue 16): the platform's by default (DESIGN.md), the
author's under a schedule that says so; the rule is dated with the shares, so a period is split by
the rule in force at its end, and the cabinet's forecast follows the same rule."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from billing import commission
from billing.partner import forecast_by_level
from billing.settlement import settle_due_periods
from billing.split import compile_schedule, split_margin
from billing.subscriptions import create_subscription
from models import AccountingPeriod, LedgerEntry
from models.enums import Role
from tests.billing.helpers import MSK, at, join, make_tracker

T0 = at(2025, 1, 1, 9)
SHARES = {"platform": Decimal(20), "author": Decimal(20), "l1": Decimal(30), "l2": Decimal(20), "l3": Decimal(10)}


def test_the_split_gives_level_1_of_an_uninvited_client_to_whom_the_schedule_names():
    by_platform = split_margin(100_000, author=7, schedule=SHARES)
    assert [(s.role, s.beneficiary, s.amount) for s in by_platform if s.role == Role.L1] == [(Role.L1, None, 30_000)]
    by_author = split_margin(100_000, author=7, schedule={**SHARES, "unattributed": "author"})
    holders = {s.role: (s.beneficiary, s.amount) for s in by_author}
    assert holders[Role.AUTHOR] == (7, 20_000) and holders[Role.L1] == (7, 30_000)
    assert holders[Role.L2] == (None, 20_000) and holders[Role.L3] == (None, 10_000)
    # An invited client's chain is never replaced.
    invited = split_margin(100_000, author=7, l1=8, schedule={**SHARES, "unattributed": "author"})
    assert {s.role: s.beneficiary for s in invited}[Role.L1] == 8


def test_an_unknown_rule_is_refused():
    with pytest.raises(ValueError):
        compile_schedule({**SHARES, "unattributed": "nobody"})


async def ledger(user_id: int | None) -> dict[str, int]:
    query = LedgerEntry.filter(account__user_id=user_id) if user_id else LedgerEntry.filter(account__user_id=None)
    out: dict[str, int] = {}
    for entry in await query:
        out[entry.role.value] = out.get(entry.role.value, 0) + entry.amount_kopecks
    return out


async def test_settlement_follows_the_rule_in_force_at_the_period_end(database):
    tracker = await make_tracker(author_id=1)
    await join(tracker, 5)  # came without a link
    sub = await create_subscription(tracker.id, 5, "quarter", 600_000, T0, tz=MSK)
    first, second, third = await AccountingPeriod.filter(subscription=sub).order_by("seq")

    assert (await forecast_by_level(tracker.id, 1, schedule={**SHARES, "unattributed": "author"})).l1 == 3 * 60_000
    assert (await forecast_by_level(tracker.id, 1, schedule=SHARES)).l1 == 0

    await settle_due_periods(first.ends_at, schedule=SHARES)  # the configured default: the platform's
    assert await ledger(1) == {"author": 40_000}
    # The admin names the author from the end of the first period on (a dated schedule).
    await commission.add_schedule(SHARES, first.ends_at + timedelta(seconds=1), now=first.ends_at,
                                  unattributed="author")
    assert await commission.rule_at(second.ends_at) == "author"
    await settle_due_periods(third.ends_at, schedule=SHARES)
    assert await ledger(1) == {"author": 3 * 40_000, "l1": 2 * 60_000}
    assert (await ledger(None))["l1"] == 60_000  # the first period's level 1 stayed the platform's


async def test_the_configured_rule_applies_without_a_dated_schedule(database):
    tracker = await make_tracker(author_id=1)
    await join(tracker, 5)
    sub = await create_subscription(tracker.id, 5, "month", 200_000, T0, tz=MSK)
    [period] = await AccountingPeriod.filter(subscription=sub)
    await settle_due_periods(period.ends_at, schedule={**SHARES, "unattributed": "author"})
    assert await ledger(1) == {"author": 40_000, "l1": 60_000}
    assert await commission.rule_at(fallback={**SHARES, "unattributed": "author"}) == "author"
    assert await commission.rule_at(fallback=SHARES) == "platform"
