"""The cabinet's period filter: a link's funnel this month, last month or over all time."""

from __future__ import annotations

from datetime import UTC, datetime

from billing.partner import links_stats
from billing.settlement import settle_due_periods
from models import InviteClick, Membership, Payment
from referral import create_link, links_funnel, record_start, window_for
from tests.referral.conftest import make_tracker, make_user, pay

MSK = "Europe/Moscow"
NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
LAST_MONTH = datetime(2025, 2, 10, 12, 0, tzinfo=UTC)
LONG_AGO = datetime(2024, 12, 10, 12, 0, tzinfo=UTC)


def test_windows_are_calendar_months_in_the_platforms_zone():
    march = window_for("month", MSK, NOW)
    assert (march.since, march.until) == (datetime(2025, 2, 28, 21, tzinfo=UTC), datetime(2025, 3, 31, 21, tzinfo=UTC))
    assert (march.first_month, march.last_month) == ("2025-03", "2025-03")
    january = window_for("last_month", MSK, datetime(2025, 2, 1, 0, 30, tzinfo=UTC))  # 03:30 on Feb 1 in Moscow
    assert (january.since, january.first_month) == (datetime(2024, 12, 31, 21, tzinfo=UTC), "2025-01")
    december = window_for("last_month", MSK, datetime(2025, 1, 15, tzinfo=UTC))
    assert (december.first_month, december.until) == ("2024-12", datetime(2024, 12, 31, 21, tzinfo=UTC))
    assert window_for("all", MSK, NOW) is None and window_for("forged", MSK, NOW) is None


async def _moved(user_id: int, at: datetime, paid: bool) -> None:
    """As if `user_id` opened the link, joined (and paid) at `at`."""
    await InviteClick.filter(user_id=user_id).update(created_at=at)
    await Membership.filter(user_id=user_id).update(created_at=at, locked_at=at if paid else None)
    await Payment.filter(user_id=user_id).update(created_at=at)


async def test_a_links_funnel_and_earnings_inside_a_month(database):
    tracker = await make_tracker(1, "vera_bot")
    await make_user(10)
    await pay(tracker.id, 10)
    link = await create_link(tracker.id, 10, "channel")
    story = ((101, NOW, True), (102, LAST_MONTH, True), (103, LAST_MONTH, False), (104, LONG_AGO, True))
    for client, at, paid in story:
        await make_user(client)
        await record_start(tracker.id, client, link.code)
        if paid:
            await pay(tracker.id, client, paid_at=at)
        await _moved(client, at, paid)

    def funnel(stats):
        (s,) = [s for s in stats if s.link_id == link.id]
        return s.clicks, s.starts, s.paying, s.revenue_kopecks

    assert funnel(await links_funnel(tracker.id, 10)) == (4, 4, 3, 600_000)
    assert funnel(await links_funnel(tracker.id, 10, window=window_for("month", MSK, NOW))) == (1, 1, 1, 200_000)
    last = window_for("last_month", MSK, NOW)
    assert funnel(await links_funnel(tracker.id, 10, window=last)) == (2, 2, 1, 200_000)

    # Earnings by the month they were accrued in (a month plan settles a month after it is paid).
    await settle_due_periods(now=NOW)
    every = await links_stats(tracker.id, 10, tz=MSK)
    in_last = await links_stats(tracker.id, 10, window=last, tz=MSK)
    assert every[0].earned_kopecks > 0 and in_last[0].earned_kopecks == 0  # all settled on NOW, in March
    in_march = await links_stats(tracker.id, 10, window=window_for("month", MSK, NOW), tz=MSK)
    assert in_march[0].earned_kopecks == every[0].earned_kopecks
