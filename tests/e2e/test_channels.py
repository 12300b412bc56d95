"""Partner channels end to end: the real platform against the fake Telegram server.

A partner adds the tracker bot to their channel; a client starts through the partner's link and
pays; the channel gets the start and the payment; the periods are settled and the accrual
arrives. Then Telegram's 429, a restart with events in the outbox, the bot removed from the
channel, and the cabinet's channel screen.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import referral
import services.outbox
from billing.payments import record_payment
from billing.plans import set_price
from billing.settlement import settle_due_periods
from bot import db
from models import ChannelStatus, OutboxEvent, OutboxStatus, PartnerChannel, PaymentProvider, PlanKind, Tracker
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform, tracker_token
from tests.e2e.test_platform_core import create_tracker
from tests.e2e.test_referral import create_link, open_cabinet, shown, start
from tests.waiting import eventually

BOT = "vera_news_bot"
PRICE = 149000
L1_SHARE = PRICE * 30 // 100  # no AI cost: the margin is the price


@pytest.fixture
async def tg(fake_telegram, monkeypatch):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    # Telegram's 20 posts a minute per channel would make the story slow; the order is the same.
    monkeypatch.setattr(services.outbox, "CHANNEL_GAP", 0.5)
    return fake_telegram


async def pay(tracker: Tracker, person, n: int, days_ago: int = 40) -> None:
    outcome = await record_payment(
        tracker_id=tracker.id, user_id=person.id, provider=PaymentProvider.TELEGRAM, external_id=f"ch-{n}",
        plan_kind=PlanKind.MONTH, price_kopecks=PRICE, currency="RUB", amount_minor=PRICE,
        paid_at=datetime.now(UTC) - timedelta(days=days_ago),
    )
    assert outcome.created


async def setup_partner(tg, author, sasha, token):
    """The author's tracker, and Sasha, a paying client who became a partner with a link."""
    await create_tracker(author, token, BOT)
    tracker = await Tracker.get(username=BOT)
    await set_price(tracker.id, PlanKind.MONTH, PRICE)
    await sasha.send(BOT, "/start")
    await sasha.wait_for_text(BOT, "Vera")
    await pay(tracker, sasha, 0, days_ago=400)  # long settled: her own payment is old news
    await settle_due_periods(now=datetime.now(UTC))
    await sasha.wait_for_notice(BOT, f"t.me/{BOT}?start=")  # the nudge to earn: nothing of hers left pending
    if sasha.language_code == "ru":
        return tracker, await create_link(sasha, "Канал", BOT)  # in the cabinet, as a person does
    return tracker, (await referral.create_link(tracker.id, sasha.id, "news")).code


async def connect_channel(tg, sasha, title="Саша о трекинге"):
    chat = tg.create_channel(title, sasha)
    await tg.add_bot_to_channel(chat, BOT, by=sasha)
    told = await sasha.wait_for_text(BOT, f"Канал «{title}» подключён к трекеру «Vera»")
    assert "/partner" in told.plain
    await tg.wait_for_channel_post(chat, BOT, "Канал подключён к трекеру «Vera»")
    return chat


async def rows_are(count: int, **where) -> bool:
    return await OutboxEvent.filter(**where).count() == count


def texts(tg, chat) -> list[str]:
    return [p.plain for p in tg.channel_posts(chat, BOT)]


async def test_a_partner_channel_gets_the_start_the_payment_and_the_accrual(tg, database_url, tmp_path):
    token = tracker_token(71)
    tg.add_bot(token, BOT, "Vera")
    author = tg.user(1071, "Anna")
    sasha = tg.user(3071, "Sasha")
    client = tg.user(4071, "Ivan", last_name="Petrov")
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        tracker, code = await setup_partner(tg, author, sasha, token)
        chat = await connect_channel(tg, sasha)
        channel = await PartnerChannel.get(chat_id=chat.id)
        assert (channel.owner_id, channel.tracker_id, channel.status) == (sasha.id, tracker.id, ChannelStatus.CONNECTED)
        assert set(channel.events) == {"start", "subscriber", "renewal", "refund", "accrual", "payout"}

        await start(client, code, bot=BOT)
        await tg.wait_for_channel_post(chat, BOT, "👋 Vera: Ivan открыл(а) бота по вашей ссылке.")
        await pay(tracker, client, 1)
        await tg.wait_for_channel_post(chat, BOT, "💳 Vera: новый подписчик Ivan — месяц, 1 490,00 ₽ (1-й уровень).")
        await settle_due_periods(now=datetime.now(UTC))
        assert L1_SHARE == 44700
        accrual = "💰 Vera: начислено 447,00 ₽ за период клиента Ivan (1-й уровень)."
        await tg.wait_for_channel_post(chat, BOT, accrual)

        # In order, each once, and no one else's surname.
        posts = texts(tg, chat)
        assert posts == [
            "✅ Канал подключён к трекеру «Vera»: здесь будут появляться события партнёрской программы.",
            "👋 Vera: Ivan открыл(а) бота по вашей ссылке.",
            "💳 Vera: новый подписчик Ivan — месяц, 1 490,00 ₽ (1-й уровень).",
            accrual,
        ]
        assert not any("Petrov" in p for p in posts)
        # A row is marked SENT just after Telegram took its post.
        await eventually(lambda: rows_are(3, status=OutboxStatus.SENT, channel_id=channel.id), "3 rows marked sent")


