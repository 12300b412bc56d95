"""The overview of a person's partner programs (billing.partner.programs): which trackers count."""

from datetime import timedelta

from billing.partner import programs
from billing.settlement import settle_due_periods
from referral import archive_link, create_link, record_start
from tests.referral.conftest import PAID_AT, make_tracker, make_user, pay

AUTHOR, CLIENT, FRIEND, STRANGER = 1, 10, 11, 12


async def test_trackers_count_by_invite_right_links_or_earnings(database):
    vera, olga, idle = await make_tracker(AUTHOR, "vera_bot"), await make_tracker(2, "olga_bot"), await make_tracker(3)
    for uid in (CLIENT, FRIEND, STRANGER):
        await make_user(uid)
    assert await programs(CLIENT) == []
    # A paying client of Vera may invite there: Vera counts before any link or earnings.
    await record_start(vera.id, CLIENT, None)
    await pay(vera.id, CLIENT)
    # A member of Olga who never paid and has no link: not a program.
    await record_start(olga.id, CLIENT, None)
    (only,) = await programs(CLIENT)
    assert (only.name, only.username, only.links, only.is_author, only.settled.total) == ("Tracker", "vera_bot", 0,
                                                                                          False, 0)
    # A friend brought through the client's link pays; after settlement the earnings are Vera's,
    # and the archived link still holds them (but is not counted as a live link).
    link = await create_link(vera.id, CLIENT)
    await record_start(vera.id, FRIEND, link.code)
    await pay(vera.id, FRIEND)
    await settle_due_periods(PAID_AT + timedelta(days=40))
    await archive_link(link.id, CLIENT)
    (only,) = await programs(CLIENT)
    assert only.settled.l1 > 0 and only.links == 0 and only.forecast.total == 0
    # The author: their tracker counts (they earned there); an idle tracker of someone else does not.
    (mine,) = await programs(AUTHOR)
    assert mine.is_author and mine.settled.author > 0 and mine.tracker_id == vera.id
    assert idle.id not in {p.tracker_id for p in await programs(STRANGER)}
