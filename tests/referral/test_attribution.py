import asyncio

import pytest

from models import InviteClick, Membership
from referral import create_link, lock_inviter, parse_payload, record_start
from tests.referral.conftest import make_tracker, make_user, pay

AUTHOR = 1


async def member(tracker_id: int, user_id: int) -> Membership:
    return await Membership.get(tracker_id=tracker_id, user_id=user_id)


async def partner(tracker, user_id: int, inviter_link=None) -> int:
    """A user who joined (through `inviter_link` if given) and paid, so may own links."""
    await make_user(user_id)
    await record_start(tracker.id, user_id, inviter_link.code if inviter_link else None)
    await pay(tracker.id, user_id)
    return user_id


async def test_first_link_wins_and_a_second_link_changes_nothing(tracker):
    a = await partner(tracker, 10)
    b = await partner(tracker, 11)
    link_a = await create_link(tracker.id, a, "channel")
    link_b = await create_link(tracker.id, b)
    await make_user(20)

    first = await record_start(tracker.id, 20, link_a.code)
    assert first.new_member and first.attributed and first.click_counted and first.inviter_id == a
    second = await record_start(tracker.id, 20, link_b.code)
    assert not second.new_member and not second.attributed
    assert second.click_counted  # a click on b's funnel, but no attribution
    assert second.inviter_id == a

    m = await member(tracker.id, 20)
    assert (m.l1_id, m.invite_link_id) == (a, link_a.id)


async def test_a_self_invite_is_ignored(tracker):
    a = await partner(tracker, 10)
    link = await create_link(tracker.id, a)
    result = await record_start(tracker.id, a, link.code)
    assert not result.attributed and not result.click_counted and result.inviter_id is None
    assert await InviteClick.filter(link_id=link.id).count() == 0
    assert (await member(tracker.id, a)).l1_id is None


async def test_the_author_never_gets_an_inviter_on_their_own_tracker(tracker):
    a = await partner(tracker, 10)
    link = await create_link(tracker.id, a)
    result = await record_start(tracker.id, AUTHOR, link.code)
    assert not result.attributed and (await member(tracker.id, AUTHOR)).l1_id is None


async def test_an_invite_code_of_another_tracker_is_a_plain_start(tracker):
    other = await make_tracker(2, "other_bot")
    foreign = await create_link(other.id, 2)
    await make_user(20)
    result = await record_start(tracker.id, 20, foreign.code)
    assert result.link_id is None and not result.attributed and not result.click_counted
    assert (await member(tracker.id, 20)).l1_id is None
    assert await InviteClick.all().count() == 0


@pytest.mark.parametrize(
    "payload",
    [None, "", " ", "x" * 33, "x" * 64, "x" * 100, "x" * 4000,
     "../..", "привет", "a b", "abc\n", "%00", "'; DROP TABLE users; --", "UNKNOWNcode123"],
)
async def test_malformed_or_unknown_payloads_are_plain_starts(tracker, payload):
    await make_user(20)
    result = await record_start(tracker.id, 20, payload)
    assert result.new_member and result.link_id is None and result.inviter_id is None


def test_parse_payload():
    assert parse_payload("abc_DEF-123") == "abc_DEF-123"
    assert parse_payload(" abc ") == "abc"
    assert parse_payload("x" * 32) == "x" * 32
    for bad in (None, "", "x" * 33, "x" * 64, "x" * 65, "../..", "ключ", "a+b", "a/b"):
        assert parse_payload(bad) is None


async def test_an_archived_link_does_not_attribute(tracker):
    from referral import archive_link

    a = await partner(tracker, 10)
    link = await create_link(tracker.id, a)
    await archive_link(link.id, a)
    await make_user(20)
    result = await record_start(tracker.id, 20, link.code)
    assert result.link_id is None and result.inviter_id is None


async def test_clicks_are_counted_once_per_user_per_link(tracker):
    a = await partner(tracker, 10)
    link = await create_link(tracker.id, a)
    for uid in (20, 21):
        await make_user(uid)
    results = [await record_start(tracker.id, 20, link.code) for _ in range(3)]
    assert [r.click_counted for r in results] == [True, False, False]
    # Concurrent opens by one user still make one click.
    await asyncio.gather(*(record_start(tracker.id, 21, link.code) for _ in range(5)))
    assert await InviteClick.filter(link_id=link.id).count() == 2


async def test_two_links_at_once_only_one_wins(tracker):
    a = await partner(tracker, 10)
    b = await partner(tracker, 11)
    la, lb = await create_link(tracker.id, a), await create_link(tracker.id, b)
    await make_user(20)
    results = await asyncio.gather(record_start(tracker.id, 20, la.code), record_start(tracker.id, 20, lb.code))
    assert sum(r.attributed for r in results) == 1
    m = await member(tracker.id, 20)
    assert (m.l1_id, m.invite_link_id) in ((a, la.id), (b, lb.id))


async def test_an_inviter_must_have_been_a_member_before_the_invitee(tracker):
    await make_user(20)
    await record_start(tracker.id, 20, None)  # 20 arrives first, without an invite
    a = await partner(tracker, 10)  # 10 arrives later
    link = await create_link(tracker.id, a)
    result = await record_start(tracker.id, 20, link.code)
    assert not result.attributed and result.inviter_id is None

    # So no cycle: 11 (a named partner, no inviter, not locked) invites 30; then 30's link
    # cannot become 11's inviter, because 11 was there first.
    await make_user(11)
    await record_start(tracker.id, 11, None)
    await Membership.filter(tracker_id=tracker.id, user_id=11).update(is_partner=True)
    await make_user(30)
    await record_start(tracker.id, 30, (await create_link(tracker.id, 11)).code)
    await pay(tracker.id, 30)
    back = await create_link(tracker.id, 30)
    result = await record_start(tracker.id, 11, back.code)
    assert not result.attributed and result.click_counted
    assert (await member(tracker.id, 11)).l1_id is None