async def test_a_429_delays_the_post_which_arrives_once(tg, database_url, tmp_path):
    token = tracker_token(72)
    tg.add_bot(token, BOT, "Vera")
    author, sasha, client = tg.user(1072, "Anna"), tg.user(3072, "Sasha"), tg.user(4072, "Oleg")
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        _, code = await setup_partner(tg, author, sasha, token)
        chat = await connect_channel(tg, sasha)
        tg.fail_next("sendMessage", 429, retry_after=2, bot=BOT, chat_id=chat.id)
        started = datetime.now(UTC)
        await start(client, code, bot=BOT)
        post = "👋 Vera: Oleg открыл(а) бота по вашей ссылке."
        await tg.wait_for_channel_post(chat, BOT, post)
        assert (datetime.now(UTC) - started).total_seconds() >= 2
        refused = [c for c in tg.calls_to("sendMessage", bot=BOT, chat_id=chat.id) if c.status == 429]
        assert len(refused) == 1
        assert texts(tg, chat).count(post) == 1


async def test_events_in_the_outbox_survive_a_restart_and_arrive_once(tg, database_url, tmp_path):
    token = tracker_token(73)
    tg.add_bot(token, BOT, "Vera")
    author, sasha = tg.user(1073, "Anna"), tg.user(3073, "Sasha")
    clients = [tg.user(4073, "Client0")]
    settings = make_settings(tg, database_url, tmp_path)
    async with running_platform(settings):
        tracker, code = await setup_partner(tg, author, sasha, token)
        chat = await connect_channel(tg, sasha)
        # Telegram is down for this post: it backs off, and the platform stops meanwhile.
        tg.fail_next("sendMessage", 500, bot=BOT, chat_id=chat.id)
        await start(clients[0], code, bot=BOT)
        await eventually(lambda: [c for c in tg.calls_to("sendMessage", bot=BOT, chat_id=chat.id) if c.status == 500],
                         "Telegram to refuse the start's post")
    # While the platform is down, a payment is recorded (say, by `gptitor` from the shell).
    await db.init(database_url, run_migrations=False)
    try:
        assert await OutboxEvent.filter(status=OutboxStatus.PENDING).count() == 1  # the start, backing off
        await pay(tracker, clients[0], 1, days_ago=1)
        # A worker that crashed holding a claim: the claim expires.
        await OutboxEvent.filter(status=OutboxStatus.PENDING, kind="subscriber").update(
            claimed_by="crashed:1", claimed_until=datetime.now(UTC) - timedelta(seconds=1))
    finally:
        await db.close()
    assert not [p for p in texts(tg, chat) if "Client0" in p]

    async with running_platform(settings):
        await tg.wait_for_channel_post(chat, BOT, "💳 Vera: новый подписчик Client0")
        posts = texts(tg, chat)
        assert [p for p in posts if "Client0" in p] == [
            "👋 Vera: Client0 открыл(а) бота по вашей ссылке.",
            "💳 Vera: новый подписчик Client0 — месяц, 1 490,00 ₽ (1-й уровень).",
        ]
        await eventually(lambda: rows_are(0, status=OutboxStatus.PENDING), "no row left pending")


