"""The chain to six levels: level k+1 is the inviter's level k on the same tracker, copied at the
/start and again at the lock; every period of a purchase carries it."""

from __future__ import annotations

from models import AccountingPeriod, Membership
from referral import create_link, record_start
from tests.referral.conftest import make_tracker, make_user, pay

AUTHOR = 1


async def chain_of(tracker_id: int, user_id: int) -> tuple:
    m = await Membership.get(tracker_id=tracker_id, user_id=user_id)
    return (m.l1_id, m.l2_id, m.l3_id, m.l4_id, m.l5_id, m.l6_id)


async def test_a_chain_of_eight_keeps_six_ancestors_on_memberships_and_periods(database):
    tracker = await make_tracker(AUTHOR)
    inviter = AUTHOR
    people = list(range(10, 18))  # 10 invited by the author, 11 by 10, ... 17 by 16
    for uid in people:
        await make_user(uid)
        await record_start(tracker.id, uid, (await create_link(tracker.id, inviter)).code)
        await pay(tracker.id, uid)
        inviter = uid
    assert await chain_of(tracker.id, 10) == (AUTHOR, None, None, None, None, None)
    assert await chain_of(tracker.id, 14) == (13, 12, 11, 10, AUTHOR, None)
    assert await chain_of(tracker.id, 15) == (14, 13, 12, 11, 10, AUTHOR)
    assert await chain_of(tracker.id, 17) == (16, 15, 14, 13, 12, 11)  # the author is level 7: out
    period = await AccountingPeriod.get(tracker_id=tracker.id, user_id=17)
    assert (period.l1_id, period.l2_id, period.l3_id, period.l4_id, period.l5_id, period.l6_id) == \
        (16, 15, 14, 13, 12, 11)


async def test_the_lock_copies_the_deeper_levels_of_the_inviters_current_chain(database):
    tracker = await make_tracker(AUTHOR)
    inviter = AUTHOR
    for uid in (10, 11, 12, 13):
        await make_user(uid)
        await record_start(tracker.id, uid, (await create_link(tracker.id, inviter)).code)
        await pay(tracker.id, uid)
        inviter = uid
    # 20 arrives through 13 before paying; then the lock re-reads 13's row: all of it, shifted.
    await make_user(20)
    await record_start(tracker.id, 20, (await create_link(tracker.id, 13)).code)
    await Membership.filter(tracker_id=tracker.id, user_id=20).update(l4_id=None, l5_id=None)
    await pay(tracker.id, 20)
    assert await chain_of(tracker.id, 20) == (13, 12, 11, 10, AUTHOR, None)
