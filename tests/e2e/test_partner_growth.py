"""A partner grows a network of their own (issue 17), end to end against the fake Telegram server.

The seed: "secondary commission is open to Sasha and Masha too, if they start bringing other
bloggers; then the author gets the tertiary 10%". Sasha, named a partner by the author, makes a
"become my partner" link in the tracker's cabinet; a blogger who never pays opens it, gets a
cabinet, invites a client who pays; after settlement Sasha earns the level-2 share and the author
the level-3 share. Then the author switches partners' partner links off in the tracker card.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from billing.plans import set_price
from billing.settlement import settle_due_periods
from models import InviteLink, Membership, PlanKind, Tracker
from referral import create_link as make_link
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform, tracker_token
from tests.e2e.test_platform_core import create_tracker
from tests.e2e.test_referral import code_in, create_link, open_cabinet, pay, rub, screen, share, shown, start

PLATFORM = PLATFORM_USERNAME
BOT = "vera_ref_bot"  # the helpers borrowed from test_referral talk to this bot
PRICE = 149000
RECRUIT_BUTTON = "🤝 Ссылка «стать партнёром»"


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


async def recruit_link(person) -> str:
    """A "become my partner" link made in the person's cabinet; returns its code."""
    links = await screen(person, "🔗 Мои ссылки", "ссылк")
    await person.click(links, RECRUIT_BUTTON)
    card = await shown(person, "Ссылка создана")
    assert "ссылка «стать партнёром»" in card.plain
    share_button = next(b for b in card.buttons if b["text"] == "📤 Поделиться")
    assert "%D0%BF%D0%B0%D1%80%D1%82%D0%BD%D1%91%D1%80%D0%BE%D0%BC" in share_button["url"]  # "партнёром"
    return code_in(card.plain)


async def test_a_partner_recruits_a_blogger_who_never_pays(tg, database_url, tmp_path):
    tg.add_bot(tracker_token(161), BOT, "Vera")
    author = tg.user(1161, "Anna", language_code="ru")
    sasha = tg.user(3161, "Sasha", language_code="ru")
    blogger = tg.user(3162, "Blogger", language_code="ru")
    client = tg.user(4161, "Client", language_code="ru")
    late = tg.user(4162, "Late", language_code="ru")
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        await create_tracker(author, tracker_token(161), BOT)
        card = author.last_message(PLATFORM)
        tracker = await Tracker.get(username=BOT)
        await set_price(tracker.id, PlanKind.MONTH, PRICE)
        assert tracker.partners_recruit  # on by default
        authors_invite = await make_link(tracker.id, author.id, "bloggers", makes_partner=True)

        await start(sasha, authors_invite.code)
        await sasha.wait_for_text(BOT, "Теперь вы партнёр")
        sasha_code = await recruit_link(sasha)

        # The blogger opens Sasha's link and gets a cabinet without paying.
        await start(blogger, sasha_code)
        await blogger.wait_for_text(BOT, "Теперь вы партнёр")
        main = await open_cabinet(blogger)
        assert ["🔗 Мои ссылки"] in main.keyboard
        blogger_code = await create_link(blogger, "Blog")
        await start(client, blogger_code)
        await pay(tracker, client, 1, datetime.now(UTC) - timedelta(days=40))
        assert (await settle_due_periods(now=datetime.now(UTC))).periods == 1

        row = await Membership.get(tracker_id=tracker.id, user_id=client.id)
        assert (row.l1_id, row.l2_id, row.l3_id) == (blogger.id, sasha.id, author.id)
        earnings = await screen(blogger, "💰 Мой заработок", "Ваш заработок в этом трекере")
        assert f"Уровень 1: {rub(share('l1'))}" in earnings.plain
        earnings = await screen(sasha, "💰 Мой заработок", "Ваш заработок в этом трекере")
        assert f"Уровень 2: {rub(share('l2'))}" in earnings.plain and f"Уровень 1: {rub(0)}" in earnings.plain
        earnings = await screen(author, "💰 Мой заработок", "Ваш заработок в этом трекере")
        assert f"Уровень 3: {rub(share('l3'))}" in earnings.plain
        assert f"Как автор: {rub(share('author'))}" in earnings.plain
        links = await screen(sasha, "🔗 Мои ссылки", "Ваши ссылки")
        assert "(ссылка «стать партнёром»)" in links.plain and "1 → 1 → 0 → " in links.plain

        # The author keeps "become my partner" links to themselves, in the tracker card.
        await author.click(card, "✅ Партнёры зовут партнёров")
        card = await author.wait_for_message(PLATFORM, lambda m: ["▫️ Партнёры зовут партнёров"] in m.keyboard)
        assert "только у вас" in card.plain
        assert not (await Tracker.get(id=tracker.id)).partners_recruit
        links = await screen(sasha, "🔗 Мои ссылки", "Ваши ссылки")
        assert [RECRUIT_BUTTON] not in links.keyboard and ["➕ Создать ссылку"] in links.keyboard
        # Sasha's link handed out before still brings people, as Sasha's clients, not partners.
        await start(late, sasha_code)
        await late.expect_no_message(BOT, timeout=0.5)
        late_row = await Membership.get(tracker_id=tracker.id, user_id=late.id)
        assert late_row.l1_id == sasha.id and not late_row.is_partner
        await late.send(BOT, "/partner")
        await shown(late, "Чтобы стать партнёром")

        # Switched back on, Sasha may make one again.
        await author.click(card, "▫️ Партнёры зовут партнёров")
        await author.wait_for_message(PLATFORM, lambda m: ["✅ Партнёры зовут партнёров"] in m.keyboard)
        await recruit_link(sasha)
        assert await InviteLink.filter(owner_id=sasha.id, makes_partner=True).count() == 2


