"""The period calendar: monthly boundaries from the purchase, month-end clamped, local time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from billing.periods import add_months, boundaries, cut_periods, split_evenly
from tests.billing.helpers import MSK, at

MOSCOW = ZoneInfo(MSK)


def local(*args: int, tz: str = MSK) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz))


def ends_local(plan: str, start: datetime, tz: str = MSK) -> list[datetime]:
    return [b.astimezone(ZoneInfo(tz)).replace(tzinfo=None) for b in boundaries(plan, start, tz)[1:]]


def test_month_from_jan_31_ends_on_the_last_day_of_february():
    assert ends_local("month", local(2025, 1, 31, 15)) == [datetime(2025, 2, 28, 15)]
    assert ends_local("month", local(2024, 1, 31, 15)) == [datetime(2024, 2, 29, 15)]  # leap year


def test_quarter_boundaries_are_counted_from_the_purchase_not_chained():
    # Jan 31 -> Feb 28 -> Mar 31 (not Mar 28) -> Apr 30
    assert ends_local("quarter", local(2025, 1, 31, 10)) == [
        datetime(2025, 2, 28, 10), datetime(2025, 3, 31, 10), datetime(2025, 4, 30, 10)
    ]


def test_year_plan_has_twelve_contiguous_monthly_periods():
    start = local(2024, 1, 31, 9, 30)
    periods = cut_periods("year", 1_000_001, start, MSK)
    assert [p.seq for p in periods] == list(range(1, 13))
    assert periods[0].starts_at == start
    for before, after in pairwise(periods):
        assert before.ends_at == after.starts_at
    assert [p.ends_at.astimezone(MOSCOW).date().isoformat() for p in periods] == [
        "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30", "2024-07-31",
        "2024-08-31", "2024-09-30", "2024-10-31", "2024-11-30", "2024-12-31", "2025-01-31",
    ]
    # 1,000,001 = 12 x 83,333 + 5: the five odd kopecks go to the first five periods.
    assert [p.revenue_kopecks for p in periods] == [83_334] * 5 + [83_333] * 7
    assert sum(p.revenue_kopecks for p in periods) == 1_000_001


def test_a_leap_day_purchase_on_a_year_plan():
    ends = ends_local("year", local(2024, 2, 29, 12))
    assert ends[0] == datetime(2024, 3, 29, 12)
    assert ends[-1] == datetime(2025, 2, 28, 12)  # no Feb 29 in 2025


def test_day_plan_is_one_day():
    periods = cut_periods("day", 9_900, at(2025, 3, 1, 8), MSK)
    assert len(periods) == 1
    assert periods[0].ends_at - periods[0].starts_at == timedelta(days=1)
    assert periods[0].revenue_kopecks == 9_900


def test_boundaries_follow_the_platform_time_zone_not_utc():
    # Jan 31 01:00 in Moscow is still Jan 30 in UTC. A month later is Feb 28 01:00 in Moscow
    # (Feb 27 22:00 UTC); counting in UTC would have said Feb 28 22:00 UTC, i.e. Mar 1 in Moscow.
    start = local(2025, 1, 31, 1)
    assert start.astimezone(ZoneInfo("UTC")).day == 30
    [_, end] = boundaries("month", start, MSK)
    assert end == at(2025, 2, 27, 22)
    assert end.tzinfo == ZoneInfo("UTC") or end.utcoffset() == timedelta(0)


def test_wall_clock_is_kept_across_a_dst_change():
    # Berlin moves to summer time on 2025-03-30: a month from 12:00 winter time is 12:00 summer
    # time, one hour less in UTC.
    [start, end] = boundaries("month", local(2025, 3, 15, 12, tz="Europe/Berlin"), "Europe/Berlin")
    assert start == at(2025, 3, 15, 11)
    assert end == at(2025, 4, 15, 10)


def test_add_months_clamps_and_rolls_over_years():
    assert add_months(datetime(2025, 12, 31), 2) == datetime(2026, 2, 28)
    assert add_months(datetime(2025, 5, 31), 1) == datetime(2025, 6, 30)
    assert add_months(datetime(2023, 11, 30), 3) == datetime(2024, 2, 29)


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=12))
def test_even_split_adds_up_with_the_remainder_first(total, parts):
    pieces = split_evenly(total, parts)
    assert sum(pieces) == total
    assert max(pieces) - min(pieces) <= 1
    assert pieces == sorted(pieces, reverse=True)


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(MOSCOW)),
    st.sampled_from(["day", "month", "quarter", "year"]),
    st.integers(min_value=0, max_value=10**9),
)
def test_periods_tile_the_subscription_and_carry_the_price(start, plan, price):
    periods = cut_periods(plan, price, start, MSK)
    assert periods[0].starts_at == start
    assert all(a.ends_at == b.starts_at for a, b in pairwise(periods))
    assert all(p.ends_at > p.starts_at for p in periods)
    assert sum(p.revenue_kopecks for p in periods) == price
    wall = start.replace(tzinfo=None)
    if plan != "day":  # boundary k is the purchase day of month, clamped
        for k, p in enumerate(periods, start=1):
            assert p.ends_at.astimezone(MOSCOW).replace(tzinfo=None) == add_months(wall, k)
