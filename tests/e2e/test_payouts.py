"""Payouts end to end: the real platform against the fake Telegram and fake YooKassa servers.

A partner with a settled balance adds a card in the Mini App (YooKassa's payout widget: the platform
gets a card synonym and its mask, never the number) and asks for a payout in the tracker bot's
cabinet; the admin pays it through YooKassa (pending, then its payout.succeeded notification) and
another one by hand with a reference; the partner's
balance shows it and the partner is told each step. A rejected request gives the money back, and a
person who is not an admin reaches neither the queue nor its buttons, even with an admin's
callback data.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

import referral
from billing.payments import record_payment
from billing.plans import set_price
from billing.settlement import settle_due_periods
from models import LedgerEntry, OutboxEvent, PaymentProvider, PayoutCard, PayoutRequest, PayoutStatus, PlanKind, Tracker
from tests.e2e.card_page import card_in_mini_app
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform, tracker_token
from tests.e2e.test_platform_core import create_tracker
from tests.fakes.yookassa_server import FakeYooKassa
from tests.waiting import stays

PLATFORM = PLATFORM_USERNAME
BOT = "vera_pay_bot"
PRICE = 149000
L1 = PRICE * 30 // 100  # the partner's share of one settled month: 447,00 ₽
CARD = "4111 1111 1111 1111"  # typed into YooKassa's widget only
ADMIN_ID = 9001
BASE = "https://cabinet.example.test"


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


def rub(kopecks: int) -> str:
    """An amount as a Russian reader sees it (compared with the plain-spaced text)."""
    rubles, kop = divmod(kopecks, 100)
    return f"{rubles:,}".replace(",", " ") + f",{kop:02d} ₽"


def settings_for(tg, database_url, tmp_path, yk: FakeYooKassa | None = None):
    payments = {}
    if yk is not None:
        payments = {"yookassa_payout_agent_id": yk.shop_id, "yookassa_payout_secret_key": yk.secret_key,
                    "yookassa_api_url": yk.api_url, "yookassa_timeout": 5.0,
                    "yookassa_payout_widget_url": yk.widget_url, "yookassa_notify_sources": "127.0.0.1"}
    return make_settings(tg, database_url, tmp_path, admin_ids=str(ADMIN_ID), payments=payments,
                         webhook_host="127.0.0.1", webhook_port=0, webapp_base_url=BASE)


async def shown(person, text: str, bot: str = BOT):
    return await person.wait_for_message(bot, lambda m: text in m.plain and bool(m.buttons))


async def partner_with_balance(tg, author, partner, clients: int) -> Tracker:
    """The author's tracker; `partner` brings `clients` paying clients; their month is settled."""
    await create_tracker(author, tracker_token(71), BOT)
    tracker = await Tracker.get(username=BOT)
    await set_price(tracker.id, PlanKind.MONTH, PRICE)
    invite = await referral.create_link(tracker.id, author.id, "partners", makes_partner=True)
    await partner.send(BOT, f"/start {invite.code}")
    await partner.wait_for_text(BOT, "Теперь вы партнёр")
    link = await referral.create_link(tracker.id, partner.id, "channel")
    paid_at = datetime.now(UTC) - timedelta(days=40)
    for n in range(clients):
        client = tg.user(5100 + n, f"Client{n}", language_code="ru")
        await client.send(BOT, f"/start {link.code}")
        await client.wait_for_text(BOT, "Здравствуйте")
        outcome = await record_payment(
            tracker_id=tracker.id, user_id=client.id, provider=PaymentProvider.TELEGRAM, external_id=f"c{n}",
            plan_kind=PlanKind.MONTH, price_kopecks=PRICE, currency="RUB", amount_minor=PRICE, paid_at=paid_at)
        assert outcome.created
    await settle_due_periods(now=datetime.now(UTC))
    return tracker


async def open_payouts(partner, bot: str = BOT):
    await partner.send(bot, "/partner")
    main = await shown(partner, "Кабинет партнёра —", bot)
    await partner.click(main, "💸 Баланс и выплаты")
    return await shown(partner, "Доступно к выплате", bot)


