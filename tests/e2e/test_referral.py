"""The referral program end to end: the real platform against the fake Telegram server.

The seed's "through representatives" story with small numbers: the author brings 2 clients through
their own invite link, names Sasha and Masha partners with a "become my partner" link from the
platform bot, Sasha brings 1 client and Masha 3 through links made in their cabinets, everyone
pays, the periods are settled, and each cabinet shows the funnel, earnings by level and balance
to the kopeck. Then the edge cases: a second link, a self-invite, another tracker's code, a forged
callback, an empty cabinet.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from billing import partner as partner_money
from billing.payments import record_payment
from billing.plans import set_price
from billing.settlement import settle_due_periods
from models import InviteClick, InviteLink, Membership, PaymentProvider, PlanKind, Tracker, User
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform, tracker_token
from tests.e2e.test_platform_core import create_tracker

PLATFORM = PLATFORM_USERNAME
BOT = "vera_ref_bot"
PRICE = 149000  # 1 490,00 ₽ a month
SHARES = {"platform": 20, "author": 20, "l1": 30, "l2": 20, "l3": 10}


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


def share(role: str, margin: int = PRICE) -> int:
    assert (margin * SHARES[role]) % 100 == 0  # the price is chosen so that no kopeck is rounded
    return margin * SHARES[role] // 100


def rub(kopecks: int) -> str:
    """An amount as a Russian reader sees it (compared with the plain-spaced text)."""
    rubles, kop = divmod(kopecks, 100)
    return f"{rubles:,}".replace(",", " ") + f",{kop:02d} ₽"


def code_in(text: str, bot: str = BOT) -> str:
    found = re.findall(rf"https://t\.me/{bot}\?start=([A-Za-z0-9_-]+)", text)
    assert found, text
    return found[0]


async def shown(person, text: str, bot: str = BOT):
    """The next window showing `text` with its buttons (an old window losing its keyboard is skipped)."""
    return await person.wait_for_message(bot, lambda m: text in m.plain and bool(m.buttons))


async def open_cabinet(person, bot: str = BOT):
    await person.send(bot, "/partner")
    return await shown(person, "Кабинет партнёра —", bot)


async def create_link(person, label: str, bot: str = BOT) -> str:
    main = await open_cabinet(person, bot)
    await person.click(main, "🔗 Мои ссылки")
    links = await shown(person, "ссылк", bot)
    await person.click(links, "➕ Создать ссылку")
    await person.wait_for_text(bot, "Как назвать ссылку?")
    await person.send(bot, label)
    card = await shown(person, "Ссылка создана", bot)
    assert label in card.plain
    return code_in(card.plain, bot)


async def start(person, payload: str | None = None, bot: str = BOT):
    await person.send(bot, "/start" + (f" {payload}" if payload else ""))
    return await person.wait_for_text(bot, "Здравствуйте")


async def pay(tracker: Tracker, person, n: int, paid_at: datetime) -> None:
    outcome = await record_payment(
        tracker_id=tracker.id, user_id=person.id, provider=PaymentProvider.TELEGRAM, external_id=f"charge-{n}",
        plan_kind=PlanKind.MONTH, price_kopecks=PRICE, currency="RUB", amount_minor=PRICE, paid_at=paid_at,
    )
    assert outcome.created


async def screen(person, button: str, expect: str, bot: str = BOT):
    main = await open_cabinet(person, bot)
    await person.click(main, button)
    return await shown(person, expect, bot)


async def test_through_representatives(tg, database_url, tmp_path):
    token = tracker_token(51)
    tg.add_bot(token, BOT, "Vera")
    author = tg.user(1051, "Anna", language_code="ru")
    sasha = tg.user(3001, "Sasha", language_code="ru")
    masha = tg.user(3002, "Masha", language_code="ru")
    clients = [tg.user(4000 + i, f"Client{i}", language_code="ru") for i in range(6)]
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        await create_tracker(author, token, BOT)
        tracker = await Tracker.get(username=BOT)
        await set_price(tracker.id, PlanKind.MONTH, PRICE)

        # The author's own invite link, made in the tracker bot's cabinet.
        await start(author)
        author_code = await create_link(author, "Мой канал")

        # The "become my partner" link, from the tracker card in the platform bot.
        await author.click(author.last_message(PLATFORM), "🤝 Партнёры")
        partners = await author.wait_for_text(PLATFORM, "Партнёры трекера «Vera»")
        assert "Партнёров пока нет" in partners.plain
        await author.click(partners, "➕ Ссылка «стать партнёром»")
        created = await author.wait_for_text(PLATFORM, "Ссылка «стать партнёром» для")
        partner_code = code_in(created.plain)

        for rep in (sasha, masha):
            await start(rep, partner_code)
            welcome = await rep.wait_for_text(BOT, "Теперь вы партнёр")
            assert "/partner" in welcome.plain
        sasha_code = await create_link(sasha, "Sasha TG")
        masha_code = await create_link(masha, "Masha YT")

        for client, code in zip(clients, [author_code] * 2 + [sasha_code] + [masha_code] * 3, strict=True):
            await start(client, code)
        # The partners themselves, re-opening a link later, change nothing.
        await start(sasha, masha_code)

        paid_at = datetime.now(UTC) - timedelta(days=40)
        for n, client in enumerate(clients):
            await pay(tracker, client, n, paid_at)
        result = await settle_due_periods(now=datetime.now(UTC))
        assert result.periods == 6

        # Expected kopecks from the split rules: every client pays PRICE, no AI cost.
        author_as_author = 6 * share("author")
        author_l1 = 2 * share("l1")
        author_l2 = 4 * share("l2")  # Sasha's and Masha's clients: the author invited them
        sasha_l1, masha_l1 = share("l1"), 3 * share("l1")
        author_total = author_as_author + author_l1 + author_l2

        # Sasha's cabinet: balance, funnel, earnings by level, network.
        main = await open_cabinet(sasha)
        # This tracker's earnings; the balance over all trackers is where it belongs, and said so.
        assert f"Заработано в этом трекере: {rub(sasha_l1)}" in main.plain and "Доступно к выплате" not in main.plain
        assert f"в боте платформы @{PLATFORM}, раздел «🤝 Мои партнёрские программы»" in main.plain
        links = await screen(sasha, "🔗 Мои ссылки", "Ваши ссылки")
        assert f"1 → 1 → 1 → {rub(PRICE)} → {rub(sasha_l1)}" in links.plain
        earnings = await screen(sasha, "💰 Мой заработок", "Ваш заработок в этом трекере")
        assert f"Уровень 1: {rub(sasha_l1)}" in earnings.plain and f"Уровень 2: {rub(0)}" in earnings.plain
        assert "Как автор" not in earnings.plain
        network = await screen(sasha, "👥 Моя сеть", "Ваша сеть")
        assert "Уровень 1: 1, платят 1" in network.plain and "Client2" in network.plain

        # Masha's.
        main = await open_cabinet(masha)
        assert f"Заработано в этом трекере: {rub(masha_l1)}" in main.plain
        links = await screen(masha, "🔗 Мои ссылки", "Ваши ссылки")
        # Four people opened it (Sasha too, later: a click, but Sasha's inviter stays the author).
        assert f"4 → 3 → 3 → {rub(3 * PRICE)} → {rub(masha_l1)}" in links.plain
        earnings = await screen(masha, "💰 Мой заработок", "Ваш заработок в этом трекере")
        assert f"Начислено: {rub(masha_l1)}" in earnings.plain and f"Уровень 1: {rub(masha_l1)}" in earnings.plain
        network = await screen(masha, "👥 Моя сеть", "Ваша сеть")
        assert "Уровень 1: 3, платят 3" in network.plain
        assert all(name in network.plain for name in ("Client3", "Client4", "Client5"))

        # The author's cabinet: author share, L1 (own clients) and L2 (the representatives' clients).
        main = await open_cabinet(author)
        assert f"Заработано в этом трекере: {rub(author_total)}" in main.plain
        links = await screen(author, "🔗 Мои ссылки", "Ваши ссылки")
        assert f"2 → 2 → 2 → {rub(2 * PRICE)}" in links.plain  # the author's own link
        assert "2 → 2 → 0 → " in links.plain  # the "become my partner" link: Sasha and Masha
        earnings = await screen(author, "💰 Мой заработок", "Ваш заработок в этом трекере")
        assert f"Начислено: {rub(author_total)}" in earnings.plain
        assert f"Как автор: {rub(author_as_author)}" in earnings.plain
        assert f"Уровень 1: {rub(author_l1)}" in earnings.plain
        assert f"Уровень 2: {rub(author_l2)}" in earnings.plain
        assert f"Уровень 3: {rub(0)}" in earnings.plain
        network = await screen(author, "👥 Моя сеть", "Ваша сеть")
        assert "Уровень 1: 4, платят 2" in network.plain and "Уровень 2: 4, платят 4" in network.plain

        # The chart and a QR code come as photos.
        main = await open_cabinet(sasha)
        await sasha.click(main, "📊 График за 12 месяцев")
        chart = await sasha.wait_for_message(BOT, lambda m: m.content_type == "photo")
        assert rub(sasha_l1) in chart.plain
        main = await shown(sasha, "Кабинет партнёра —")  # the cabinet comes back below the picture
        # Pressed again at once: told to wait, no second picture.
        query = await sasha.click(main, "📊 График за 12 месяцев")
        answer = await tg.wait_for_callback_answer(BOT, query)
        assert answer.get("show_alert") and "Нажмите ещё раз через" in answer["text"]
        assert sum(m.content_type == "photo" for m in sasha.messages(BOT)) == 1
        links = await screen(sasha, "🔗 Мои ссылки", "Ваши ссылки")
        await sasha.click(links, "🔗 Sasha TG")
        card = await shown(sasha, "Переходов: 1")
        share_button = next(b for b in card.buttons if b["text"] == "📤 Поделиться")
        assert share_button["url"].startswith("https://t.me/share/url?url=https%3A%2F%2Ft.me%2F" + BOT)
        await sasha.click(card, "🔳 QR-код")
        qr = await sasha.wait_for_message(BOT, lambda m: m.content_type == "photo")
        assert sasha_code in qr.plain
        await shown(sasha, "Переходов: 1")

        # How the split works, with this tracker's numbers.
        howto = await screen(sasha, "❓ Как делятся деньги", "Как делятся деньги в трекере «Vera»")
        assert rub(PRICE) in howto.plain and f"30% (до {rub(share('l1'))})" in howto.plain

        # The author's side in the platform bot.
        await author.send(PLATFORM, "/start")
        menu = await author.wait_for_message(PLATFORM, lambda m: any("Vera" in b for row in m.keyboard for b in row))
        await author.click(menu, next(b for row in menu.keyboard for b in row if "Vera" in b))
        card = await author.wait_for_message(PLATFORM, lambda m: ["🤝 Партнёры"] in m.keyboard)
        await author.click(card, "🤝 Партнёры")
        partners = await author.wait_for_text(PLATFORM, "Партнёры трекера «Vera»")
        assert f"как автор — {rub(author_as_author)}" in partners.plain
        assert f"как партнёр (по своим ссылкам) — {rub(author_l1 + author_l2)}" in partners.plain
        assert f"Sasha (партнёр): привели 1, платят 1, заработали {rub(sasha_l1)}" in partners.plain
        assert f"Masha (партнёр): привели 3, платят 3, заработали {rub(masha_l1)}" in partners.plain
        assert "Sasha TG: 1 → 1 → 1" in partners.plain and "Masha YT: 4 → 3 → 3" in partners.plain

        # Attribution on the rows: l1/l2/l3 as the story says.
        rows = {m.user_id: (m.l1_id, m.l2_id, m.l3_id) for m in await Membership.filter(tracker_id=tracker.id)}
        assert rows[sasha.id] == (author.id, None, None)
        assert rows[clients[2].id] == (sasha.id, author.id, None)
        assert rows[clients[3].id] == (masha.id, author.id, None)


async def test_attribution_edge_cases_forged_callback_and_empty_cabinet(tg, database_url, tmp_path):
    token_a, token_b = tracker_token(52), tracker_token(53)
    tg.add_bot(token_a, BOT, "Vera")
    tg.add_bot(token_b, "other_ref_bot", "Other")
    author = tg.user(1052, "Anna", language_code="ru")
    other_author = tg.user(1053, "Olga", language_code="ru")
    sasha = tg.user(3011, "Sasha", language_code="ru")
    stranger = tg.user(3012, "Petya", language_code="ru")
    xenia, yuri, zoya = (tg.user(4100 + i, name, language_code="ru")
                         for i, name in enumerate(("Xenia", "Yuri", "Zoya")))
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        await create_tracker(author, token_a, BOT)
        await create_tracker(other_author, token_b, "other_ref_bot")
        tracker = await Tracker.get(username=BOT)
        await set_price(tracker.id, PlanKind.MONTH, PRICE)

        await start(author)
        author_code = await create_link(author, "Канал")
        await start(other_author, bot="other_ref_bot")
        other_code = await create_link(other_author, "Чужой", bot="other_ref_bot")
        partner_link = await InviteLink.create(tracker_id=tracker.id, owner_id=author.id, code="become-partner-1",
                                               makes_partner=True)

        # Someone who may not invite gets a way to become a partner, not an error.
        await start(stranger)
        await stranger.send(BOT, "/partner")
        main = await shown(stranger, "Чтобы стать партнёром")
        assert "ссылку «стать партнёром»" in main.plain and rub(PRICE) in main.plain
        assert ["🔗 Мои ссылки"] not in main.keyboard

        # A partner with no links: a helpful empty state with a "create" button.
        await start(sasha, partner_link.code)
        await sasha.wait_for_text(BOT, "Теперь вы партнёр")
        links = await screen(sasha, "🔗 Мои ссылки", "У вас пока нет ни одной ссылки")
        assert ["➕ Создать ссылку"] in links.keyboard
        # Nothing earned yet: the chart is a sentence, not an empty frame.
        main = await open_cabinet(sasha)
        query = await sasha.click(main, "📊 График за 12 месяцев")
        answer = await tg.wait_for_callback_answer(BOT, query)
        assert answer.get("show_alert") and "Рисовать пока нечего" in answer["text"]
        sasha_code = await create_link(sasha, "Sasha TG")

        # A self-invite counts nothing and sets nothing.
        await start(sasha, sasha_code)
        await start(author, author_code)
        # The first link wins; a second one opened later only counts a click.
        await start(xenia, sasha_code)
        await start(xenia, author_code)
        # A code of another tracker and a malformed code are ordinary /starts.
        await start(yuri, other_code)
        await start(zoya, "%%%not-a-code%%%")
        # Sasha has no channel: Xenia's start through her link comes to her private chat (notify.private).
        await sasha.wait_for_text(BOT, "👋 Vera: Xenia открыл(а) бота по вашей ссылке.")

        rows = {m.user_id: m for m in await Membership.filter(tracker_id=tracker.id)}
        assert rows[xenia.id].l1_id == sasha.id and rows[xenia.id].l2_id == author.id
        assert rows[yuri.id].l1_id is None and rows[zoya.id].l1_id is None
        assert rows[sasha.id].l1_id == author.id  # not changed by opening the own link
        assert rows[author.id].l1_id is None
        links = await screen(sasha, "🔗 Мои ссылки", "Ваши ссылки")
        assert f"1 → 1 → 0 → {rub(0)} → {rub(0)}" in links.plain  # Xenia only; Sasha's own open is no click
        links = await screen(author, "🔗 Мои ссылки", "Ваши ссылки")
        assert "\n1 → 0 → 0 → " in links.plain  # Xenia's later click; she stays Sasha's

        # A forged callback: Sasha's own "open link" button with the author's link id instead.
        links = await screen(sasha, "🔗 Мои ссылки", "Ваши ссылки")
        own = next(b for b in links.buttons if b["text"] == "🔗 Sasha TG")
        author_link = await InviteLink.get(code=author_code)
        sasha_link = await InviteLink.get(code=sasha_code)
        forged = own["callback_data"].replace(f":{sasha_link.id}", f":{author_link.id}")
        assert forged != own["callback_data"]
        stored = tg._conversation(tg.bot(BOT), sasha.chat).messages[links.message_id].message
        tg.push_update(BOT, {"callback_query": {"id": "forged-1", "from": sasha.as_api(), "message": stored,
                                                "chat_instance": "x", "data": forged}})
        answer = await tg.wait_for_callback_answer(BOT, "forged-1")
        assert "Ссылка не найдена" in str(answer)
        await sasha.expect_no_message(BOT, timeout=0.5)
        assert not any(author_code in m.plain or "Канал" in m.plain for m in sasha.messages(BOT))


async def test_renaming_and_archiving_a_link_in_the_cabinet(tg, database_url, tmp_path):
    token = tracker_token(54)
    tg.add_bot(token, BOT, "Vera")
    author = tg.user(1054, "Anna", language_code="ru")
    sasha = tg.user(3021, "Sasha", language_code="ru")
    early, late = tg.user(4201, "Early", language_code="ru"), tg.user(4202, "Late", language_code="ru")
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        await create_tracker(author, token, BOT)
        tracker = await Tracker.get(username=BOT)
        await set_price(tracker.id, PlanKind.MONTH, PRICE)
        partner_link = await InviteLink.create(tracker_id=tracker.id, owner_id=author.id, code="become-partner-54",
                                               makes_partner=True)
        await start(sasha, partner_link.code)
        await sasha.wait_for_text(BOT, "Теперь вы партнёр")
        code = await create_link(sasha, "Старое имя")
        other_code = await create_link(sasha, "Вторая")
        await start(early, code)

        # Rename: a label over 64 characters is refused with the reason, then a good one is saved.
        links = await screen(sasha, "🔗 Мои ссылки", "Ваши ссылки")
        await sasha.click(links, "🔗 Старое имя")
        card = await shown(sasha, "Переходов: 1")
        await sasha.click(card, "✏️ Переименовать")
        await sasha.wait_for_text(BOT, "Пришлите новое название ссылки")
        await sasha.send(BOT, "я" * 65)
        await sasha.wait_for_text(BOT, "Название слишком длинное")
        await sasha.send(BOT, "Канал в VK")
        card = await shown(sasha, "Название сохранено.")
        assert "🔗 Канал в VK" in card.plain and code in card.plain and "Переходов: 1" in card.plain
        assert (await InviteLink.get(code=code)).label == "Канал в VK"
        links = await screen(sasha, "🔗 Мои ссылки", "Ваши ссылки")
        assert "Канал в VK" in links.plain and "Старое имя" not in links.plain

        # Archive: the link leaves the list; the other one stays.
        await sasha.click(links, "🔗 Канал в VK")
        card = await shown(sasha, "Переходов: 1")
        await sasha.click(card, "🗄 В архив")
        links = await shown(sasha, "Ссылка в архиве")
        assert "Канал в VK" not in links.plain and code not in links.plain
        assert ["🔗 Вторая"] in links.keyboard and ["🔗 Канал в VK"] not in links.keyboard
        assert other_code in links.plain
        links = await screen(sasha, "🔗 Мои ссылки", "Ваши ссылки")
        assert "Канал в VK" not in links.plain

        # The rule (referral.attribution): only a live link attributes or counts a click. The
        # archived code is an ordinary /start; who came through it before stays Sasha's.
        await start(late, code)
        newcomer = await Membership.get(tracker_id=tracker.id, user_id=late.id)
        assert (newcomer.l1_id, newcomer.invite_link_id) == (None, None)
        archived = await InviteLink.get(code=code)
        assert archived.archived and await InviteClick.filter(link_id=archived.id).count() == 1
        before = await Membership.get(tracker_id=tracker.id, user_id=early.id)
        assert (before.l1_id, before.invite_link_id) == (sasha.id, archived.id)
        # Its numbers are kept, and a live link still brings the newcomer to Sasha.
        kept = [s for s in await partner_money.links_stats(tracker.id, sasha.id, include_archived=True)
                if s.link_id == archived.id]
        assert [(s.clicks, s.starts, s.archived) for s in kept] == [(1, 1, True)]
        await start(late, other_code)
        newcomer = await Membership.get(tracker_id=tracker.id, user_id=late.id)
        assert newcomer.l1_id == sasha.id


async def test_an_author_with_hundreds_of_partners_pages_through_them(tg, database_url, tmp_path):
    token = tracker_token(55)
    tg.add_bot(token, BOT, "Vera")
    author = tg.user(1055, "Anna", language_code="ru")
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        await create_tracker(author, token, BOT)
        card = author.last_message(PLATFORM)
        tracker = await Tracker.get(username=BOT)
        # 245 partners named by the author, written straight to the database: the story above shows
        # how one becomes a partner, here only their number matters.
        first = 500_000
        await User.bulk_create([User(id=first + i, first_name=f"P{i:03d}") for i in range(245)])
        await Membership.bulk_create([
            Membership(tracker_id=tracker.id, user_id=first + i, l1_id=author.id, is_partner=True) for i in range(245)
        ])
        # Page 1's partners have many links with the longest labels, the first one the most
        # allowed: the page must still fit in one Telegram message.
        label = "Канал " + "я" * 58
        await InviteLink.bulk_create(
            [InviteLink(tracker_id=tracker.id, owner_id=first, code=f"many-{k}", label=label) for k in range(100)]
            + [InviteLink(tracker_id=tracker.id, owner_id=first + i, code=f"few-{i}-{k}", label=label)
               for i in range(1, 10) for k in range(4)]
        )

        def pager(current: str) -> list[str]:
            return ["⏮", "◀️", current, "▶️", "⏭"]

        async def turn(page, button: str, current: str):
            await author.click(page, button)
            return await author.wait_for_message(PLATFORM, lambda m: pager(current) in m.keyboard)

        await author.click(card, "🤝 Партнёры")
        page = await author.wait_for_text(PLATFORM, "Партнёры трекера «Vera»")
        assert "«Vera» (@vera_ref_bot): 245" in page.plain
        assert pager("1/25") in page.keyboard
        names = [f"P{i:03d}" for i in range(245)]
        assert all(name in page.plain for name in names[:10]) and names[10] not in page.plain
        # Too many long links for one message: each partner shows how many, none is listed.
        assert len(page.plain) < 4096 and label not in page.plain
        assert "🔗 Ссылок: 100" in page.plain and page.plain.count("🔗 Ссылок: 4") == 9

        page = await turn(page, "▶️", "2/25")
        assert all(name in page.plain for name in names[10:20])
        assert names[9] not in page.plain and names[20] not in page.plain
        assert "«Vera» (@vera_ref_bot): 245" in page.plain  # the author's summary stays on every page
        page = await turn(page, "⏭", "25/25")
        assert all(name in page.plain for name in names[240:]) and names[239] not in page.plain
        page = await turn(page, "◀️", "24/25")
        assert all(name in page.plain for name in names[230:240])
        page = await turn(page, "⏮", "1/25")
        assert names[0] in page.plain and names[10] not in page.plain

        # A partner with a few links: they are listed, newest first, with the rest counted.
        await InviteLink.filter(owner_id__in=[first + i for i in range(1, 10)]).delete()
        page = await turn(page, "▶️", "2/25")
        page = await turn(page, "◀️", "1/25")
        assert page.plain.count(f"🔗 {label}: 0 → 0 → 0 → {rub(0)}") == 3 and "…и ещё ссылок: 97" in page.plain
        assert "Ссылок:" not in page.plain


async def test_refund_alert_reaches_the_author_once(database, monkeypatch):
    import referral
    from models import OutboxEvent, User
    from notify.outbox import PLATFORM_BOT
    from scheduler import referral_jobs
    from services.outbox import render

    author = await User.create(id=1060, first_name="Anna", language_code="ru")
    tracker = await Tracker.create(author=author, bot_id=200000060, username="alert_bot", name="Vera",
                                   token_encrypted="x")
    alert = referral.RefundAlert(partner_id=3060, first_name="Sasha", payments=5, refunded=3)

    async def fake_rates(tracker_id, **_):
        return [alert] if tracker_id == tracker.id else []

    monkeypatch.setattr(referral, "refund_rate_by_partner", fake_rates)
    assert await referral_jobs.refund_alerts() == 1
    assert await referral_jobs.refund_alerts() == 0  # told once
    (event,) = await OutboxEvent.filter(kind="alert")
    assert (event.chat_id, event.bot_id, event.language) == (author.id, PLATFORM_BOT, "ru")
    text = render(event.kind, event.params, event.language)  # as the delivery loop sends it
    assert "Sasha" in text and "3 из 5" in text and "60%" in text