async def test_a_depth_four_chain_keeps_three_ancestors(tracker):
    author_link = await create_link(tracker.id, AUTHOR)
    b = await partner(tracker, 10, author_link)
    c = await partner(tracker, 11, await create_link(tracker.id, b))
    d = await partner(tracker, 12, await create_link(tracker.id, c))
    await make_user(13)
    await record_start(tracker.id, 13, (await create_link(tracker.id, d)).code)
    await pay(tracker.id, 13)

    chains = {uid: await member(tracker.id, uid) for uid in (10, 11, 12, 13)}
    assert [(m.l1_id, m.l2_id, m.l3_id) for m in chains.values()] == [
        (AUTHOR, None, None),
        (b, AUTHOR, None),
        (c, b, AUTHOR),
        (d, c, b),
    ]
    assert all(m.locked_at is not None for m in chains.values())


async def test_the_lock_at_the_first_payment_freezes_the_chain(tracker):
    a = await partner(tracker, 10)
    link = await create_link(tracker.id, a)
    await make_user(20)
    await record_start(tracker.id, 20, None)  # no invite before paying
    await pay(tracker.id, 20)
    m = await member(tracker.id, 20)
    assert m.locked_at is not None and m.l1_id is None

    # After the lock no link changes anything, not even the first one opened.
    result = await record_start(tracker.id, 20, link.code)
    assert not result.attributed and result.inviter_id is None
    locked_at = m.locked_at
    again = await lock_inviter(tracker.id, 20)
    assert again.locked_at == locked_at and again.l1_id is None


async def test_the_lock_copies_the_inviters_current_chain(tracker):
    # 10 joins without an inviter and gets a link (named a partner by the author).
    await make_user(10)
    await record_start(tracker.id, 10, None)
    await Membership.filter(tracker_id=tracker.id, user_id=10).update(is_partner=True)
    link10 = await create_link(tracker.id, 10)
    # 20 arrives through 10: l2 is empty, 10 has no inviter yet.
    await make_user(20)
    await record_start(tracker.id, 20, link10.code)
    assert (await member(tracker.id, 20)).l2_id is None
    # Then 10 opens the author's link (the author counts as the first member), so 10's chain is set.
    author_link = await create_link(tracker.id, AUTHOR)
    assert (await record_start(tracker.id, 10, author_link.code)).attributed
    # 20 pays: the lock takes 10's chain as it is now.
    await pay(tracker.id, 20)
    m = await member(tracker.id, 20)
    assert (m.l1_id, m.l2_id, m.l3_id) == (10, AUTHOR, None)
    # And later changes upstream no longer reach 20.
    await Membership.filter(tracker_id=tracker.id, user_id=10).update(l1_id=None)
    await lock_inviter(tracker.id, 20)
    assert (await member(tracker.id, 20)).l2_id == AUTHOR


async def test_a_partner_link_names_a_partner_with_the_author_as_inviter(tracker):
    link = await create_link(tracker.id, AUTHOR, "bloggers", makes_partner=True)
    await make_user(10, "Sasha")
    result = await record_start(tracker.id, 10, link.code)
    assert result.became_partner and result.attributed and result.inviter_id == AUTHOR
    m = await member(tracker.id, 10)
    assert m.is_partner and (m.l1_id, m.l2_id, m.l3_id) == (AUTHOR, None, None)
    # A second open changes nothing and is not news.
    assert not (await record_start(tracker.id, 10, link.code)).became_partner


async def test_a_partners_partner_link_names_a_partner_one_level_down(tracker):
    from models import Tracker

    sasha_link = await create_link(tracker.id, AUTHOR, makes_partner=True)
    await make_user(10, "Sasha")
    assert (await record_start(tracker.id, 10, sasha_link.code)).became_partner
    bloggers = await create_link(tracker.id, 10, "bloggers", makes_partner=True)
    await make_user(20, "Blogger")
    result = await record_start(tracker.id, 20, bloggers.code)
    assert result.became_partner and result.inviter_id == 10
    m = await member(tracker.id, 20)
    assert m.is_partner and (m.l1_id, m.l2_id, m.l3_id) == (10, AUTHOR, None)
    # The blogger's own client: the chain the rules define, three levels up to the author.
    await make_user(30, "Client")
    await record_start(tracker.id, 30, (await create_link(tracker.id, 20)).code)
    await pay(tracker.id, 30)
    m = await member(tracker.id, 30)
    assert (m.l1_id, m.l2_id, m.l3_id) == (20, 10, AUTHOR)

    # The author switches partners' partner links off: Sasha's stops naming partners, though it
    # still invites like any link; the author's own keeps working.
    await Tracker.filter(id=tracker.id).update(partners_recruit=False)
    await make_user(40, "Late")
    result = await record_start(tracker.id, 40, bloggers.code)
    assert not result.became_partner and result.attributed and result.inviter_id == 10
    assert not (await member(tracker.id, 40)).is_partner
    await make_user(41, "Other")
    assert (await record_start(tracker.id, 41, sasha_link.code)).became_partner


async def test_a_partner_link_names_an_existing_member_a_partner_but_keeps_their_inviter(tracker):
    a = await partner(tracker, 10)
    await make_user(20)
    await record_start(tracker.id, 20, (await create_link(tracker.id, a)).code)
    partner_link = await create_link(tracker.id, AUTHOR, makes_partner=True)
    result = await record_start(tracker.id, 20, partner_link.code)
    assert result.became_partner and not result.attributed and result.inviter_id == a
