"""The statement read model (billing.partner.statement) and its CSV: the partner's own accruals
only, page by page with the ledger's count and sum, the period filter by the settlement's month,
what a refund took back and the payouts in the CSV, and nothing at all for someone who never
earned (no account is made by reading)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import timedelta

from billing import payouts as po
from billing.partner import settled_by_level, statement
from billing.payments.recording import record_payment
from billing.refunds import refund_subscription
from billing.settlement import settle_due_periods
from bot.crypto import SecretBox, generate_key
from dialogs.tracker.partner.statement import CSV_COLUMNS, line_text, statement_csv
from i18n.catalog import translator
from i18n.format import csv_day, csv_rub
from models import Account, LedgerEntry, PaymentProvider
from models.enums import EntryKind
from referral import window_for
from tests.billing.helpers import MSK, at, join, make_tracker
from tests.fakes.telegram import plain

T0 = at(2025, 1, 10, 9)
QUARTER = 90_000  # three months of 30 000.00
FIRST_SETTLEMENT, SECOND_SETTLEMENT = T0 + timedelta(days=35), T0 + timedelta(days=65)  # 14 Feb, 16 Mar


async def world():
    """Author 1 invited partners 3 and 4; 3 brought client 5 (a quarter), 4 brought client 6 (a
    quarter); two months settled, one in February and one in March."""
    tracker = await make_tracker(author_id=1)
    for partner in (3, 4):
        await join(tracker, partner, inviter=1)
    await join(tracker, 5, inviter=3)
    await join(tracker, 6, inviter=4)
    subscriptions = {}
    for client in (5, 6):
        outcome = await record_payment(
            tracker_id=tracker.id, user_id=client, provider=PaymentProvider.YOOKASSA, external_id=f"q-{client}",
            plan_kind="quarter", price_kopecks=QUARTER, currency="RUB", amount_minor=QUARTER, paid_at=T0, tz=MSK)
        subscriptions[client] = outcome.subscription
    await settle_due_periods(FIRST_SETTLEMENT)
    await settle_due_periods(SECOND_SETTLEMENT)
    return tracker, subscriptions


async def own_entries(user_id: int, kind: EntryKind = EntryKind.ACCRUAL) -> list[LedgerEntry]:
    account = await Account.get(user_id=user_id)
    return await LedgerEntry.filter(account_id=account.id, kind=kind).order_by("-id")


async def test_a_page_is_the_partners_own_accruals_with_the_ledgers_count_and_sum(database):
    tracker, _ = await world()
    page = await statement.settled_page(tracker.id, 3)
    entries = await own_entries(3)
    assert [line.entry_id for line in page.lines] == [e.id for e in entries]
    assert [(line.client, line.role, line.margin_kopecks, line.amount_kopecks) for line in page.lines] == \
        [("u5", "l1", 30_000, 9_000)] * 2
    assert (page.count, page.total_kopecks, page.pages) == (2, 18_000, 1)
    assert page.total_kopecks == (await settled_by_level(tracker.id, 3)).total
    # The author: their share of all four periods and their level-2 share of the partners' clients.
    author = await statement.settled_page(tracker.id, 1, per_page=3)
    assert (author.count, author.pages, len(author.lines)) == (8, 3, 3)
    # Their own clients by name; a partner's client, past the author's first level, by the branch.
    possible = {(client, "", "author") for client in ("u5", "u6")} | {("", "u3", "l2"), ("", "u4", "l2")}
    assert {(line.client, line.branch, line.role) for line in author.lines} <= possible
    every = await statement.settled_lines(tracker.id, 1, limit=100)
    assert {(line.client, line.branch, line.role) for line in every} == possible


async def test_pages_are_clamped_and_cover_every_line_once(database):
    tracker, _ = await world()
    seen = []
    for number in range(3):
        page = await statement.settled_page(tracker.id, 1, page=number, per_page=3)
        assert (page.page, page.pages) == (number, 3)
        seen += [line.entry_id for line in page.lines]
    past_the_end = await statement.settled_page(tracker.id, 1, page=7, per_page=3)
    assert (past_the_end.page, [line.entry_id for line in past_the_end.lines]) == (2, seen[6:])
    assert seen == [e.id for e in await own_entries(1)]
    assert (await statement.settled_page(tracker.id, 1, page=-5, per_page=3)).page == 0


async def test_the_period_filter_follows_the_month_of_settlement(database):
    tracker, _ = await world()
    february = window_for("month", MSK, now=FIRST_SETTLEMENT + timedelta(days=1))
    march = window_for("month", MSK, now=SECOND_SETTLEMENT + timedelta(days=1))
    before = window_for("last_month", MSK, now=FIRST_SETTLEMENT)
    for window, moment in ((february, FIRST_SETTLEMENT), (march, SECOND_SETTLEMENT)):
        page = await statement.settled_page(tracker.id, 3, window=window, tz=MSK)
        assert ([line.at for line in page.lines], page.count, page.total_kopecks) == ([moment], 1, 9_000)
    author = await statement.settled_page(tracker.id, 1, window=march, tz=MSK, per_page=100)
    in_march = [e for e in await own_entries(1) if e.created_at == SECOND_SETTLEMENT]
    assert (author.count, author.total_kopecks) == (len(in_march), sum(e.amount_kopecks for e in in_march))
    empty = await statement.settled_page(tracker.id, 3, window=before, tz=MSK)
    assert (empty.lines, empty.count, empty.total_kopecks, empty.pages) == ([], 0, 0, 1)


async def test_the_csv_has_the_accruals_what_a_refund_took_back_and_own_payouts_only(database):
    tracker, subscriptions = await world()
    await refund_subscription(subscriptions[5].id)  # both settled months clawed back, the third cancelled
    box = SecretBox(generate_key())
    card = po.Destination.card("test-synonym", "411111", "1111")
    await po.request_payout(box, user_id=4, amount_kopecks=7_000, destination=card, request_key="rival",
                            min_kopecks=1)
    lines = await statement.movements(tracker.id, 3)
    assert [(line.kind, line.client, line.amount_kopecks) for line in lines] == \
        [("clawback", "u5", -9_000)] * 2 + [("accrual", "u5", 9_000)] * 2
    assert (await statement.settled_page(tracker.id, 3)).total_kopecks == 18_000  # accruals stay as settled
    assert await statement.payouts(3) == []
    rival = await statement.payouts(4)
    assert [(p.amount_kopecks, p.status) for p in rival] == [(7_000, "requested")]

    body = statement_csv(lines, rival, MSK)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[1][:6] == ["clawback", str(lines[0].entry_id), csv_day(lines[0].at, MSK), "u5", "", "l1"]
    assert [row[-2] for row in rows[1:]] == ["-90.00", "-90.00", "90.00", "90.00", "70.00"]
    assert rows[-1][0] == "payout" and rows[-1][-1] == "requested"
    assert rows[3][2] == "2025-03-16" and rows[4][2] == "2025-02-14"  # the settlements, in Moscow
    assert (rows[4][6], rows[4][7]) == ("2025-01-10", "2025-02-10")  # the first month of the quarter


async def test_someone_who_never_earned_has_an_empty_statement_and_no_account(database):
    tracker, _ = await world()
    await join(tracker, 9, inviter=3)
    page = await statement.settled_page(tracker.id, 9)
    assert (page.lines, page.count, page.total_kopecks, page.page, page.pages) == ([], 0, 0, 0, 1)
    assert await statement.movements(tracker.id, 9) == [] and await statement.payouts(9) == []
    assert not await Account.exists(user_id=9)


def test_csv_amounts_are_plain_decimal_roubles_and_dates_iso_in_any_language():
    assert [csv_rub(k) for k in (149_000, -5, 0, 123_456_789_012)] == ["1490.00", "-0.05", "0.00", "1234567890.12"]
    assert csv_day(at(2026, 1, 31, 22), MSK) == "2026-02-01" and csv_day(None) == ""


def test_a_statement_line_reads_in_both_languages():
    line = statement.StatementLine(
        entry_id=1, kind="accrual", role="l2", client="", branch="", period_id=1, period_starts=T0, period_ends=T0,
        revenue_kopecks=149_000, margin_kopecks=149_000, amount_kopecks=29_800, at=at(2026, 12, 4, 12))
    ru, en = (line_text(translator(lang), line, MSK) for lang in ("ru", "en"))
    assert plain(ru) == "04.12.2026 · клиент в вашей сети · уровень 2\nмаржа периода 1 490,00 ₽ → ваша доля 298,00 ₽"
    assert plain(en) == \
        "4 Dec 2026 · a client in your network · level 2\nperiod margin RUB 1,490.00 → your share RUB 298.00"
    texts = {role: line_text(translator("ru"), replace(line, role=role, client=client, branch=branch), MSK)
             for role, client, branch in (("author", "Алиса", ""), ("l1", "", ""), ("l3", "", "Борис"))}
    assert "Алиса · как автор" in texts["author"] and "клиент без имени · уровень 1" in texts["l1"]
    assert "клиент в ветке «Борис» · уровень 3" in texts["l3"]


def test_a_client_name_is_never_a_formula_in_the_spreadsheet():
    line = statement.StatementLine(
        entry_id=1, kind="accrual", role="l1", client="", branch="", period_id=1, period_starts=T0, period_ends=T0,
        revenue_kopecks=100, margin_kopecks=100, amount_kopecks=-30, at=T0)
    names = ("=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "Анна")
    body = statement_csv([replace(line, client=name) for name in names], [], MSK).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["client"] for row in rows] == ["'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "Анна"]
    deeper = statement_csv([replace(line, role="l2", branch="=1+1")], [], MSK).decode("utf-8-sig")
    assert next(csv.DictReader(io.StringIO(deeper)))["branch"] == "'=1+1"
    assert {row["amount_rub"] for row in rows} == {"-0.30"}  # a negative amount stays a number
