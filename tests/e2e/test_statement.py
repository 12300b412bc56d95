"""The cabinet's statement of settled periods end to end, in the running platform (polling, with
the web API on): Sasha, a partner with sixteen settled shares (a year, a month and a quarter of
three clients, two of them at level 1 and one at level 2), pages forward and back, the lines and
the total are the ledger's, archiving the link changes nothing, the period filter narrows it to
a sentence; the CSV's rows are the statement's and hold nothing of Masha's; the API of the same
partner shows the same figures. A partner without any settled period is told so in a sentence."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from billing import payouts as po
from billing.payments import record_payment
from billing.settlement import settle_due_periods
from dialogs.tracker.partner import statement as statement_dialog
from models import Account, AccountingPeriod, LedgerEntry, PaymentProvider, PlanKind, Tracker, User
from models.enums import EntryKind
from referral import archive_link
from referral import create_link as make_link
from services.web.tokens import create_token
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform, tracker_token
from tests.e2e.test_platform_core import create_tracker
from tests.e2e.test_referral import PRICE, rub, screen, share, shown, start
from tests.fakes.telegram import plain

BOT = "vera_statement_bot"
TITLE = "Выписка по закрытым периодам"
# "04.12.2026 · Алиса · уровень 1\nмаржа периода 1 490,00 ₽ → ваша доля 447,00 ₽"
LINE = re.compile(r"^(\d\d\.\d\d\.\d{4}) · (.+) · (уровень \d|как автор)\n\s*маржа периода (.+) → ваша доля (.+)$",
                  re.MULTILINE)
MONTHS = {PlanKind.MONTH: 1, PlanKind.QUARTER: 3, PlanKind.YEAR: 12}


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


async def pay(tracker: Tracker, person, kind: PlanKind, paid_at: datetime) -> None:
    price = PRICE * MONTHS[kind]  # every period of every plan is worth PRICE: no kopeck is rounded
    outcome = await record_payment(
        tracker_id=tracker.id, user_id=person.id, provider=PaymentProvider.TELEGRAM, external_id=f"charge-{person.id}",
        plan_kind=kind, price_kopecks=price, currency="RUB", amount_minor=price, paid_at=paid_at,
    )
    assert outcome.created


def lines_of(message) -> list[tuple[str, ...]]:
    return LINE.findall(message.plain)


async def page(person, message, button: str, expect: str):
    await person.click(message, button)
    return await person.wait_for_message(BOT, lambda m: expect in m.plain and TITLE in m.plain and bool(m.buttons))


async def ledger_accruals(user_id: int, tracker_id: int) -> list[LedgerEntry]:
    account = await Account.get(user_id=user_id)
    found = LedgerEntry.filter(account_id=account.id, tracker_id=tracker_id, kind=EntryKind.ACCRUAL)
    return await found.order_by("-id")


def as_screen(row: dict[str, str]) -> tuple[str, ...]:
    """A CSV row as the statement's screen shows it, to compare the two."""
    level = "как автор" if row["level"] == "author" else f"уровень {row['level'][1:]}"
    kopecks = {k: int(Decimal(row[k]) * 100) for k in ("margin_rub", "amount_rub")}
    who = row["client"] or f"клиент в ветке «{row['branch']}»"
    return (date.fromisoformat(row["date"]).strftime("%d.%m.%Y"), who, level,
            rub(kopecks["margin_rub"]), rub(kopecks["amount_rub"]))