async def withdraw(partner, amount: str, method: str, destination: str = "", bank: str | None = None, *,
                   double_tap: bool = False, bot: str = BOT, add_card=None):
    """Ask for a payout; for a card, `add_card()` is the Mini App's part (or None: a card saved before)."""
    screen = await open_payouts(partner, bot)
    await partner.click(screen, "💳 Вывести деньги")
    await shown(partner, "Сколько вывести?", bot)
    await partner.send(bot, amount)
    methods = await shown(partner, "Куда перевести", bot)
    await partner.click(methods, method)
    if add_card is not None:
        asked = await shown(partner, "Карта для выплат добавляется в мини-приложении", bot)
        tracker = await Tracker.get(username=bot)
        button = next(b for b in asked.buttons if "web_app" in b)
        assert button["web_app"]["url"] == f"{BASE}/app/tracker/{tracker.bot_id}/card"
        assert "Пришлите номер" not in asked.plain  # a card number is never asked for in the chat
        await partner.click(asked, "✅ Готово")  # back too early: told, nothing else
        await partner.wait_for_text(bot, "Карта ещё не добавлена")
        assert await add_card() == "•••• 1111"
        await partner.click(asked, "✅ Готово")
    if method != "💳 Банковская карта":
        await partner.wait_for_message(bot, lambda m: "Пришлите номер" in m.plain)
        await partner.send(bot, destination)
    if bank is not None:
        await partner.wait_for_text(bot, "В какой банк")
        await partner.send(bot, bank)
    confirm = await shown(partner, "Проверьте заявку", bot)
    taps = 2 if double_tap else 1
    await asyncio.gather(*(partner.click(confirm, "✅ Отправить заявку") for _ in range(taps)))
    return await shown(partner, "отправлена, деньги зарезервированы", bot)


def is_payouts_button(button: dict) -> bool:
    return "ыплат" in button["text"] or str(button.get("callback_data", "")).endswith("payouts")


async def open_queue(admin):
    """/admin → the admin menu's payouts button → the queue."""
    await admin.send(PLATFORM, "/admin")
    menu = await admin.wait_for_message(PLATFORM, lambda m: any(is_payouts_button(b) for b in m.buttons))
    await admin.click(menu, next(b["text"] for b in menu.buttons if is_payouts_button(b)))
    # The queue's own window: the outbox's "new request" notice, with its button, may come first.
    return await admin.wait_for_message(
        PLATFORM, lambda m: ("Заявки на выплату (" in m.text or "Заявок на выплату нет" in m.text) and bool(m.buttons))


async def open_card(admin, payout_id: int):
    queue = await open_queue(admin)
    await admin.click(queue, next(b["text"] for b in queue.buttons if b["text"].startswith(f"№{payout_id} ")))
    return await admin.wait_for_message(PLATFORM, lambda m: f"Заявка №{payout_id}" in m.plain and bool(m.buttons))


