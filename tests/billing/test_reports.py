"""The admin's month totals and the ledger CSV against a settled scenario, to the kopeck.

Four clients of one tracker (author 1; partner 11 invited by the author):
- 5, invited by 11: a month for 2,000.00 with 600.005 RUB of tokens -> margin 1,399.99
- 6, no inviter:    a month for 1,000.01, no tokens                -> margin 1,000.01
- 7, no inviter:    a month for 500.00 with 800.00 of tokens       -> a loss of 300.00
- 9, no inviter:    a month from Jan 20 for 900.00, still open when February's settlement runs
Settlement runs on Feb 5 (Moscow) and again on Mar 2: a period belongs to the month it was settled in.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest

from billing.accounts import user_account_id
from billing.ledger import INSERT_ENTRY
from billing.reports import (
    CSV_COLUMNS,
    ledger_csv_chunks,
    month_bounds,
    month_totals,
    parse_month,
    rub_text,
    shift_month,
    write_ledger_csv,
)
from billing.settlement import settle_due_periods
from billing.subscriptions import create_subscription
from models import UsageRecord
from models.sql import default_connection, sql, ts
from tests.billing.helpers import MSK, at, join, make_tracker

T0 = at(2025, 1, 1, 9)
FEB_SETTLE = at(2025, 2, 5, 12)
MAR_SETTLE = at(2025, 3, 2, 12)


async def use(tracker, user_id, when, cost_ukop):
    await UsageRecord.create(tracker=tracker, user_id=user_id, model="m", input_tokens=1, output_tokens=1,
                             mj_micro=0, cost_ukop=cost_ukop, created_at=when)


@pytest.fixture
async def settled(database):
    tracker = await make_tracker(author_id=1)
    await join(tracker, 11, inviter=1)
    await join(tracker, 5, inviter=11)
    for user in (6, 7, 9):
        await join(tracker, user)
    await create_subscription(tracker.id, 5, "month", 200_000, T0, tz=MSK)
    await create_subscription(tracker.id, 6, "month", 100_001, T0, tz=MSK)
    await create_subscription(tracker.id, 7, "month", 50_000, T0, tz=MSK)
    await create_subscription(tracker.id, 9, "month", 90_000, at(2025, 1, 20, 9), tz=MSK)
    await use(tracker, 5, T0 + timedelta(days=3), 60_000_500_000)  # 600.005 RUB -> 60,001 kopecks
    await use(tracker, 7, T0 + timedelta(days=3), 80_000 * 1_000_000)
    await settle_due_periods(FEB_SETTLE)
    # An admin's correction of -0.05 RUB written in February (not a period's: not in the totals).
    conn = default_connection()
    await conn.execute_query(sql(conn, INSERT_ENTRY), [await user_account_id(11), "adjustment", "none", -5,
                                                       "adjustment", 1, None, ts(conn, FEB_SETTLE)])
    return tracker


async def test_february_totals(settled):
    feb = await month_totals("2025-02", MSK)
    assert (feb.periods, feb.revenue_kopecks, feb.token_cost_kopecks) == (3, 350_001, 140_001)
    assert feb.margin_kopecks == 210_000 and feb.loss_kopecks == -30_000
    # 1,399.99 split 20/20/30/20/10 is 280.00/280.00/419.99/280.00/140.00; 1,000.01 is
    # 200.00/200.00/300.01/200.00/100.00 with every level unheld.
    assert feb.by_role == {"platform": 48_000, "author": 48_000, "l1": 72_000, "l2": 48_000, "l3": 24_000}
    assert feb.unheld == {"l1": 30_001, "l2": 20_000, "l3": 24_000}
    assert feb.platform_kopecks == 48_000 + 74_001 - 30_000
    assert feb.paid_to_people_kopecks == 28_000 + 41_999 + 28_000 + 20_000  # author, 11 as l1, author as l2, author
    assert feb.platform_kopecks + feb.paid_to_people_kopecks == feb.margin_kopecks
    assert feb.open_due == 1  # client 9's month ends on Feb 20, settled only in March


async def test_a_period_counts_in_the_month_it_was_settled(settled):
    await settle_due_periods(MAR_SETTLE)
    assert (await month_totals("2025-02", MSK)).open_due == 0
    assert (await month_totals("2025-01", MSK)).periods == 0
    mar = await month_totals("2025-03", MSK)
    assert (mar.periods, mar.revenue_kopecks, mar.margin_kopecks, mar.open_due) == (1, 90_000, 90_000, 0)
    assert mar.by_role == {"platform": 18_000, "author": 18_000, "l1": 27_000, "l2": 18_000, "l3": 9_000}


async def test_the_csv_of_february(settled):
    out = io.BytesIO()
    assert await write_ledger_csv(out, "2025-02", MSK, chunk_rows=5) == 12
    rows = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    body = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]
    assert len(body) == 12
    assert [int(r["entry_id"]) for r in body] == sorted(int(r["entry_id"]) for r in body)
    assert {r["created_at"] for r in body} == {"2025-02-05T12:00:00+00:00"}
    period_rows = [r for r in body if r["source_type"] == "period"]
    assert sum(Decimal(r["amount_rub"]) for r in period_rows) == Decimal("2100.00")
    partner = [r for r in period_rows if r["account"] == "user:11"]
    assert [(r["user_id"], r["role"], r["kind"], r["amount_rub"], r["tracker"]) for r in partner] == [
        ("11", "l1", "accrual", "419.99", settled.username)]
    [loss] = [r for r in body if r["kind"] == "loss"]
    assert (loss["account"], loss["user_id"], loss["amount_rub"]) == ("platform", "", "-300.00")
    [adjustment] = [r for r in body if r["source_type"] == "adjustment"]
    assert (adjustment["amount_rub"], adjustment["tracker_id"], adjustment["tracker"]) == ("-0.05", "", "")

    # In chunks: the same bytes whatever the chunk size, and March holds only its own 5 entries.
    whole = io.BytesIO()
    await write_ledger_csv(whole, "2025-02", MSK)
    assert whole.getvalue() == out.getvalue()
    start, end = month_bounds("2025-02", MSK)
    sizes = [n async for _, n in ledger_csv_chunks(start, end, chunk_rows=5)]
    assert sizes == [0, 5, 5, 2]
    await settle_due_periods(MAR_SETTLE)
    assert await write_ledger_csv(io.BytesIO(), "2025-03", MSK) == 5
    assert await write_ledger_csv(io.BytesIO(), "2025-01", MSK) == 0


def test_months_and_roubles():
    assert month_bounds("2025-01", MSK)[0].isoformat() == "2025-01-01T00:00:00+03:00"
    assert month_bounds("2025-12", MSK)[1].isoformat() == "2026-01-01T00:00:00+03:00"
    assert shift_month("2025-01", -1) == "2024-12" and shift_month("2024-12", 1) == "2025-01"
    assert [rub_text(k) for k in (0, 5, -5, 123_456, -100)] == ["0.00", "0.05", "-0.05", "1234.56", "-1.00"]
    assert parse_month("02.2025") == parse_month("2025-02") == (2025, 2)  # as the screens write dates, or ISO
    for bad in ("2025-13", "25-1", "2025", "январь", "13.2025", "2.25"):
        with pytest.raises(ValueError):
            parse_month(bad)
