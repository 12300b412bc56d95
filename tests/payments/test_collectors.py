"""Who holds each payment's money, and what settlement makes of it.

Stars land in the author's bot and a card payment in the shop the tracker's provider token is
connected to (the author's own unless an admin says it is the platform's); a YooKassa link is paid
to the platform. For money the author holds, settlement debits the author's account with the
period's revenue, so the author keeps their share and owes the rest; every balance stays backed by
money the platform holds or an author owes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from billing.accounts import platform_account_id
from billing.ledger import balance, settled_total, user_balance
from billing.payments import collector_for, record_payment
from billing.settlement import settle_due_periods
from models import AccountingPeriod, Collector, LedgerEntry, PaymentProvider, PlanKind, Tracker
from models.enums import EntryKind, SourceType
from tests.billing.helpers import join, make_tracker

PAID_AT = datetime(2025, 3, 1, 9, tzinfo=UTC)


async def test_who_collects_each_way_of_paying(database):
    tracker = await make_tracker()
    assert await collector_for(PaymentProvider.STARS, tracker.id) == Collector.AUTHOR
    assert await collector_for(PaymentProvider.TELEGRAM, tracker.id) == Collector.AUTHOR
    assert await collector_for(PaymentProvider.YOOKASSA, tracker.id) == Collector.PLATFORM
    await Tracker.filter(id=tracker.id).update(provider_collector=Collector.PLATFORM)
    assert await collector_for(PaymentProvider.TELEGRAM, tracker.id) == Collector.PLATFORM


async def _pay(tracker: Tracker, user_id: int, provider: PaymentProvider, price: int, charge: str) -> None:
    await record_payment(tracker_id=tracker.id, user_id=user_id, provider=provider, external_id=charge,
                         plan_kind=PlanKind.MONTH, price_kopecks=price, currency="RUB", amount_minor=price,
                         paid_at=PAID_AT, collector=await collector_for(provider, tracker.id))


async def test_the_author_owes_what_they_collected_beyond_their_share(database):
    tracker = await make_tracker(author_id=1)
    await join(tracker, 7)                # a partner invited by no one
    await join(tracker, 8, inviter=7)     # 8 was brought by 7
    await join(tracker, 9, inviter=8)     # 9 by 8: chain 8, 7
    await _pay(tracker, 9, PaymentProvider.STARS, 149_001, "stars-1")        # the author holds it
    await _pay(tracker, 8, PaymentProvider.YOOKASSA, 200_000, "yk-1")        # the platform holds it
    periods = await AccountingPeriod.all()
    assert {p.user_id: p.collector for p in periods} == {9: Collector.AUTHOR, 8: Collector.PLATFORM}

    await settle_due_periods(now=PAID_AT + timedelta(days=40))
    await settle_due_periods(now=PAID_AT + timedelta(days=41))  # twice is once

    author = await user_balance(1)
    assert author.collected == -149_001
    # Their shares of both periods, less the Stars money they already hold.
    assert author.available == author.accrued - 149_001 < 0 and author.owed == 149_001 - author.accrued
    debits = await LedgerEntry.filter(kind=EntryKind.COLLECTED)
    assert [(d.source_type, d.amount_kopecks) for d in debits] == [(SourceType.COLLECTION, -149_001)]
    # Each period's own entries still add up to its margin (no token cost here).
    assert await settled_total() == (349_001, 349_001)
    # Backed: all balances together are what the platform holds (the YooKassa money), no more.
    accounts = [await platform_account_id(), *[(await user_balance(u)) for u in (1, 7, 8)]]
    total = (await balance(accounts[0])).available + sum(b.available for b in accounts[1:])
    assert total == 200_000
    partners = [await user_balance(u) for u in (7, 8)]
    assert all(b.available > 0 for b in partners)


async def test_a_refund_of_stars_the_author_held_cancels_their_debt_with_the_shares(database):
    from billing.refunds import refund_subscription
    from models import Subscription

    tracker = await make_tracker(author_id=1)
    await join(tracker, 7)
    await join(tracker, 9, inviter=7)
    await _pay(tracker, 9, PaymentProvider.STARS, 150_000, "stars-2")
    await settle_due_periods(now=PAID_AT + timedelta(days=40))
    assert (await user_balance(1)).owed > 0 and (await user_balance(7)).available > 0

    # The client got their Stars back out of the author's bot balance.
    subscription = await Subscription.get(user_id=9)
    await refund_subscription(subscription.id)
    author, partner = await user_balance(1), await user_balance(7)
    assert author.collected == 0 and author.available == 0 and author.owed == 0
    assert partner.available == 0
    assert (await balance(await platform_account_id())).available == 0
