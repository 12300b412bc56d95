"""The five-way split: the seed's examples, odd kopecks, losses, and the add-up property."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.split import ROLE_ORDER, compile_schedule, role_amounts, split_margin
from models.enums import EntryKind, Role

MARGIN = 140_000  # the seed: 2,000 RUB price - 600 RUB token cost, in kopecks
AUTHOR, SASHA, MASHA = 1, 2, 3


def totals(*groups: tuple[int, list]) -> Counter:
    """Sum (count x shares) per beneficiary; None is the platform."""
    out: Counter = Counter()
    for count, shares in groups:
        for share in shares:
            out[share.beneficiary] += count * share.amount
    return out


def test_seed_author_alone():
    # The author invites every client himself: author 20% + L1 30%; L2, L3 unheld -> platform.
    shares = split_margin(MARGIN, author=AUTHOR, l1=AUTHOR)
    by_role = {s.role: (s.beneficiary, s.amount) for s in shares}
    assert by_role[Role.AUTHOR] == (AUTHOR, 28_000)
    assert by_role[Role.L1] == (AUTHOR, 42_000)
    assert by_role[Role.L2] == (None, 28_000) and by_role[Role.L3] == (None, 14_000)
    result = totals((1000, shares))
    assert result[AUTHOR] == 70_000_000  # 280,000 + 420,000 RUB
    assert result[None] == 70_000_000


def test_seed_through_representatives():
    result = totals(
        (1000, split_margin(MARGIN, author=AUTHOR, l1=AUTHOR)),
        (500, split_margin(MARGIN, author=AUTHOR, l1=SASHA, l2=AUTHOR)),
        (2000, split_margin(MARGIN, author=AUTHOR, l1=MASHA, l2=AUTHOR)),
    )
    assert result == {AUTHOR: 210_000_000, SASHA: 21_000_000, MASHA: 84_000_000, None: 175_000_000}
    assert sum(result.values()) == 490_000_000


def test_one_person_in_several_roles_is_paid_for_each():
    shares = split_margin(100, author=AUTHOR, l1=AUTHOR, l2=AUTHOR, l3=AUTHOR)
    assert [(s.role, s.beneficiary, s.amount) for s in shares] == [
        (Role.PLATFORM, None, 20), (Role.AUTHOR, AUTHOR, 20), (Role.L1, AUTHOR, 30), (Role.L2, AUTHOR, 20),
        (Role.L3, AUTHOR, 10),
    ]


@pytest.mark.parametrize(
    "margin, expected",
    [
        # exact shares 0.2 0.2 0.3 0.2 0.1: the one kopeck goes to the largest remainder (L1)
        (1, [0, 0, 1, 0, 0]),
        # 0.6 0.6 0.9 0.6 0.3: L1 first, then the ties in role order: platform, author
        (3, [1, 1, 1, 0, 0]),
        # 1.4 1.4 2.1 1.4 0.7: floors 1 1 2 1 0, two left: L3 (.7), then platform (.4, first of the ties)
        (7, [2, 1, 2, 1, 1]),
        (140_001, [28_000, 28_000, 42_001, 28_000, 14_000]),
    ],
)
def test_odd_kopecks_by_largest_remainder(margin, expected):
    assert role_amounts(margin, compile_schedule()) == expected


def test_fractional_percents():
    weights = compile_schedule({"platform": "12.5", "author": "27.5", "l1": "33.33", "l2": "16.67", "l3": "10"})
    # exact: 1250.125, 2750.275, 3333.3333, 1667.1667, 1000.1 -> the kopeck left goes to L1 (.3333)
    assert role_amounts(10_001, weights) == [1250, 2750, 3334, 1667, 1000]


def test_a_schedule_must_add_up_to_100():
    with pytest.raises(ValueError):
        compile_schedule({"platform": 20, "author": 20, "l1": 30, "l2": 20, "l3": 20})


@pytest.mark.parametrize("margin", [0, -1, -45_000])
def test_no_margin_accrues_nothing_and_records_the_platforms_loss(margin):
    assert split_margin(margin, author=AUTHOR, l1=SASHA) == [(Role.PLATFORM, None, margin, EntryKind.LOSS)]


percents = st.lists(st.integers(min_value=0, max_value=10_000), min_size=4, max_size=4).filter(
    lambda xs: sum(xs) <= 10_000
)


@given(
    margin=st.integers(min_value=-(10**12), max_value=10**12),
    cuts=percents,
    holders=st.tuples(*[st.one_of(st.none(), st.integers(min_value=1, max_value=4))] * 3),
)
def test_shares_always_add_up_to_the_margin(margin, cuts, holders):
    # five percents with two decimals that add up to exactly 100
    hundredths = [*cuts, 10_000 - sum(cuts)]
    schedule = {role.value: Decimal(h) / 100 for role, h in zip(ROLE_ORDER, hundredths, strict=True)}
    l1, l2, l3 = holders
    shares = split_margin(margin, author=AUTHOR, l1=l1, l2=l2, l3=l3, schedule=schedule)
    assert sum(s.amount for s in shares) == margin
    if margin > 0:
        assert all(s.kind is EntryKind.ACCRUAL and s.amount > 0 for s in shares)
        for s in shares:  # each share is its exact value rounded up or down, never further
            exact = Decimal(margin) * schedule[s.role.value] / 100
            assert abs(s.amount - exact) < 1
        # unheld levels are the platform's; held ones are their holder's
        for s in shares:
            expected = {Role.PLATFORM: None, Role.AUTHOR: AUTHOR, Role.L1: l1, Role.L2: l2, Role.L3: l3}[s.role]
            assert s.beneficiary == expected
    else:
        assert [s.kind for s in shares] == [EntryKind.LOSS]