async def test_partner_withdraws_admin_pays_through_yookassa_and_by_hand(tg, database_url, tmp_path):
    author = tg.user(1071, "Anna", language_code="ru")
    partner = tg.user(3071, "Sasha", username="sasha_p", language_code="ru")
    admin = tg.user(ADMIN_ID, "Admin", language_code="ru")
    tg.add_bot(tracker_token(71), BOT, "Vera")
    async with FakeYooKassa() as yk:
        async with running_platform(settings_for(tg, database_url, tmp_path, yk)) as runtime:
            await partner_with_balance(tg, author, partner, clients=3)
            total = 3 * L1
            screen = await open_payouts(partner)
            assert f"Начислено: {rub(total)}" in screen.plain and f"Доступно к выплате: {rub(total)}" in screen.plain
            assert f"Минимальная выплата — {rub(50000)}" in screen.plain

            # Below the minimum and above the balance: told clearly, nothing asked.
            await partner.click(screen, "💳 Вывести деньги")
            await shown(partner, "Сколько вывести?")
            await partner.send(BOT, "499")
            await partner.wait_for_text(BOT, f"Минимальная сумма выплаты — {rub(50000)}")
            await partner.send(BOT, "5000")
            await partner.wait_for_text(BOT, f"На балансе недостаточно денег: доступно {rub(total)}")
            await partner.send(BOT, "какая-то сумма")
            await partner.wait_for_text(BOT, "Не понял сумму")
            assert await PayoutRequest.all().count() == 0

            # A card payout of 600 ₽: the card added in the Mini App, "send" tapped twice: one
            # request, one reservation; the chat never shows or asks for the number.
            done = await withdraw(partner, "600", "💳 Банковская карта", double_tap=True,
                                  add_card=lambda: card_in_mini_app(runtime, yk, partner, BOT, tracker_token(71), CARD))
            assert "Заявка №1 на 600,00 ₽" in done.plain and "•••• 1111" in done.plain and "ждёт проверки" in done.plain
            conv = tg._conversation(tg.bot(BOT), partner.chat)
            assert not any("4111 1111" in (s.message.get("text") or "") for s in conv.messages.values())
            await partner.wait_for_notice(BOT, "Заявка на выплату 600,00 ₽ принята")
            screen = await open_payouts(partner)
            assert await PayoutRequest.all().count() == 1 and await LedgerEntry.filter(kind="reserve").count() == 1
            assert f"В резерве под выплаты: {rub(60000)}" in screen.plain
            assert f"Доступно к выплате: {rub(total - 60000)}" in screen.plain

            # The admin's queue and card (the card masked); paid through YooKassa with the synonym,
            # pending, then YooKassa's payout.succeeded notification (delivered twice) finishes it.
            queue = await open_queue(admin)
            assert "Заявки на выплату (1)" in queue.plain and "Sasha (@sasha_p)" in queue.plain
            assert "•••• 1111" in queue.plain and "4111" not in queue.plain
            card = await open_card(admin, 1)
            assert "4111 11•• •••• 1111, Fake Bank" in card.plain and f"@{BOT}" in card.plain
            assert "4111 1111 1111 1111" not in card.plain
            await admin.click(card, "💳 Выплатить через ЮKassa")
            card = await admin.wait_for_text(PLATFORM, "ЮKassa приняла выплату по заявке №1")
            (external,) = yk.payouts
            sent = [r for r in yk.requests if r.path == "/v3/payouts" and r.method == "POST"]
            assert len(sent) == 1 and sent[0].body["payout_token"] in yk.payout_cards.tokens
            assert "payout_destination_data" not in sent[0].body
            assert await PayoutCard.filter(user_id=partner.id).exists()
            await partner.wait_for_notice(BOT, "Выплата 600,00 ₽ одобрена")
            yk.succeed_payout(external)
            notify_url = f"http://127.0.0.1:{runtime.http.port}/yookassa/notify"
            assert await yk.notify(notify_url, "payout.succeeded", external) == 200
            assert await yk.notify(notify_url, "payout.succeeded", external) == 200
            await partner.wait_for_notice(BOT, "Выплата 600,00 ₽ отправлена")
            assert (await PayoutRequest.get(id=1)).status == PayoutStatus.PAID
            assert await OutboxEvent.filter(dedupe_key__startswith="payout:1:paid:").count() == 1
            assert await LedgerEntry.filter(kind="payout").count() == 1
            forged = {"id": "po-00000000-0000-5000-a000-000000000000", "status": "succeeded"}
            assert await yk.notify(notify_url, "payout.succeeded", obj=forged) == 200  # unknown to YooKassa: ignored
            assert await PayoutRequest.filter(status=PayoutStatus.PAID).count() == 1

            # An SBP payout of 500 ₽, paid by hand with a reference.
            done = await withdraw(partner, "500", "⚡ СБП по номеру телефона", "+7 912 345-67-89", bank="Тинькофф")
            assert "Заявка №2 на 500,00 ₽" in done.plain and "Тинькофф" in done.plain
            card = await open_card(admin, 2)
            assert "+79123456789, Тинькофф" in card.plain
            assert "💳 Выплатить через ЮKassa" not in str(card.keyboard)  # SBP needs the bank's id: by hand
            await admin.click(card, "✍️ Выплачено вручную")
            await admin.wait_for_text(PLATFORM, "пришлите номер или ссылку платежа")
            await admin.send(PLATFORM, "п/п 77 от сегодня")
            await admin.wait_for_text(PLATFORM, "Заявка №2 отмечена выплаченной")
            await partner.wait_for_notice(BOT, "Выплата 500,00 ₽ отправлена")

            screen = await open_payouts(partner)
            assert f"Выплачено: {rub(110000)}" in screen.plain and f"В резерве под выплаты: {rub(0)}" in screen.plain
            assert f"Доступно к выплате: {rub(total - 110000)}" in screen.plain
            await partner.click(screen, "📋 Мои заявки")
            history = await shown(partner, "Ваши заявки на выплату")
            assert history.plain.count("✅ выплачено") == 2 and "Платёж: п/п 77 от сегодня" in history.plain
            assert len(yk.payouts) == 1 and await LedgerEntry.filter(kind="payout").count() == 2


