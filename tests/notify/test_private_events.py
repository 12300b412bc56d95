"""Events in the private chat for partners and authors without a channel: who hears what, once,
as they chose; accruals one message per settlement batch or a daily digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tortoise.transactions import in_transaction

from billing.accounts import user_account_ids
from billing.settlement import settle_due_periods
from billing.subscriptions import create_subscription
from models import LedgerEntry, Membership, OutboxEvent, PartnerChannel, PayoutRequest, PrivateEvents, User
from notify import events, private
from referral import create_link, record_start
from scheduler.channel_digest import yesterday
from services.outbox import render
from tests.billing.helpers import MSK, join, make_tracker
from tests.fakes.telegram import plain

AUTHOR, SASHA, PETR, IVAN, OLGA = 1, 2, 3, 4, 5


async def _world():
    """Sasha (a member, no channel) invited Ivan; Petr has a channel; the author started the bot."""
    tracker = await make_tracker(AUTHOR)
    for uid, name in ((SASHA, "Sasha"), (PETR, "Petr"), (IVAN, "Ivan"), (OLGA, "Olga")):
        await User.create(id=uid, first_name=name, language_code="ru")
    await Membership.create(tracker=tracker, user_id=AUTHOR)
    await join(tracker, SASHA, AUTHOR)
    await join(tracker, PETR, AUTHOR)
    await join(tracker, IVAN, SASHA)
    await Membership.filter(user_id__in=[SASHA, PETR]).update(is_partner=True)  # they may own links
    await PartnerChannel.create(tracker=tracker, owner_id=PETR, chat_id=-3, title="Petr's",
                                events=list(events.CHANNEL_KINDS))
    await OutboxEvent.all().delete()
    return tracker


async def _private(kind: str) -> list[tuple[int, object]]:
    rows = await OutboxEvent.filter(kind=kind, channel_id__isnull=True).order_by("id")
    return [(e.chat_id, e.params.get("own") or e.params.get("level")) for e in rows]


async def test_a_start_reaches_the_link_owner_and_the_author_privately_unless_they_have_a_channel(database):
    tracker = await _world()
    sashas = await create_link(tracker.id, SASHA)
    petrs = await create_link(tracker.id, PETR)
    await record_start(tracker.id, OLGA, sashas.code)
    await record_start(tracker.id, 6, petrs.code)  # Petr's start goes to his channel, the author's chat
    await record_start(tracker.id, OLGA, sashas.code)  # a repeat open is no news
    assert await _private(events.START) == [(AUTHOR, "no"), (SASHA, "yes"), (AUTHOR, "no")]
    assert await OutboxEvent.filter(kind=events.START, chat_id=-3).count() == 1
    event = await OutboxEvent.filter(kind=events.START, chat_id=SASHA).first()
    assert (event.bot_id, event.tracker_id, event.language) == (tracker.bot_id, tracker.id, "ru")
    assert render(event.kind, event.params, event.language) == "👋 T: Olga открыл(а) бота по вашей ссылке."

    # Sasha switches starts off; the author has no membership on another tracker: nothing there.
    await private.toggle(tracker.id, SASHA, events.START)
    await record_start(tracker.id, 7, sashas.code)
    assert (SASHA, "yes") not in (await _private(events.START))[3:]
    assert await OutboxEvent.filter(kind=events.START, chat_id=SASHA).count() == 1


async def test_a_new_subscriber_reaches_each_level_of_the_network(database):
    tracker = await _world()
    await create_subscription(tracker.id, IVAN, "month", 100_000, datetime.now(UTC))
    assert sorted(await _private(events.SUBSCRIBER)) == [(AUTHOR, "author"), (SASHA, "l1")]
    text = render(events.SUBSCRIBER, (await OutboxEvent.get(kind=events.SUBSCRIBER, chat_id=SASHA)).params, "ru")
    assert plain(text) == "💳 T: новый подписчик Ivan — месяц, 1 000,00 ₽ (1-й уровень)."


async def test_accruals_come_one_message_per_batch_or_as_a_daily_digest(database):
    tracker = await _world()
    await join(tracker, 8, SASHA)
    await User.filter(id=8).update(first_name="Kira")
    for client in (IVAN, 8):
        await create_subscription(tracker.id, client, "month", 100_000, datetime.now(UTC) - timedelta(days=40))
    await OutboxEvent.all().delete()

    result = await settle_due_periods(now=datetime.now(UTC))
    assert result.periods == 2 and result.batches == 1
    (sasha,) = await OutboxEvent.filter(kind=events.ACCRUAL, chat_id=SASHA)
    assert sasha.params["count"] == 2 and sasha.params["amount"] == 2 * 30_000
    assert plain(render(sasha.kind, sasha.params, "ru")) == "💰 T: начислено 600,00 ₽ за 2 периода клиентов."
    author = await OutboxEvent.get(kind=events.ACCRUAL, chat_id=AUTHOR)
    assert author.params["count"] == 2 and author.params["amount"] == 2 * (20_000 + 20_000)  # author + l2
    assert not await OutboxEvent.filter(kind=events.ACCRUAL, chat_id=PETR).exists()  # not his, and he has a channel
    await settle_due_periods(now=datetime.now(UTC))
    assert await OutboxEvent.filter(kind=events.ACCRUAL).count() == 2  # a rerun adds nothing

    # One period in a batch names the client; Sasha chose the digest, so hers waits for the day.
    await private.set_digest(tracker.id, SASHA, True)
    await create_subscription(tracker.id, IVAN, "day", 10_000, datetime.now(UTC) - timedelta(days=3))
    await settle_due_periods(now=datetime.now(UTC))
    one = await OutboxEvent.filter(kind=events.ACCRUAL, chat_id=AUTHOR).order_by("-id").first()
    assert one.params["count"] == 1
    assert plain(render(one.kind, one.params, "ru")) == "💰 T: начислено 40,00 ₽ за период клиента Ivan (вы автор)."
    assert await OutboxEvent.filter(kind=events.ACCRUAL, chat_id=SASHA).count() == 1

    today = yesterday(MSK, datetime.now(UTC) + timedelta(days=1))
    assert await events.daily_digest(today, MSK) == 1
    assert await events.daily_digest(today, MSK) == 0  # keyed by the date
    digest = await OutboxEvent.get(kind=events.ACCRUAL_DIGEST)
    sashas = await LedgerEntry.filter(account__user_id=SASHA, kind="accrual").values_list("amount_kopecks", flat=True)
    assert (digest.chat_id, digest.channel_id) == (SASHA, None)
    assert digest.params["amount"] == sum(sashas) and digest.params["count"] == len(sashas) == 3


async def test_payout_statuses_stay_private_unless_switched_off(database):
    tracker = await _world()
    account = (await user_account_ids({PETR}))[PETR]
    payout = await PayoutRequest.create(tracker=tracker, account_id=account, amount_kopecks=150_000, method="card",
                                        destination_encrypted="-")
    async with in_transaction() as conn:
        await events.payout_changed(conn, payout.id)
    # Petr has a channel, and still hears of his own money privately (as before channels).
    assert await _private(events.PAYOUT) == [(PETR, None)]
    await private.toggle(tracker.id, PETR, events.PAYOUT)
    payout.status = "rejected"
    await payout.save()
    async with in_transaction() as conn:
        await events.payout_changed(conn, payout.id)
    assert await _private(events.PAYOUT) == [(PETR, None)]
    assert await OutboxEvent.filter(kind=events.PAYOUT, chat_id=-3).count() == 2


async def test_the_choice_defaults_to_everything_and_refuses_an_unknown_kind(database):
    tracker = await _world()
    assert await private.choice(tracker.id, SASHA) == private.DEFAULT
    assert not await PrivateEvents.exists()
    chosen = await private.toggle(tracker.id, SASHA, events.ACCRUAL)
    assert events.ACCRUAL not in chosen.events and not chosen.wants(events.ACCRUAL_DIGEST)
    chosen = await private.set_digest(tracker.id, SASHA, True)  # the digest turns accruals back on
    assert chosen.wants(events.ACCRUAL) and chosen.accrual_digest
    with pytest.raises(ValueError):
        await private.toggle(tracker.id, SASHA, "alert")
    assert await PrivateEvents.filter(tracker_id=tracker.id).count() == 1


async def test_a_kind_switched_off_after_it_was_written_is_not_sent(database, fake_telegram):
    from bot.registry import BotRegistry
    from models import OutboxStatus
    from services.outbox import OutboxWorker

    token = "200000078:" + "T" * 35
    fake_telegram.add_bot(token, "vera_bot")
    sasha = fake_telegram.user(SASHA, "Sasha", language_code="ru")
    await sasha.send("vera_bot", "/start")  # so the bot may write to her
    registry = BotRegistry(fake_telegram.base_url)
    registry.add(token)
    try:
        tracker = await make_tracker(AUTHOR, bot_id=200000078)
        await User.create(id=SASHA, first_name="Sasha", language_code="ru")
        await join(tracker, SASHA, AUTHOR)
        await Membership.filter(user_id=SASHA).update(is_partner=True)
        link = await create_link(tracker.id, SASHA)
        await record_start(tracker.id, 6, link.code)
        await record_start(tracker.id, 7, link.code)
        first, second = await OutboxEvent.filter(chat_id=SASHA).order_by("id")
        worker = OutboxWorker(registry, registry.make("100000001:" + "P" * 35), worker_id="w1")
        assert await worker.run_once() == 1
        await sasha.wait_for_text("vera_bot", "открыл(а) бота по вашей ссылке")
        await private.toggle(tracker.id, SASHA, events.START)  # before the second one's turn
        assert await worker.run_once(now=datetime.now(UTC) + timedelta(seconds=5)) == 1
        await second.refresh_from_db()
        await first.refresh_from_db()
        assert (first.status, second.status) == (OutboxStatus.SENT, OutboxStatus.SKIPPED)
        assert second.last_error == "event turned off"
        await sasha.expect_no_message("vera_bot", timeout=0.3)
    finally:
        await registry.close()
