"""The link the platform hands a new author is their own invite link (issue 16).

A new author creates a tracker in the platform bot; the link shown at creation and on the card is
an invite link of theirs (labelled, with a QR code and a share button); a client who starts
through it, pays and is settled gives the author the author's 20% and the first level's 30%.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from billing.payments import record_payment
from billing.plans import set_price
from billing.settlement import settle_due_periods
from models import Account, InviteLink, LedgerEntry, Membership, PaymentProvider, PlanKind, Role, Tracker
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform, tracker_token
from tests.e2e.test_platform_core import create_tracker

PLATFORM = PLATFORM_USERNAME
BOT = "vera_own_link_bot"
PRICE = 200_000  # 2 000 ₽ a month, the seed's price


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


def codes_in(text: str) -> list[str]:
    return re.findall(rf"https://t\.me/{BOT}\?start=([A-Za-z0-9_-]+)", text)


async def earned_by_role(user_id: int) -> dict[str, int]:
    account = await Account.get(user_id=user_id)
    totals: dict[str, int] = {}
    for entry in await LedgerEntry.filter(account_id=account.id):
        totals[entry.role.value] = totals.get(entry.role.value, 0) + entry.amount_kopecks
    return totals


async def test_the_link_shown_at_creation_is_the_authors_invite_link_worth_author_and_l1(tg, database_url, tmp_path):
    token = tracker_token(61)
    tg.add_bot(token, BOT, "Vera")
    author = tg.user(1061, "Anna", language_code="ru")
    client = tg.user(2061, "Bob", language_code="ru")
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        await create_tracker(author, token, BOT)
        created = author.last_message(PLATFORM)
        assert "Трекер @vera_own_link_bot запущен" in created.plain
        shown = codes_in(created.plain)
        assert shown, created.plain
        tracker = await Tracker.get(username=BOT)
        link = await InviteLink.get(code=shown[0])
        assert (link.tracker_id, link.owner_id, link.makes_partner) == (tracker.id, author.id, False)
        assert link.label == "Основная ссылка"
        assert "Ссылка, которой делиться" in created.plain

        # The card offers the same link to share and as a QR code.
        share = next(b for b in created.buttons if b["text"] == "📤 Поделиться")
        assert share["url"].startswith("https://t.me/share/url?url=https%3A%2F%2Ft.me%2F" + BOT)
        assert link.code in share["url"]
        await author.click(created, "🔳 QR-код")
        qr = await author.wait_for_message(PLATFORM, lambda m: m.content_type == "photo")
        assert link.code in qr.plain
        card = await author.wait_for_message(PLATFORM, lambda m: "Ссылка, которой делиться" in m.plain)
        assert set(codes_in(card.plain)) == {link.code}  # the card again, below the picture: the same link
        assert await InviteLink.filter(tracker_id=tracker.id).count() == 1

        await set_price(tracker.id, PlanKind.MONTH, PRICE)
        await client.send(BOT, f"/start {link.code}")
        await client.wait_for_text(BOT, "Здравствуйте")
        member = await Membership.get(tracker_id=tracker.id, user_id=client.id)
        assert member.l1_id == author.id

        outcome = await record_payment(
            tracker_id=tracker.id, user_id=client.id, provider=PaymentProvider.TELEGRAM, external_id="charge-own-1",
            plan_kind=PlanKind.MONTH, price_kopecks=PRICE, currency="RUB", amount_minor=PRICE,
            paid_at=datetime.now(UTC) - timedelta(days=40),
        )
        assert outcome.created
        assert (await settle_due_periods(now=datetime.now(UTC))).periods == 1

        earned = await earned_by_role(author.id)
        assert earned == {Role.AUTHOR.value: PRICE * 20 // 100, Role.L1.value: PRICE * 30 // 100}


async def test_the_admin_gives_level_1_of_clients_without_a_link_to_the_author(tg, database_url, tmp_path):
    token = tracker_token(62)
    tg.add_bot(token, BOT, "Vera")
    admin = tg.user(9061, "Admin", language_code="ru")
    author = tg.user(1062, "Anna", language_code="ru")
    bare, later = tg.user(2062, "Bob", language_code="ru"), tg.user(2063, "Eve", language_code="ru")
    async with running_platform(make_settings(tg, database_url, tmp_path, admin_ids=str(admin.id))):
        await create_tracker(author, token, BOT)
        tracker = await Tracker.get(username=BOT)
        await set_price(tracker.id, PlanKind.MONTH, PRICE)
        await bare.send(BOT, "/start")  # the plain bot link: no inviter
        await bare.wait_for_text(BOT, "Здравствуйте")

        async def pay(person, n: int) -> None:
            outcome = await record_payment(
                tracker_id=tracker.id, user_id=person.id, provider=PaymentProvider.TELEGRAM,
                external_id=f"charge-bare-{n}", plan_kind=PlanKind.MONTH, price_kopecks=PRICE, currency="RUB",
                amount_minor=PRICE, paid_at=datetime.now(UTC) - timedelta(days=40),
            )
            assert outcome.created

        await pay(bare, 1)
        await settle_due_periods(now=datetime.now(UTC))
        assert await earned_by_role(author.id) == {Role.AUTHOR.value: PRICE * 20 // 100}  # the default rule

        await admin.send(PLATFORM, "/admin")
        menu = await admin.wait_for_message(PLATFORM, lambda m: "➗ Комиссия" in str(m.keyboard))
        await admin.click(menu, "➗ Комиссия")
        window = await admin.wait_for_message(PLATFORM, lambda m: "Клиенты без ссылки: все уровни" in m.plain)
        await admin.click(window, "🔁 Клиенты без ссылки → автору (с этой минуты)")
        window = await admin.wait_for_message(PLATFORM, lambda m: "уровень 1 получает автор" in m.plain)
        assert "Новая схема действует с" in window.plain

        # A period that ends under the new rule: the author holds level 1 of a client without a link.
        await later.send(BOT, "/start")
        await later.wait_for_text(BOT, "Здравствуйте")
        outcome = await record_payment(
            tracker_id=tracker.id, user_id=later.id, provider=PaymentProvider.TELEGRAM, external_id="charge-bare-2",
            plan_kind=PlanKind.MONTH, price_kopecks=PRICE, currency="RUB", amount_minor=PRICE,
            paid_at=datetime.now(UTC),
        )
        assert outcome.created
        await settle_due_periods(now=datetime.now(UTC) + timedelta(days=40))
        assert await earned_by_role(author.id) == {Role.AUTHOR.value: 2 * PRICE * 20 // 100,
                                                  Role.L1.value: PRICE * 30 // 100}
