import re

import pytest

from models import Membership
from referral import (
    ReferralError,
    archive_link,
    can_invite,
    create_link,
    deep_link,
    get_link,
    list_links,
    record_start,
    rename_link,
)
from referral.codes import MAX_ACTIVE_LINKS, new_code
from referral.errors import AUTHOR_ONLY, LABEL_TOO_LONG, LINK_NOT_FOUND, NOT_ALLOWED, TOO_MANY_LINKS
from tests.referral.conftest import make_user, pay

AUTHOR = 1


def test_codes_fit_a_telegram_start_payload_and_do_not_repeat():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", c) and len(c) <= 32 for c in codes)
    assert deep_link("vera_bot", "abc") == "https://t.me/vera_bot?start=abc"


async def test_who_may_own_a_link(tracker):
    await make_user(10)
    await record_start(tracker.id, 10, None)
    assert not await can_invite(tracker.id, 10)
    with pytest.raises(ReferralError) as err:
        await create_link(tracker.id, 10)
    assert err.value.code == NOT_ALLOWED

    # The author, a payer, and someone the author named a partner may.
    assert await can_invite(tracker.id, AUTHOR)
    await pay(tracker.id, 10)
    assert await create_link(tracker.id, 10, "my channel")
    await make_user(11)
    await record_start(tracker.id, 11, None)
    await Membership.filter(tracker_id=tracker.id, user_id=11).update(is_partner=True)
    assert await create_link(tracker.id, 11)

    # A refunded payment alone is not enough.
    await make_user(12)
    await pay(tracker.id, 12, refunded=True)
    from models import Subscription, SubscriptionStatus

    await Subscription.filter(user_id=12).update(status=SubscriptionStatus.REFUNDED)
    assert not await can_invite(tracker.id, 12)


async def test_every_partner_who_may_invite_makes_partner_links_unless_the_author_says_no(tracker):
    from models import Tracker
    from referral import may_recruit

    await make_user(10)
    await pay(tracker.id, 10)
    await make_user(11)
    await record_start(tracker.id, 11, None)
    # A payer may invite, so may recruit; a member who may not invite may not recruit either.
    assert await may_recruit(tracker.id, 10) and not await may_recruit(tracker.id, 11)
    link = await create_link(tracker.id, 10, makes_partner=True)
    assert link.makes_partner and link.owner_id == 10
    with pytest.raises(ReferralError) as err:
        await create_link(tracker.id, 11, makes_partner=True)
    assert err.value.code == NOT_ALLOWED

    # Switched off for this tracker: only the author makes them.
    await Tracker.filter(id=tracker.id).update(partners_recruit=False)
    assert not await may_recruit(tracker.id, 10)
    with pytest.raises(ReferralError) as err:
        await create_link(tracker.id, 10, makes_partner=True)
    assert err.value.code == AUTHOR_ONLY
    assert await create_link(tracker.id, 10)  # an ordinary link still
    link = await create_link(tracker.id, AUTHOR, makes_partner=True)
    assert link.makes_partner and link.owner_id == AUTHOR


async def test_rename_archive_and_list_only_ones_own_links(tracker):
    await make_user(10)
    await pay(tracker.id, 10)
    await make_user(11)
    await pay(tracker.id, 11)
    mine = await create_link(tracker.id, 10, "  Instagram \n bio ")
    assert mine.label == "Instagram bio"
    theirs = await create_link(tracker.id, 11, "theirs")

    assert (await rename_link(mine.id, 10, "Stories")).label == "Stories"
    for call in (rename_link(theirs.id, 10, "hijack"), archive_link(theirs.id, 10), rename_link(999, 10, "x")):
        with pytest.raises(ReferralError) as err:
            await call
        assert err.value.code == LINK_NOT_FOUND
    assert await get_link(theirs.id, 10) is None
    assert (await Membership.exists(user_id=11))  # untouched

    with pytest.raises(ReferralError) as err:
        await rename_link(mine.id, 10, "x" * 65)
    assert err.value.code == LABEL_TOO_LONG

    second = await create_link(tracker.id, 10, "second")
    assert [link.id for link in await list_links(tracker.id, 10)] == [second.id, mine.id]
    await archive_link(mine.id, 10)
    assert [link.id for link in await list_links(tracker.id, 10)] == [second.id]
    assert len(await list_links(tracker.id, 10, include_archived=True)) == 2
    assert not (await archive_link(mine.id, 10, archived=False)).archived


async def test_a_ceiling_on_active_links(tracker):
    from models import InviteLink

    await InviteLink.bulk_create(
        [InviteLink(tracker_id=tracker.id, owner_id=AUTHOR, code=f"c{i}") for i in range(MAX_ACTIVE_LINKS)]
    )
    with pytest.raises(ReferralError) as err:
        await create_link(tracker.id, AUTHOR)
    assert err.value.code == TOO_MANY_LINKS