async def test_a_partner_pages_the_statement_gets_its_csv_and_the_api_agrees(tg, database_url, tmp_path, monkeypatch):
    token = tracker_token(171)
    tg.add_bot(token, BOT, "Vera")
    author = tg.user(1171, "Anna", language_code="ru")
    sasha = tg.user(3171, "Sasha", language_code="ru")
    masha = tg.user(3172, "Masha", language_code="ru")
    alice, boris, vika, dmitry = (tg.user(4171 + i, name, language_code="ru")
                                  for i, name in enumerate(("Алиса", "Борис", "Вика", "Дмитрий")))
    settings = make_settings(tg, database_url, tmp_path, webhook_host="127.0.0.1", webhook_port=0,
                             webapp_base_url="https://cabinet.example.test")
    async with running_platform(settings) as runtime, aiohttp.ClientSession() as http:
        await create_tracker(author, token, BOT)
        tracker = await Tracker.get(username=BOT)
        invite = await make_link(tracker.id, author.id, "team", makes_partner=True)
        for partner in (sasha, masha):
            await start(partner, invite.code, BOT)
            await partner.wait_for_text(BOT, "Теперь вы партнёр")
        sasha_link = await make_link(tracker.id, sasha.id, "Blog")
        masha_link = await make_link(tracker.id, masha.id, "YT")
        paid_at = datetime.now(UTC) - timedelta(days=400)
        for client, code, kind in ((alice, sasha_link.code, PlanKind.YEAR), (boris, sasha_link.code, PlanKind.MONTH),
                                   (dmitry, masha_link.code, PlanKind.MONTH)):
            await start(client, code, BOT)
            await pay(tracker, client, kind, paid_at)
        await start(vika, (await make_link(tracker.id, alice.id, "")).code, BOT)  # Alice's client: Sasha's level 2
        await pay(tracker, vika, PlanKind.QUARTER, paid_at)
        assert (await settle_due_periods(now=datetime.now(UTC))).periods == 12 + 1 + 1 + 3
        for person, amount in ((sasha, 50_000), (masha, 30_000)):
            await po.request_payout(runtime.box, user_id=person.id, amount_kopecks=amount, min_kopecks=1,
                                    destination=po.Destination.card("test-synonym", "411111", "1111"),
                                    request_key=f"stmt-{person.id}")
        # An archived link's periods stay on the statement: a line hangs on the period, not the link.
        await archive_link(sasha_link.id, sasha.id)

        entries = await ledger_accruals(sasha.id, tracker.id)
        total = sum(e.amount_kopecks for e in entries)
        assert len(entries) == 16 and total == 13 * share("l1") + 3 * share("l2")

        first = await screen(sasha, "📜 Выписка", TITLE, BOT)
        assert "📅 За всё время" in first.plain and "Страница 1 из 2" in first.plain
        assert f"Всего: 16 начислений на {rub(total)}" in first.plain
        assert first.keyboard[0] == ["◀️", "▶️"] and ["Этот месяц", "Прошлый месяц", "• Всё время •"] in first.keyboard
        second = await page(sasha, first, "▶️", "Страница 2 из 2")
        back = await page(sasha, second, "◀️", "Страница 1 из 2")
        shown_lines = lines_of(first) + lines_of(second)
        assert lines_of(back) == lines_of(first) and (len(lines_of(first)), len(lines_of(second))) == (10, 6)
        # Line by line the ledger's entries, newest first: the date credited, the client's first
        # name, the level, the period's margin and the share.
        zone = ZoneInfo(settings.timezone)
        periods = {p.id: p for p in await AccountingPeriod.filter(id__in=[e.source_id for e in entries])}
        names = {u.id: u.first_name for u in await User.all()}
        # Past the first level, only the branch: the network names the first level alone.
        assert shown_lines == [
            (e.created_at.astimezone(zone).strftime("%d.%m.%Y"),
             names[periods[e.source_id].user_id] if e.role.value == "l1"
             else f"клиент в ветке «{names[periods[e.source_id].l1_id]}»",
             f"уровень {e.role.value[1:]}", rub(periods[e.source_id].margin_kopecks), rub(e.amount_kopecks))
            for e in entries
        ]
        assert Counter(line[1:] for line in shown_lines) == Counter({
            ("Алиса", "уровень 1", rub(PRICE), rub(share("l1"))): 12,
            ("Борис", "уровень 1", rub(PRICE), rub(share("l1"))): 1,
            ("клиент в ветке «Алиса»", "уровень 2", rub(PRICE), rub(share("l2"))): 3,
        })
        everything = first.plain + second.plain
        assert "Вика" not in everything and "Дмитрий" not in everything  # a level-2 client, Masha's client

        # The period filter: everything was settled this month, nothing the month before.
        this_month = await page(sasha, back, "Этот месяц", "📅 Этот месяц")
        assert f"Всего: 16 начислений на {rub(total)}" in this_month.plain
        last_month = await page(sasha, this_month, "Прошлый месяц", "📅 Прошлый месяц")
        assert "В прошлом месяце закрытых периодов с вашей долей не было." in last_month.plain
        assert ["◀️", "▶️"] not in last_month.keyboard
        statement = await page(sasha, last_month, "Всё время", "📅 За всё время")

        # Past what Telegram takes from a bot (50 MB; here 1 KB), a sentence instead of a refused upload.
        monkeypatch.setattr(statement_dialog, "MAX_DOCUMENT_BYTES", 1024)
        query = await sasha.click(statement, "📄 CSV")
        answer = await tg.wait_for_callback_answer(BOT, query)
        assert answer.get("show_alert") and "больше 50 МБ" in answer["text"] and "Выберите месяц" in answer["text"]
        # More accruals than such a file can hold: refused before anything is read.
        monkeypatch.setattr(statement_dialog, "MAX_CSV_ROWS", 15)
        monkeypatch.setattr(statement_dialog.statement, "movements", None)  # would fail if called
        query = await sasha.click(statement, "📄 CSV")
        answer = await tg.wait_for_callback_answer(BOT, query)
        assert answer.get("show_alert") and "больше 50 МБ" in answer["text"]
        assert not any(m.content_type == "document" for m in sasha.messages(BOT))
        monkeypatch.undo()

        # The CSV: the same lines in the same order, then the payout; a BOM for Excel.
        await sasha.click(statement, "📄 CSV")
        document = await sasha.wait_for_message(BOT, lambda m: m.content_type == "document")
        assert document.file.filename == f"statement-{BOT}-all.csv"
        assert "17 строк" in document.plain
        raw = document.file.data
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
        accruals = [row for row in rows if row["record"] == "accrual"]
        assert [as_screen(row) for row in accruals] == shown_lines
        assert [int(row["id"]) for row in accruals] == [e.id for e in entries]
        assert [(row["record"], row["amount_rub"], row["status"]) for row in rows if row["record"] != "accrual"] == \
            [("payout", "500.00", "requested")]
        assert all(re.fullmatch(r"-?\d+\.\d{2}", row["amount_rub"]) and re.fullmatch(r"\d{4}-\d\d-\d\d", row["date"])
                   for row in rows)
        assert [(row["period_start"], row["period_end"]) for row in accruals] == [
            tuple(t.astimezone(zone).date().isoformat() for t in (periods[e.source_id].starts_at,
                                                                  periods[e.source_id].ends_at))
            for e in entries
        ]
        text = raw.decode("utf-8-sig")
        assert "Дмитрий" not in text and "Вика" not in text and "300.00" not in text
        await shown(sasha, TITLE, BOT)  # the statement comes back below the file

        # The API of the same partner: the same lines, the same accruals, the same sums per month and level.
        api_token = (await create_token(sasha.id))[1]
        headers = {"Authorization": f"Bearer {api_token}"}
        base = f"http://127.0.0.1:{runtime.http.port}/api/v1"
        async with http.get(f"{base}/trackers/{tracker.id}/periods", headers=headers, params={"lang": "ru"}) as r:
            api_lines = (await r.json())["items"]
        assert [(i["accrued_text"], i["client"] or f"клиент в ветке «{i['branch']}»", f"уровень {i['role'][1:]}",
                 plain(i["margin_text"]), plain(i["share_text"])) for i in api_lines] == shown_lines
        assert [i["id"] for i in api_lines] == [e.id for e in entries]
        async with http.get(f"{base}/accruals", headers=headers, params={"tracker_id": str(tracker.id)}) as r:
            api_accruals = (await r.json())["items"]
        assert [rub(i["amount_kopecks"]) for i in api_accruals] == [line[4] for line in shown_lines]
        assert sum(i["amount_kopecks"] for i in api_accruals) == total
        async with http.get(f"{base}/trackers/{tracker.id}/statements", headers=headers, params={"nonzero": "1"}) as r:
            months = (await r.json())["items"]
        assert [(m["l1_kopecks"], m["l2_kopecks"], m["total_kopecks"]) for m in months] == \
            [(13 * share("l1"), 3 * share("l2"), total)]
        by_level = Counter()
        for line, entry in zip(shown_lines, entries, strict=True):
            by_level[line[2]] += entry.amount_kopecks
        assert [(by_level["уровень 1"], by_level["уровень 2"])] == [(m["l1_kopecks"], m["l2_kopecks"]) for m in months]