async def test_a_rejected_payout_releases_and_a_non_admin_reaches_nothing(tg, database_url, tmp_path):
    author = tg.user(1072, "Anna", language_code="ru")
    partner = tg.user(3072, "Masha", language_code="ru")
    admin = tg.user(ADMIN_ID, "Admin", language_code="ru")
    stranger = tg.user(3999, "Petya", language_code="ru")
    tg.add_bot(tracker_token(71), BOT, "Vera")
    async with running_platform(settings_for(tg, database_url, tmp_path)) as runtime:
        await partner_with_balance(tg, author, partner, clients=2)
        total = 2 * L1
        await admin.send(PLATFORM, "/start")  # a bot may write only to who started it
        await admin.wait_for_message(PLATFORM, lambda m: bool(m.buttons))
        await withdraw(partner, "700", "👛 Кошелёк ЮMoney", "4100 1160 7515 6746")
        await partner.wait_for_notice(BOT, "Заявка на выплату 700,00 ₽ принята")
        await admin.wait_for_text(PLATFORM, "Новая заявка на выплату №1: 700,00 ₽, Masha")

        # The admin's card, then a stranger sends its callbacks and opens the menu: nothing.
        card = await open_card(admin, 1)
        assert "💳 Выплатить через ЮKassa" not in str(card.keyboard)  # YooKassa payouts are off
        await stranger.send(PLATFORM, "/start")
        own = await stranger.wait_for_message(PLATFORM, lambda m: bool(m.buttons))
        stored = tg._conversation(tg.bot(PLATFORM), stranger.chat).messages[own.message_id].message
        for n, button in enumerate(b for b in card.buttons if b.get("callback_data")):
            tg.push_update(PLATFORM, {"callback_query": {"id": f"forged-{n}", "from": stranger.as_api(),
                                                         "message": stored, "chat_instance": "x",
                                                         "data": button["callback_data"]}})
            # At most the stranger's own menu comes back (they have no such screen).
            answer = await tg.wait_for_callback_answer(PLATFORM, f"forged-{n}")
            assert "Заявк" not in str(answer)
        await stranger.send(PLATFORM, "/admin")  # for them the command does not exist
        reply = await stranger.wait_for_message(PLATFORM, lambda m: not m.is_edit)
        # The usual "not understood", or their own menu when the dialog stack was reset by the
        # forged buttons a moment before (timing differs between SQLite and PostgreSQL).
        assert "Не понял сообщение" in reply.plain or "Новый трекер" in str(reply.keyboard), reply
        for message in stranger.messages(PLATFORM):
            assert "Заявк" not in message.text and "4100" not in message.text, message
            assert not any("Отклонить" in b or "вручную" in b for row in message.keyboard for b in row)
        await admin.expect_no_message(PLATFORM, timeout=0.1)

        # Someone who WAS an admin, with the queue's card still open: its buttons and its text
        # input answer admins only, so nothing happens.
        runtime.settings.admin_ids.remove(ADMIN_ID)
        await admin.click(card, "❌ Отклонить")
        await admin.expect_no_message(PLATFORM, timeout=1.5)
        await admin.send(PLATFORM, "Кошелёк не идентифицирован")
        await stays(lambda: not any("отклонена" in m.plain for m in admin.messages(PLATFORM)),
                    "a former admin's reason rejects nothing", for_seconds=1.0)
        assert (await PayoutRequest.get(id=1)).status == PayoutStatus.REQUESTED
        runtime.settings.admin_ids.append(ADMIN_ID)
        card = await open_card(admin, 1)
        assert await LedgerEntry.filter(kind="release").count() == 0

        # The admin rejects with a reason: the money is back and the partner is told why.
        await admin.click(card, "❌ Отклонить")
        await admin.wait_for_text(PLATFORM, "Почему отклоняете заявку №1?")
        await admin.send(PLATFORM, "Кошелёк не идентифицирован")
        await admin.wait_for_text(PLATFORM, "Заявка №1 отклонена, 700,00 ₽ вернулись на баланс")
        await partner.wait_for_notice(BOT, "Заявка на выплату 700,00 ₽ отклонена")
        screen = await open_payouts(partner)
        assert f"Доступно к выплате: {rub(total)}" in screen.plain
        assert f"В резерве под выплаты: {rub(0)}" in screen.plain
        await partner.click(screen, "📋 Мои заявки")
        history = await shown(partner, "Ваши заявки на выплату")
        assert "❌ отклонено" in history.plain and "Причина: Кошелёк не идентифицирован" in history.plain
        queue = await open_queue(admin)
        assert "Заявок на выплату нет" in queue.plain

        # The author's money is the same account: the same screens in the platform bot.
        author_share = 2 * (PRICE * 20 // 100) * 2  # author 20% and level 2 (they invited the partner)
        await author.send(PLATFORM, "/start")
        menu = await author.wait_for_message(PLATFORM, lambda m: ["💸 Баланс и выплаты"] in m.keyboard)
        await author.click(menu, "💸 Баланс и выплаты")
        wallet = await author.wait_for_text(PLATFORM, "Доступно к выплате")
        assert f"Доступно к выплате: {rub(author_share)}" in wallet.plain
        await author.click(wallet, "💳 Вывести деньги")
        await author.wait_for_text(PLATFORM, "Сколько вывести?")
        await author.send(PLATFORM, "500")
        methods = await author.wait_for_text(PLATFORM, "Куда перевести")
        assert "Банковская карта" not in str(methods.keyboard)  # no payout account: no widget, no card
        await author.click(methods, "👛 Кошелёк ЮMoney")
        await author.wait_for_text(PLATFORM, "Пришлите номер кошелька")
        await author.send(PLATFORM, "4100116075156746")
        confirm = await author.wait_for_text(PLATFORM, "Проверьте заявку")
        await author.click(confirm, "✅ Отправить заявку")
        await author.wait_for_text(PLATFORM, "Заявка №2 на 500,00 ₽ отправлена")
        await author.wait_for_notice(PLATFORM, "Заявка на выплату 500,00 ₽ принята")  # told by the platform bot
        row = await PayoutRequest.get(id=2)
        assert row.tracker_id is None and row.amount_kopecks == 50000


async def test_admins_are_told_of_a_request_and_close_one_yookassa_lost(tg, database_url, tmp_path):
    author = tg.user(1073, "Anna", language_code="ru")
    partner = tg.user(3073, "Dasha", language_code="ru")
    admin = tg.user(ADMIN_ID, "Admin", language_code="ru")
    stranger = tg.user(3998, "Petya", language_code="ru")
    tg.add_bot(tracker_token(71), BOT, "Vera")
    async with FakeYooKassa() as yk:
        async with running_platform(settings_for(tg, database_url, tmp_path, yk)) as runtime:
            await partner_with_balance(tg, author, partner, clients=2)
            total = 2 * L1
            await admin.send(PLATFORM, "/start")  # a bot may write only to who started it
            await admin.wait_for_message(PLATFORM, lambda m: bool(m.buttons))
            await withdraw(partner, "600", "💳 Банковская карта",
                           add_card=lambda: card_in_mini_app(runtime, yk, partner, BOT, tracker_token(71), CARD))

            # The admin hears of it from the platform bot, with a button to the request's card.
            told = await admin.wait_for_message(PLATFORM, lambda m: "Новая заявка на выплату №1" in m.plain)
            assert "600,00 ₽, Dasha" in told.plain and "4111" not in told.plain
            await admin.click(told, "Открыть заявку")
            card = await admin.wait_for_message(PLATFORM, lambda m: "Заявка №1" in m.plain and bool(m.buttons))
            assert "•••• 1111" in card.plain and "4111 1111 1111 1111" not in card.plain

            # The same button's data from someone who is not an admin opens nothing.
            await stranger.send(PLATFORM, "/start")
            own = await stranger.wait_for_message(PLATFORM, lambda m: bool(m.buttons))
            stored = tg._conversation(tg.bot(PLATFORM), stranger.chat).messages[own.message_id].message
            tg.push_update(PLATFORM, {"callback_query": {"id": "forged-open", "from": stranger.as_api(),
                                                         "message": stored, "chat_instance": "x",
                                                         "data": told.buttons[0]["callback_data"]}})
            await stays(lambda: not any("Заявка №1" in m.text or "4111" in m.text for m in stranger.messages(PLATFORM)),
                        "a forged button opens nothing", for_seconds=1.0)

            # Paid through YooKassa, which is paying it: nothing to close by hand yet.
            await admin.click(card, "💳 Выплатить через ЮKassa")
            card = await admin.wait_for_text(PLATFORM, "ЮKassa приняла выплату по заявке №1")
            assert "Закрыть как неуспешную" not in str(card.keyboard)
            await admin.click(card, "🔄 Проверить статус в ЮKassa")
            card = await admin.wait_for_text(PLATFORM, "ЮKassa ещё проводит выплату по заявке №1")
            assert "Закрыть как неуспешную" not in str(card.keyboard)

            # YooKassa loses it (answers 404 for its id): the check offers to close it, says why.
            (external,) = yk.payouts
            del yk.payouts[external]
            await admin.click(card, "🔄 Проверить статус в ЮKassa")
            card = await admin.wait_for_text(PLATFORM, "ЮKassa отвечает, что такой выплаты у неё нет")
            assert "✍️ Отметить выплаченной вручную" in str(card.keyboard)
            await admin.click(card, "⛔ Закрыть как неуспешную")
            await admin.wait_for_text(PLATFORM, "Почему выплата по заявке №1 не прошла?")
            await admin.send(PLATFORM, "ЮKassa потеряла выплату")
            await admin.wait_for_text(PLATFORM, "Заявка №1 закрыта как неуспешная, 600,00 ₽ вернулись на баланс")
            told = await partner.wait_for_notice(BOT, "Выплата 600,00 ₽ не прошла")
            assert "ЮKassa потеряла выплату" in told.plain
            row = await PayoutRequest.get(id=1)
            assert row.status == PayoutStatus.FAILED and row.decided_by == ADMIN_ID
            screen = await open_payouts(partner)
            assert (f"Доступно к выплате: {rub(total)}" in screen.plain
                    and f"В резерве под выплаты: {rub(0)}" in screen.plain)
            assert await LedgerEntry.filter(kind="release").count() == 1


async def test_platform_help_shows_the_commission_schedule_in_force(tg, database_url, tmp_path):
    from billing import commission

    author = tg.user(1074, "Anna", language_code="ru")
    reader = tg.user(1075, "Ben", language_code="en")
    async with running_platform(settings_for(tg, database_url, tmp_path)):
        await author.send(PLATFORM, "/help")
        text = (await author.wait_for_text(PLATFORM, "маржа делится")).text
        assert "платформа 20%, автор 20%, партнёры 30% / 20% / 10%" in text  # the configured schedule
        await commission.add_schedule(commission.parse_shares(["22.5", "17.5", "30", "20", "10"]), created_by=ADMIN_ID)
        await author.send(PLATFORM, "/help")
        text = (await author.wait_for_text(PLATFORM, "маржа делится")).text
        assert "платформа 22.5%, автор 17.5%, партнёры 30% / 20% / 10%" in text
        await reader.send(PLATFORM, "/help")
        text = (await reader.wait_for_text(PLATFORM, "margin is split")).text
        assert "platform 22.5%, author 17.5%, partners 30% / 20% / 10%" in text
