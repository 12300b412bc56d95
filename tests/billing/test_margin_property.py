"""No sequence of author settings makes a period's margin negative unless the admin allowed it.

A period is simulated with the real rules (`cost_rules.limit_refusal` at the author's input,
`budget.budget_of` and `Budget.leaves_room` before each answer, `rates.usage_cost` to meter it,
`settlement.token_cost_kopecks` to round): the author sets limits and changes plan prices, the
admin changes the rate, the client sends messages whose real tokens are anything within the
bounds the pipeline reserves (the prompt's byte bound, `max_tokens`). Settled, the margin is
never below zero. With `allow_unsafe_limits` it can be: the admin's choice."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.budget import budget_of
from billing.cost_rules import limit_refusal
from billing.policy import DEFAULTS, CostPolicy
from billing.rates import usage_cost
from billing.settlement import token_cost_kopecks

START = datetime(2025, 3, 1, tzinfo=UTC)


@dataclass
class FakeTracker:
    period_mj_limit: Decimal | None = None


@dataclass
class Rate:
    rub_per_mj: Decimal


@dataclass
class Price:
    mj_per_1k_input: Decimal
    mj_per_1k_output: Decimal


events = st.one_of(
    st.tuples(st.just("limit"), st.decimals(min_value=0, max_value=10**9, places=3)),
    st.tuples(st.just("price"), st.integers(min_value=100, max_value=10**8)),  # the next periods' plan price
    st.tuples(st.just("rate"), st.decimals(min_value=Decimal("0.01"), max_value=100, places=2)),
    st.tuples(st.just("message"), st.integers(min_value=1, max_value=20_000), st.integers(0, 100), st.integers(0, 100)),
)


def run_period(
    revenue: int, plan_price: int, rate: Decimal, price: Price, policy: CostPolicy, script: list[tuple]
) -> int:
    """The period's margin after the script, in kopecks."""
    tracker = FakeTracker()
    spent_micro = spent_ukop = 0
    for event in script:
        kind = event[0]
        if kind == "limit":
            if limit_refusal(event[1], plan_price, rate, policy) is None:
                tracker.period_mj_limit = event[1] if event[1] > 0 else None
        elif kind == "price":
            plan_price = event[1]  # this period's revenue was fixed when it was paid
        elif kind == "rate":
            rate = event[1]
        else:
            _, bound_input, input_pct, output_pct = event
            budget = budget_of(tracker, 1, START, START + timedelta(days=30), revenue, spent_micro,  # type: ignore[arg-type]
                               Rate(rate), policy, spent_ukop)
            assert budget is not None
            if budget.exhausted:
                continue
            reserve = usage_cost(bound_input, policy.max_tokens, price, rate).cost_ukop
            if not budget.leaves_room(reserve):
                continue
            # The real call: at most the bound of its prompt and at most max_tokens of answer.
            cost = usage_cost(bound_input * input_pct // 100, policy.max_tokens * output_pct // 100, price, rate)
            spent_micro += cost.mj_micro
            spent_ukop += cost.cost_ukop
    return revenue - token_cost_kopecks(spent_ukop)


policies = st.builds(
    lambda max_tokens, percent: replace(DEFAULTS, max_tokens=max_tokens, platform_cost_percent=Decimal(percent)),
    st.integers(16, 100_000), st.integers(0, 99),
)
prices = st.builds(Price, st.decimals(min_value=Decimal("0.001"), max_value=50, places=3),
                   st.decimals(min_value=Decimal("0.001"), max_value=50, places=3))


@settings(max_examples=300, deadline=None)
@given(
    revenue=st.integers(min_value=100, max_value=10**8),
    rate=st.decimals(min_value=Decimal("0.01"), max_value=100, places=2),
    price=prices,
    policy=policies,
    script=st.lists(events, max_size=60),
)
def test_no_sequence_of_author_settings_makes_the_margin_negative(revenue, rate, price, policy, script):
    assert run_period(revenue, revenue, rate, price, policy, script) >= 0


def test_with_the_admins_allowance_a_limit_can_cost_more_than_the_plan():
    policy = replace(DEFAULTS, allow_unsafe_limits=True)
    price = Price(Decimal(1), Decimal(2))
    script = [("limit", Decimal(10**6))] + [("message", 20_000, 100, 100)] * 10
    assert run_period(100, 100, Decimal("1.5"), price, policy, script) < 0
    assert run_period(100, 100, Decimal("1.5"), price, DEFAULTS, script) >= 0


def test_the_refusal_names_the_most_the_author_can_set():
    refusal = limit_refusal(Decimal(1000), 10_000, Decimal("1.5"), DEFAULTS)  # 100 RUB at 1.5 RUB/mJ
    assert refusal is not None and refusal.key == "costs-limit-over-margin"
    assert refusal.params == {"limit": "1000", "cost": 150_000, "revenue": 10_000, "most": "66.666"}
    assert limit_refusal(Decimal("66.666"), 10_000, Decimal("1.5"), DEFAULTS) is None
    net = replace(DEFAULTS, platform_cost_percent=Decimal(10))  # 90 RUB left for tokens: 60 mJ
    assert limit_refusal(Decimal("60.001"), 10_000, Decimal("1.5"), net).params["most"] == "60"
    assert limit_refusal(Decimal(1000), 10_000, Decimal("1.5"), replace(DEFAULTS, allow_unsafe_limits=True)) is None
    assert limit_refusal(Decimal(1000), None, Decimal("1.5"), DEFAULTS) is None  # no plan on sale yet