async def test_a_client_who_pays_is_told_they_can_earn_with_their_own_link(tg, database_url, tmp_path):
    from models import OutboxEvent

    tg.add_bot(tracker_token(162), BOT, "Vera")
    author = tg.user(1162, "Anna", language_code="ru")
    client = tg.user(4163, "Client", language_code="ru")
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        await create_tracker(author, tracker_token(162), BOT)
        tracker = await Tracker.get(username=BOT)
        await set_price(tracker.id, PlanKind.MONTH, PRICE)
        await start(client)
        await pay(tracker, client, 1, datetime.now(UTC))

        await client.wait_for_text(BOT, "✅ Оплата прошла!")
        nudge = await client.wait_for_message(BOT)  # the very next message
        link = await InviteLink.get(owner_id=client.id, tracker_id=tracker.id)
        assert not link.makes_partner and not link.archived
        assert "Теперь вы можете зарабатывать с трекером «Vera»" in nudge.plain
        assert f"https://t.me/{BOT}?start={link.code}" in nudge.plain
        share_button = next(b for b in nudge.buttons if b["text"] == "📤 Поделиться")
        assert share_button["url"].startswith(f"https://t.me/share/url?url=https%3A%2F%2Ft.me%2F{BOT}%3Fstart%3D")
        assert link.code in share_button["url"]

        # One tap on the nudge opens the cabinet, which lists that link.
        await client.click(nudge, "🤝 Кабинет партнёра")
        await shown(client, "Кабинет партнёра —")
        links = await screen(client, "🔗 Мои ссылки", "Ваши ссылки")
        assert link.code in links.plain

        # A second payment is no news: no second nudge, no second link.
        await pay(tracker, client, 2, datetime.now(UTC))
        # Both notices of a payment are written in its transaction: once this one is here, a nudge would be too.
        await client.wait_for_notice(BOT, lambda m: "✅ Оплата прошла!" in m.plain and m.message_id > nudge.message_id)
        assert await OutboxEvent.filter(dedupe_key__startswith="client-earn:").count() == 1
        assert await InviteLink.filter(owner_id=client.id).count() == 1


