"""The author's monthly estimate: the seed's Vera example must come out exactly."""

from decimal import Decimal

from billing.budget import Budget, default_limit_micro
from billing.estimate import ScheduleLine, meetings_per_month, monthly_estimate


def test_vera_two_meetings_a_week_at_50_mj_cost_600_rub_and_leave_1400():
    line = ScheduleLine(meetings_per_month(2), Decimal(50))  # two a week = 8 a month
    est = monthly_estimate([line], Decimal("1.5"), month_price_kopecks=200_000)
    assert line.meetings_per_month == 8
    assert est.mj == Decimal(400)
    assert est.cost_kopecks == 60_000  # 600 RUB
    assert est.margin_kopecks == 140_000  # 1,400 RUB


def test_no_month_price_no_margin_and_one_time_scenarios_left_out():
    est = monthly_estimate([], "1.5")
    assert (est.mj, est.cost_kopecks, est.margin_kopecks) == (Decimal(0), 0, None)


def test_default_budget_keeps_the_margin_non_negative():
    # 2,000 RUB a month at 1.5 RUB/mJ: 1,333.333333 mJ, rounded down to a millionth.
    assert default_limit_micro(200_000, Decimal("1.5")) == 1_333_333_333
    budget = Budget(1, None, None, limit_micro=1_000_000, spent_micro=850_000)  # type: ignore[arg-type]
    assert budget.crossed(700_000) == [80] and not budget.exhausted
    assert Budget(1, None, None, 1_000_000, 1_000_000).crossed(850_000) == [100]  # type: ignore[arg-type]