async def test_the_bot_removed_from_the_channel_disconnects_it(tg, database_url, tmp_path):
    token = tracker_token(74)
    tg.add_bot(token, BOT, "Vera")
    author, sasha = tg.user(1074, "Anna"), tg.user(3074, "Sasha")
    clients = [tg.user(4074 + i, f"Client{i}") for i in range(4)]
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        _, code = await setup_partner(tg, author, sasha, token)
        chat = await connect_channel(tg, sasha)
        tg.fail_next("sendMessage", 500, bot=BOT, chat_id=chat.id)  # the first backs off, the rest queue behind it
        for client in clients[:3]:
            await start(client, code, bot=BOT)
        await tg.remove_bot(chat, BOT, by=sasha)
        told = await sasha.wait_for_text(BOT, "отключён от трекера «Vera»")
        assert "Саша о трекинге" in told.plain
        channel = await PartnerChannel.get(chat_id=chat.id)
        assert channel.status == ChannelStatus.DISCONNECTED
        statuses = await OutboxEvent.filter(channel_id=channel.id).values_list("status", flat=True)
        assert statuses == [OutboxStatus.SKIPPED] * 3
        assert not [p for p in texts(tg, chat) if "Client" in p]
        # Nothing more is written for it, and the cabinet shows it disconnected.
        await start(clients[3], code, bot=BOT)
        assert await OutboxEvent.filter(channel_id=channel.id).count() == 3
        main = await open_cabinet(sasha, BOT)
        await sasha.click(main, "📣 Мои каналы")
        listing = await shown(sasha, "Ваши каналы для событий", BOT)
        assert "⚪️ Саша о трекинге (отключён)" in listing.keyboard[0][0]


async def test_the_cabinet_channel_screen(tg, database_url, tmp_path):
    token = tracker_token(75)
    tg.add_bot(token, BOT, "Vera")
    author, sasha, client = tg.user(1075, "Anna"), tg.user(3075, "Sasha", language_code="en"), tg.user(4075, "Max")
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        _, code = await setup_partner(tg, author, sasha, token)
        # No channel yet: how to connect one.
        await sasha.send(BOT, "/partner")
        main = await sasha.wait_for_message(BOT, lambda m: "📣 My channels" in str(m.keyboard))
        await sasha.click(main, "📣 My channels")
        empty = await sasha.wait_for_text(BOT, "How to connect")
        assert f"@{BOT}" in empty.plain

        chat = tg.create_channel("Sasha news", sasha)
        await tg.add_bot_to_channel(chat, BOT, by=sasha, can_post_messages=False)
        await sasha.wait_for_text(BOT, "may not post messages")
        assert not await PartnerChannel.exists(chat_id=chat.id)
        await tg.add_bot_to_channel(chat, BOT, by=sasha)
        await sasha.wait_for_text(BOT, "Channel “Sasha news” is connected to Vera")

        await sasha.send(BOT, "/partner")
        main = await sasha.wait_for_message(BOT, lambda m: "📣 My channels" in str(m.keyboard))
        await sasha.click(main, "📣 My channels")
        listing = await sasha.wait_for_text(BOT, "Your event channels")
        await sasha.click(listing, "🟢 Sasha news")
        card = await sasha.wait_for_text(BOT, "Tap an event")
        assert card.keyboard[0] == ["✅ Starts through my link"]
        await sasha.click(card, "✅ Starts through my link")
        card = await sasha.wait_for_message(BOT, lambda m: ["▫️ Starts through my link"] in m.keyboard)
        await sasha.click(card, "💰 Accruals: each one")
        card = await sasha.wait_for_message(BOT, lambda m: ["📊 Accruals: daily digest"] in m.keyboard)
        channel = await PartnerChannel.get(chat_id=chat.id)
        assert "start" not in channel.events and channel.accrual_digest

        await start(client, code, bot=BOT)  # starts are off: nothing for the channel
        assert not await OutboxEvent.filter(channel_id=channel.id).exists()

        await sasha.click(card, "🧪 Test post")
        await tg.wait_for_channel_post(chat, BOT, "✅ Test post from Vera")
        await sasha.click(card, "🔌 Disconnect channel")
        await sasha.wait_for_text(BOT, "The channel is disconnected and the bot left it.")
        assert (await PartnerChannel.get(id=channel.id)).status == ChannelStatus.DISCONNECTED
        assert chat.members[tg.bot(BOT).id] == "left"


