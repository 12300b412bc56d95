"""The partner cabinet's numbers on the seed's "through representatives" story, in small numbers.

The author (Vera) brings 2 clients herself and names Sasha and Masha partners through a "become my
partner" link; Sasha brings 1 client, Masha 3. Everyone pays 2,000 RUB for a month and spends
600 RUB of tokens, so each period's margin is 1,400 RUB = 140,000 kopecks, split
platform 28,000 / author 28,000 / L1 42,000 / L2 28,000 / L3 14,000.
"""

from datetime import UTC, datetime

import pytest

from billing.partner import (
    LevelAmounts,
    balance,
    earnings,
    link_stats,
    links_stats,
    monthly_earnings_by_level,
    tracker_partners,
)
from models import PayoutRequest
from referral import ReferralError, create_link, network, record_start, refund_rate_by_partner
from referral.errors import NOT_AUTHOR
from tests.referral.conftest import make_tracker, make_user, pay

VERA, SASHA, MASHA = 1, 10, 11
CLIENTS = (101, 102)
SASHAS = (201,)
MASHAS = (301, 302, 303)
WINDOW_SHOPPER = 400  # opens Sasha's link, never pays
SETTLED_AT = datetime(2025, 2, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
async def story(database):
    tracker = await make_tracker(VERA, "vera_bot")
    clients_link = await create_link(tracker.id, VERA, "my clients")
    bloggers_link = await create_link(tracker.id, VERA, "bloggers", makes_partner=True)
    for uid, name in ((SASHA, "Sasha"), (MASHA, "Masha")):
        await make_user(uid, name)
        assert (await record_start(tracker.id, uid, bloggers_link.code)).became_partner
    sasha_link = await create_link(tracker.id, SASHA, "Sasha's channel")
    masha_link = await create_link(tracker.id, MASHA, "Masha's channel")

    for uids, link in ((CLIENTS, clients_link), (SASHAS, sasha_link), (MASHAS, masha_link)):
        for uid in uids:
            await make_user(uid, f"Client{uid}")
            assert (await record_start(tracker.id, uid, link.code)).attributed
    await make_user(WINDOW_SHOPPER, "Window")
    await record_start(tracker.id, WINDOW_SHOPPER, sasha_link.code)
    # Masha's first client opens Sasha's link too: a click for Sasha, nothing else.
    assert not (await record_start(tracker.id, MASHAS[0], sasha_link.code)).attributed

    for uid in CLIENTS + SASHAS + MASHAS:
        await pay(tracker.id, uid, 200_000, cost_kopecks=60_000)
    return tracker, {"clients": clients_link, "bloggers": bloggers_link, "sasha": sasha_link, "masha": masha_link}


async def settle():
    from billing.settlement import settle_due_periods

    result = await settle_due_periods(SETTLED_AT)
    assert result.periods == 6 and result.margin_kopecks == 6 * 140_000


async def test_forecast_before_settlement(story):
    tracker, _ = story
    vera = await earnings(tracker.id, VERA)
    assert vera.settled == LevelAmounts()
    # 6 open periods of 200,000 revenue each, valued before token costs.
    assert vera.forecast == LevelAmounts(author=6 * 40_000, l1=2 * 60_000, l2=4 * 40_000, l3=0)
    assert (await earnings(tracker.id, SASHA)).forecast == LevelAmounts(l1=60_000)
    assert (await earnings(tracker.id, MASHA)).forecast == LevelAmounts(l1=3 * 60_000)


async def test_each_persons_funnel_earnings_network_and_balance(story):
    tracker, links = story
    await settle()

    # Funnels: clicks -> starts -> paying -> revenue -> my earnings from them.
    def funnel(s):
        return (s.clicks, s.starts, s.paying, s.revenue_kopecks, s.earned_kopecks)

    vera_links = {s.link_id: funnel(s) for s in await links_stats(tracker.id, VERA)}
    assert vera_links == {
        links["clients"].id: (2, 2, 2, 400_000, 2 * (28_000 + 42_000)),  # author and L1 shares
        links["bloggers"].id: (2, 2, 0, 0, 0),
    }
    assert [funnel(s) for s in await links_stats(tracker.id, SASHA)] == [(3, 2, 1, 200_000, 42_000)]
    assert [funnel(s) for s in await links_stats(tracker.id, MASHA)] == [(3, 3, 3, 600_000, 3 * 42_000)]

    # Earnings by level, settled; nothing left to forecast.
    vera = await earnings(tracker.id, VERA)
    assert vera.settled == LevelAmounts(author=6 * 28_000, l1=2 * 42_000, l2=4 * 28_000, l3=0)
    assert vera.settled.total == 364_000
    assert vera.forecast == LevelAmounts()
    assert (await earnings(tracker.id, SASHA)).settled == LevelAmounts(l1=42_000)
    assert (await earnings(None, MASHA)).settled == LevelAmounts(l1=126_000)

    # By month (the settlement's month, in Moscow time), oldest first, zeros included.
    months = await monthly_earnings_by_level(tracker.id, VERA, months=3, now=SETTLED_AT)
    assert [m.month for m in months] == ["2024-12", "2025-01", "2025-02"]
    assert [m.amounts.total for m in months] == [0, 0, 364_000]
    assert months[-1].amounts == vera.settled

    # Networks: counts per level, how many pay, level-1 first names only.
    vera_net = await network(tracker.id, VERA)
    assert [(lv.people, lv.paying) for lv in vera_net.levels] == [(4, 2), (5, 4), (0, 0)]
    sasha_net = await network(tracker.id, SASHA)
    assert [(lv.people, lv.paying) for lv in sasha_net.levels] == [(2, 1), (0, 0), (0, 0)]
    assert sasha_net.first_names == ["Window", "Client201"]
    assert [(lv.people, lv.paying) for lv in (await network(tracker.id, MASHA)).levels] == [(3, 3), (0, 0), (0, 0)]

    # Balances, and the books close: everyone's shares add up to the margin.
    from billing.accounts import user_account_id
    from billing.ledger import mark_payout_paid, platform_balance, reserve_payout

    assert (await balance(SASHA)).available == 42_000
    masha_account = await user_account_id(MASHA)
    request = await PayoutRequest.create(
        account_id=masha_account, amount_kopecks=100_000, method="card", destination_encrypted="x"
    )
    await reserve_payout(request.id, masha_account, 100_000)
    b = await balance(MASHA)
    assert (b.accrued, b.reserved, b.paid, b.available) == (126_000, 100_000, 0, 26_000)
    await mark_payout_paid(request.id)
    b = await balance(MASHA)
    assert (b.accrued, b.reserved, b.paid, b.available) == (126_000, 0, 100_000, 26_000)
    platform = await platform_balance()
    assert platform.accrued == 308_000  # 20% + the unheld L3 everywhere and L2 of Vera's own clients
    assert platform.accrued + 364_000 + 42_000 + 126_000 == 6 * 140_000


async def test_the_authors_view_of_partners(story):
    tracker, links = story
    await settle()
    page = await tracker_partners(tracker.id, VERA)
    assert page.total == 2
    sasha, masha = page.partners
    assert (sasha.user_id, sasha.first_name, sasha.is_partner) == (SASHA, "Sasha", True)
    assert (sasha.members, sasha.subscribers, sasha.earnings) == (2, 1, LevelAmounts(l1=42_000))
    assert [(s.link_id, s.paying, s.earned_kopecks) for s in sasha.links] == [(links["sasha"].id, 1, 42_000)]
    assert (masha.members, masha.subscribers, masha.earnings.total) == (3, 3, 126_000)
    assert [(s.paying, s.earned_kopecks) for s in masha.links] == [(3, 126_000)]
    assert (await tracker_partners(tracker.id, VERA, limit=1, offset=1)).partners[0].user_id == MASHA

    with pytest.raises(ReferralError) as err:
        await tracker_partners(tracker.id, SASHA)
    assert err.value.code == NOT_AUTHOR


async def test_a_partner_gets_nothing_for_another_partners_link(story):
    tracker, links = story
    await settle()
    assert await link_stats(SASHA, links["masha"].id) is None
    assert await link_stats(SASHA, links["clients"].id) is None
    assert await link_stats(SASHA, 10_000) is None
    mine = await link_stats(MASHA, links["masha"].id)
    assert mine is not None and mine.earned_kopecks == 126_000


async def test_a_partner_with_nothing_yet_sees_an_empty_cabinet(story):
    tracker, _ = story
    client = CLIENTS[0]  # a payer: may create links, has none
    assert await links_stats(tracker.id, client) == []
    assert await earnings(tracker.id, client) == await earnings(None, client)
    assert (await earnings(tracker.id, client)).settled.total == 0
    net = await network(tracker.id, client)
    assert net.people == 0 and net.first_names == []
    assert (await balance(client)).available == 0
    assert all(m.amounts.total == 0 for m in await monthly_earnings_by_level(tracker.id, client))


async def test_partners_whose_referrals_refund_often_are_flagged(database):
    tracker = await make_tracker(VERA, "vera_bot")
    author_link = await create_link(tracker.id, VERA)
    plan = {  # partner: (referrals, of which refunded)
        20: (5, 3),   # 60%: flagged
        21: (10, 3),  # 30%: flagged (at the threshold)
        22: (10, 2),  # 20%: fine
        23: (2, 2),   # 100% but only 2: too few to say
    }
    uid = 1000
    for partner, (n, refunded) in plan.items():
        await make_user(partner)
        await record_start(tracker.id, partner, author_link.code)
        await pay(tracker.id, partner)
        link = await create_link(tracker.id, partner)
        for i in range(n):
            uid += 1
            await make_user(uid)
            await record_start(tracker.id, uid, link.code)
            await pay(tracker.id, uid, refunded=i < refunded)
    alerts = await refund_rate_by_partner(tracker.id)
    assert [(a.partner_id, a.payments, a.refunded) for a in alerts] == [(20, 5, 3), (21, 10, 3)]
    assert str(alerts[0].rate) == "0.6"
    # The author's own referrals (the partners themselves) are not reported to the author.
    assert VERA not in {a.partner_id for a in alerts}
    assert await refund_rate_by_partner(tracker.id, since=datetime(2030, 1, 1, tzinfo=UTC)) == []
