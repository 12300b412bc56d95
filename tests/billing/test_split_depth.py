"""The split under schedules of any depth 0..6: shares add up, unheld levels fall to the platform,
levels past the schedule earn nothing, and the default three levels give today's figures."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.split import ALL_ROLES, MAX_LEVELS, ROLE_ORDER, compile_schedule, role_amounts, split_margin
from models.enums import EntryKind, Role

AUTHOR = 1


@st.composite
def schedules(draw: st.DrawFn) -> dict:
    """platform, author and 0..6 levels, in hundredths of a percent, adding up to exactly 100."""
    depth = draw(st.integers(min_value=0, max_value=MAX_LEVELS))
    cuts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=depth + 1, max_size=depth + 1)))
    hundredths = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000], strict=True)]
    schedule = {"platform": Decimal(hundredths[0]) / 100, "author": Decimal(hundredths[1]) / 100,
                "levels": [Decimal(h) / 100 for h in hundredths[2:]]}
    schedule["unattributed"] = draw(st.sampled_from(["platform", "author"]))
    return schedule


def percent_of(schedule: dict, role: Role) -> Decimal:
    if role in (Role.PLATFORM, Role.AUTHOR):
        return schedule[role.value]
    return schedule["levels"][ALL_ROLES.index(role) - 2]


@given(
    margin=st.integers(min_value=-(10**12), max_value=10**12),
    schedule=schedules(),
    chain=st.lists(st.one_of(st.none(), st.integers(min_value=2, max_value=9)), max_size=MAX_LEVELS + 2),
)
def test_any_depth_adds_up_to_the_margin(margin, schedule, chain):
    shares = split_margin(margin, author=AUTHOR, chain=chain, schedule=schedule)
    assert sum(s.amount for s in shares) == margin
    if margin <= 0:
        assert [s.kind for s in shares] == [EntryKind.LOSS]
        return
    depth = len(schedule["levels"])
    assert all(s.kind is EntryKind.ACCRUAL and s.amount > 0 for s in shares)
    assert {s.role for s in shares} <= set(ALL_ROLES[: 2 + depth])  # no role past the schedule
    holders = [*chain[:depth], *[None] * max(0, depth - len(chain))]
    if depth and holders[0] is None and schedule["unattributed"] == "author":
        holders[0] = AUTHOR
    for s in shares:
        assert abs(s.amount - Decimal(margin) * percent_of(schedule, s.role) / 100) < 1
        expected = {Role.PLATFORM: None, Role.AUTHOR: AUTHOR}.get(s.role) if s.role in (Role.PLATFORM, Role.AUTHOR) \
            else holders[ALL_ROLES.index(s.role) - 2]
        assert s.beneficiary == expected


@given(margin=st.integers(min_value=1, max_value=10**12),
       chain=st.tuples(*[st.one_of(st.none(), st.integers(min_value=2, max_value=9))] * 3))
def test_the_default_as_an_explicit_three_level_list_is_todays_split(margin, chain):
    listed = {"platform": 20, "author": 20, "levels": [30, 20, 10]}
    l1, l2, l3 = chain
    assert split_margin(margin, author=AUTHOR, chain=list(chain), schedule=listed) == \
        split_margin(margin, author=AUTHOR, l1=l1, l2=l2, l3=l3)
    assert role_amounts(margin, compile_schedule()) == role_amounts(margin, compile_schedule(listed))
    assert compile_schedule().roles == ROLE_ORDER


def test_four_levels_of_the_seeds_snowball():
    # 30/20/10/5 for the levels; the author keeps 20, the platform takes what is left: 15.
    shares = split_margin(140_000, author=AUTHOR, chain=[2, 3, 4, 5],
                          schedule={"platform": 15, "author": 20, "l1": 30, "l2": 20, "l3": 10, "l4": 5})
    assert [(s.role, s.beneficiary, s.amount) for s in shares] == [
        (Role.PLATFORM, None, 21_000), (Role.AUTHOR, AUTHOR, 28_000), (Role.L1, 2, 42_000), (Role.L2, 3, 28_000),
        (Role.L3, 4, 14_000), (Role.L4, 5, 7_000),
    ]


def test_no_levels_leaves_platform_and_author_only():
    shares = split_margin(101, author=AUTHOR, l1=2, schedule={"platform": 50, "author": 50, "levels": []})
    assert [(s.role, s.beneficiary, s.amount) for s in shares] == [(Role.PLATFORM, None, 51), (Role.AUTHOR, AUTHOR, 50)]


@pytest.mark.parametrize("schedule", [
    {"platform": 10, "author": 10, "levels": [10] * 8},                      # more than six levels
    {"platform": 20, "author": 20, "levels": [30, 20, 20]},                  # 110
    {"platform": 30, "author": 20, "levels": [40, 20, -10]},                 # negative
    {"platform": 20, "author": 20, "l1": 30, "l2": 20, "l4": 10},            # a gap: l4 without l3
    {"platform": 20, "author": 20, "levels": "30,20,10"},                    # not a list
])
def test_a_bad_schedule_is_refused(schedule):
    with pytest.raises(ValueError):
        compile_schedule(schedule)