async def test_a_bot_that_loses_the_right_to_post_disconnects_the_channel_until_it_gets_it_back(
    tg, database_url, tmp_path
):
    token = tracker_token(76)
    tg.add_bot(token, BOT, "Vera")
    author, sasha, client = tg.user(1076, "Anna"), tg.user(3076, "Sasha"), tg.user(4076, "Lena")
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        _, code = await setup_partner(tg, author, sasha, token)
        chat = await connect_channel(tg, sasha)
        await tg.demote_bot(chat, BOT, by=sasha)
        await sasha.wait_for_text(BOT, "отключён от трекера «Vera»")
        assert (await PartnerChannel.get(chat_id=chat.id)).status == ChannelStatus.DISCONNECTED
        await start(client, code, bot=BOT)
        assert not await OutboxEvent.filter(kind="start", channel_id__isnull=False).exists()  # nobody to post it to
        # Without a channel, Sasha hears it in the private chat instead (notify.private).
        await sasha.wait_for_text(BOT, "Lena открыл(а) бота по вашей ссылке")

        await tg.add_bot_to_channel(chat, BOT, by=sasha)  # the right is back: connected again, choices kept
        await sasha.wait_for_text(BOT, "Канал «Саша о трекинге» подключён к трекеру «Vera»")
        channel = await PartnerChannel.get(chat_id=chat.id)
        assert channel.status == ChannelStatus.CONNECTED and len(channel.events) == 6


async def test_the_whole_story_from_a_channel_to_a_payout(tg, database_url, tmp_path):
    """Issue 7's acceptance: a channel connected, a client subscribes by card through the partner's
    link, the start, payment and accrual posts arrive; the partner asks for a payout, the admin pays
    it, and the cabinet's balance and the channel show it."""
    from tests.e2e.test_payments import connect_card
    from tests.e2e.test_payouts import ADMIN_ID, open_card, open_payouts, withdraw

    token = tracker_token(74)
    tg.add_bot(token, BOT, "Vera")
    author, sasha = tg.user(1074, "Anna"), tg.user(3074, "Sasha", language_code="ru")
    client = tg.user(4074, "Ivan", language_code="ru")
    admin = tg.user(ADMIN_ID, "Admin", language_code="ru")
    settings = make_settings(tg, database_url, tmp_path, admin_ids=str(ADMIN_ID), payout_min_kopecks=10000)
    async with running_platform(settings) as rt:
        tracker, code = await setup_partner(tg, author, sasha, token)
        await connect_card(rt, tg, tracker)
        chat = await connect_channel(tg, sasha)

        await start(client, code, bot=BOT)
        await tg.wait_for_channel_post(chat, BOT, "👋 Vera: Ivan открыл(а) бота по вашей ссылке.")
        await client.send(BOT, "/subscription")
        paywall = await client.wait_for_text(BOT, "оформите подписку")
        await client.click(paywall, "Месяц — 1 490 ₽")
        methods = await client.wait_for_text(BOT, "Как удобнее оплатить")
        await client.click(methods, "💳 Картой в Telegram — 1 490 ₽")
        invoice = await client.wait_for_message(BOT, lambda m: m.invoice is not None)
        assert (await client.pay(invoice)).ok
        await tg.wait_for_channel_post(chat, BOT, "💳 Vera: новый подписчик Ivan — месяц, 1 490,00 ₽ (1-й уровень).")

        # The month ends; settlement accrues Sasha's 30 %.
        await settle_due_periods(now=datetime.now(UTC) + timedelta(days=32))
        await tg.wait_for_channel_post(chat, BOT, "💰 Vera: начислено 447,00 ₽ за период клиента Ivan (1-й уровень).")

        done = await withdraw(sasha, "400", "👛 Кошелёк ЮMoney", "4100 1160 7515 6746", bot=BOT)
        assert "Заявка №1 на 400,00 ₽" in done.plain
        await tg.wait_for_channel_post(chat, BOT, "🕓 Заявка на выплату 400,00 ₽ принята, сумма зарезервирована.")
        card = await open_card(admin, 1)
        await admin.click(card, "✍️ Выплачено вручную")
        await admin.wait_for_text(PLATFORM_USERNAME, "пришлите номер или ссылку платежа")
        await admin.send(PLATFORM_USERNAME, "п/п 12")
        await admin.wait_for_text(PLATFORM_USERNAME, "Заявка №1 отмечена выплаченной")
        await tg.wait_for_channel_post(chat, BOT, "💸 Выплата 400,00 ₽ отправлена.")
        await sasha.wait_for_notice(BOT, "Выплата 400,00 ₽ отправлена")

        screen = await open_payouts(sasha, BOT)
        assert "Начислено: 447,00 ₽" in screen.plain and "Выплачено: 400,00 ₽" in screen.plain
        assert "Доступно к выплате: 47,00 ₽" in screen.plain
        posts = texts(tg, chat)
        for post in set(posts):
            assert posts.count(post) == 1, post