async def test_an_empty_statement_says_so_and_has_no_csv_to_send(tg, database_url, tmp_path):
    token = tracker_token(172)
    tg.add_bot(token, BOT, "Vera")
    author = tg.user(1172, "Anna", language_code="ru")
    petya = tg.user(3173, "Petya", language_code="ru")
    async with running_platform(make_settings(tg, database_url, tmp_path)):
        await create_tracker(author, token, BOT)
        tracker = await Tracker.get(username=BOT)
        invite = await make_link(tracker.id, author.id, "team", makes_partner=True)
        await start(petya, invite.code, BOT)
        await petya.wait_for_text(BOT, "Теперь вы партнёр")

        empty = await screen(petya, "📜 Выписка", TITLE, BOT)
        assert "Закрытых периодов с вашей долей пока нет: доля начисляется, когда оплаченный период" in empty.plain
        assert "Всего:" not in empty.plain and "Страница" not in empty.plain
        assert ["◀️", "▶️"] not in empty.keyboard and ["📄 CSV"] in empty.keyboard
        query = await petya.click(empty, "📄 CSV")
        answer = await tg.wait_for_callback_answer(BOT, query)
        assert answer.get("show_alert") and answer["text"] == \
            "Выгружать нечего: за этот период у вас нет ни начислений, ни выплат."
        assert not any(m.content_type == "document" for m in petya.messages(BOT))