async def test_a_partner_without_a_channel_hears_events_in_the_private_chat_as_they_chose(tg, database_url, tmp_path):
    from models import OutboxEvent

    tg.add_bot(tracker_token(163), BOT, "Vera")
    author = tg.user(1163, "Anna", language_code="ru")
    sasha = tg.user(3163, "Sasha", language_code="ru")
    client = tg.user(4164, "Ivan", language_code="ru")
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        await create_tracker(author, tracker_token(163), BOT)
        tracker = await Tracker.get(username=BOT)
        await set_price(tracker.id, PlanKind.MONTH, PRICE)
        invite = await make_link(tracker.id, author.id, "bloggers", makes_partner=True)
        await start(sasha, invite.code)
        await sasha.wait_for_text(BOT, "Теперь вы партнёр")
        code = await create_link(sasha, "Канал")

        # In the cabinet: new subscribers off, everything else as it comes.
        screen_ = await screen(sasha, "🔔 События в этом чате", "События в этом чате — Vera")
        assert ["✅ Старты по ссылке"] in screen_.keyboard and ["💰 Начисления: каждое"] in screen_.keyboard
        await sasha.click(screen_, "✅ Новые подписчики")
        await sasha.wait_for_message(BOT, lambda m: ["▫️ Новые подписчики"] in m.keyboard)

        await start(client, code)
        await sasha.wait_for_text(BOT, "👋 Vera: Ivan открыл(а) бота по вашей ссылке.")
        await pay(tracker, client, 1, datetime.now(UTC) - timedelta(days=40))
        await settle_due_periods(now=datetime.now(UTC))
        await sasha.wait_for_text(BOT, f"💰 Vera: начислено {rub(share('l1'))} за период клиента Ivan (1-й уровень).")
        # The subscriber event, written before the accrual, never came: switched off.
        assert not any("новый подписчик" in m.plain for m in sasha.messages(BOT))
        assert not await OutboxEvent.filter(chat_id=sasha.id, kind="subscriber").exists()


async def test_the_links_screen_shows_conversion_a_period_and_counts_archived_links(tg, database_url, tmp_path):
    tg.add_bot(tracker_token(164), BOT, "Vera")
    author = tg.user(1164, "Anna", language_code="ru")
    sasha = tg.user(3164, "Sasha", language_code="ru")
    clients = [tg.user(4170 + i, f"C{i}", language_code="ru") for i in range(3)]
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        await create_tracker(author, tracker_token(164), BOT)
        tracker = await Tracker.get(username=BOT)
        await set_price(tracker.id, PlanKind.MONTH, PRICE)
        invite = await make_link(tracker.id, author.id, "bloggers", makes_partner=True)
        await start(sasha, invite.code)
        await sasha.wait_for_text(BOT, "Теперь вы партнёр")
        old_code = await create_link(sasha, "Старая")
        new_code = await create_link(sasha, "Новая")
        for client, code in zip(clients, (old_code, old_code, new_code), strict=True):
            await start(client, code)
        await pay(tracker, clients[0], 1, datetime.now(UTC))
        await InviteLink.filter(code=old_code).update(archived=True)

        links = await screen(sasha, "🔗 Мои ссылки", "Ваши ссылки")
        assert "📅 За всё время" in links.plain and ["Этот месяц", "Прошлый месяц", "• Всё время •"] in links.keyboard
        assert "Старая" not in links.plain  # archived: off the list...
        assert "1 → 1 → 0 → " in links.plain and "в старт 100 % · в оплату 0 %" in links.plain
        # ...and still in the sum of every link, with its payer.
        assert f"включая архивные (1): 3 → 3 → 1 → {rub(PRICE)} → " in links.plain
        assert "в старт 100 % · в оплату 33 %" in links.plain

        await sasha.click(links, "🔗 Новая")
        card = await shown(sasha, "Переходов: 1")
        assert "Конверсия: в старт 100 % · в оплату 0 %" in card.plain
        links = await screen(sasha, "🔗 Мои ссылки", "Ваши ссылки")
        await sasha.click(links, "Этот месяц")
        links = await sasha.wait_for_message(BOT, lambda m: "📅 Этот месяц" in m.plain)
        assert f"3 → 3 → 1 → {rub(PRICE)}" in links.plain  # all of it happened this month
        await sasha.click(links, "Прошлый месяц")
        links = await sasha.wait_for_message(BOT, lambda m: "📅 Прошлый месяц" in m.plain)
        assert f"0 → 0 → 0 → {rub(0)} → {rub(0)}" in links.plain and "в старт — · в оплату —" in links.plain
