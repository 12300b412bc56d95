"""The cabinet's statement of settled periods: page by page (◀️ ▶️, "page 2 of 7"), each line
the date the share was credited, the client (by first name at the first level, deeper by the
branch it came through), the level, the period's margin and the partner's share, under the same
period filter as the links screen (one choice in `dialog_data`); and "📄 CSV", the same
statement with what later changed it and the partner's payouts, as one file.

Every figure is read from the asking person's own account (`billing.partner.statement`); the
API serves the same lines (/api/v1/trackers/{id}/periods), and its accruals and monthly
statements add up to them."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Sequence
from typing import Any

from aiogram.types import BufferedInputFile, CallbackQuery
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.kbd import Button, NextPage, PrevPage, Row, StubScroll, SwitchTo
from aiogram_dialog.widgets.text import Const, Format

import referral
from billing.partner import statement, totals
from dialogs.tracker.states import PartnerSG
from dialogs.widgets import Tr, labelled_select, screen_window
from i18n import format as fmt

PAGER_ID = "stmt_page"
# The CSV's columns: stable names for scripts and spreadsheets, like the API's CSV.
CSV_COLUMNS = ("record", "id", "date", "client", "branch", "level", "period_start", "period_end", "revenue_rub",
               "margin_rub", "amount_rub", "status")
# Excel reads a CSV without a byte-order mark in the system's ANSI code page: Cyrillic turns to junk.
CSV_ENCODING = "utf-8-sig"
# Telegram refuses a bot's upload above 50 MB: the person is told to narrow it. A row is some
# 80-130 bytes, so more accruals than MAX_CSV_ROWS cannot fit and are refused before reading.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
MAX_CSV_ROWS = 400_000


def current_period(manager: DialogManager) -> str:
    """The cabinet's period filter, shared with the links screen: "month", "last_month" or "all"."""
    period = manager.dialog_data.get("period", "all")
    return period if period in referral.PERIODS else "all"


def _level(role: str) -> int:
    """0 for the author's share, N for level N: one selector in the catalog's line."""
    return int(role[1:]) if role.startswith("l") and role[1:].isdigit() else 0


def who(i18n: Any, line: statement.StatementLine) -> str:
    """The client by first name, or past the first level only the branch they came through."""
    if line.role in ("author", "l1"):
        return line.client or i18n("statement-unnamed")
    return i18n("statement-branch", name=line.branch) if line.branch else i18n("statement-branch-unnamed")


def line_text(i18n: Any, line: statement.StatementLine, tz: str) -> str:
    return i18n("statement-line", date=fmt.day(line.at, tz, i18n.lang), client=who(i18n, line),
                level=_level(line.role), margin=fmt.rub(line.margin_kopecks, i18n.lang),
                share=fmt.rub(line.amount_kopecks, i18n.lang))


async def statement_getter(
    dialog_manager: DialogManager, tracker: Any, user: Any, i18n: Any, settings: Any, **_: Any
) -> dict:
    period = current_period(dialog_manager)
    scroll = dialog_manager.find(PAGER_ID)
    number = await scroll.get_page()  # type: ignore[union-attr]
    page = await statement.settled_page(tracker.id, user.id, window=referral.window_for(period, settings.timezone),
                                        page=number, tz=settings.timezone)
    if page.page != number:  # fewer lines than when the page was picked (another period): the last one
        await scroll.set_page(page.page)  # type: ignore[union-attr]
    return {
        "name": tracker.name,
        "period": period,
        "periods": [{"id": p, "label": i18n("partner-period-btn", period=p, on="yes" if p == period else "no")}
                    for p in referral.PERIODS],
        "has_lines": bool(page.lines),
        "empty": not page.lines,
        "count": page.count,
        "total": fmt.rub(page.total_kopecks, i18n.lang),
        "lines_text": "\n\n".join(line_text(i18n, line, settings.timezone) for line in page.lines),
        "pages": page.pages,
        "paged": page.pages > 1,
        "page_text": i18n("statement-page", page=page.page + 1, pages=page.pages),
        "empty_text": i18n("statement-empty", period=period),
    }


async def on_period(callback: CallbackQuery, _: Any, manager: DialogManager, item_id: str) -> None:
    manager.dialog_data["period"] = item_id if item_id in referral.PERIODS else "all"
    await manager.find(PAGER_ID).set_page(0)  # type: ignore[union-attr]


# A spreadsheet runs a cell that starts with one of these as a formula: a client named
# "=HYPERLINK(...)" must not run in the partner's Excel (OWASP's "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text_cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def statement_csv(
    lines: Sequence[statement.StatementLine], payouts: Sequence[statement.PayoutLine], tz: str
) -> bytes:
    """The rows as a spreadsheet opens them: amounts in plain decimal roubles, ISO dates in the
    platform's zone, people by first name only (never read as a formula). Ledger movements first,
    newest first (the accruals are the statement's lines in its order), then the payouts."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        writer.writerow((line.kind, line.entry_id, fmt.csv_day(line.at, tz), _text_cell(line.client),
                         _text_cell(line.branch), line.role,
                         fmt.csv_day(line.period_starts, tz), fmt.csv_day(line.period_ends, tz),
                         fmt.csv_rub(line.revenue_kopecks), fmt.csv_rub(line.margin_kopecks),
                         fmt.csv_rub(line.amount_kopecks), ""))
    for payout in payouts:
        writer.writerow(("payout", payout.payout_id, fmt.csv_day(payout.at, tz), "", "", "", "", "", "", "",
                         fmt.csv_rub(payout.amount_kopecks), payout.status))
    return out.getvalue().encode(CSV_ENCODING)


async def _too_big(callback: CallbackQuery, manager: DialogManager, i18n: Any, period: str) -> None:
    manager.show_mode = ShowMode.NO_UPDATE
    await callback.answer(i18n("statement-csv-too-big", period=period), show_alert=True)


async def on_csv(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    data = manager.middleware_data
    tracker, user, i18n, settings = data["tracker"], data["user"], data["i18n"], data["settings"]
    period = current_period(manager)
    window = referral.window_for(period, settings.timezone)
    # Counted from the running totals first: a file Telegram would refuse is not read at all (a
    # million lines take a minute to read on a loaded machine, benchmarks/README.md "cabinet").
    accruals, _ = await totals.counted(user.id, tracker.id, tz=settings.timezone,
                                       first_month=window.first_month if window else None,
                                       last_month=window.last_month if window else None)
    if accruals > MAX_CSV_ROWS:
        await _too_big(callback, manager, i18n, period)
        return
    lines = await statement.movements(tracker.id, user.id, window=window)
    payouts = await statement.payouts(user.id, window=window)
    if not lines and not payouts:
        manager.show_mode = ShowMode.NO_UPDATE
        await callback.answer(i18n("statement-csv-nothing"), show_alert=True)
        return
    # A big account's file is many thousands of rows: written off the event loop.
    body = await asyncio.to_thread(statement_csv, lines, payouts, settings.timezone)
    if len(body) > MAX_DOCUMENT_BYTES:
        await _too_big(callback, manager, i18n, period)
        return
    document = BufferedInputFile(body, f"statement-{tracker.username}-{period}.csv")
    await callback.message.answer_document(  # type: ignore[union-attr]
        document, caption=i18n("statement-csv-caption", name=tracker.name, period=period,
                               count=len(lines) + len(payouts)))
    await callback.answer()
    manager.show_mode = ShowMode.SEND  # the statement comes back below the file


def statement_window(back: SwitchTo):
    return screen_window(
        (Tr("statement-title"), Tr("partner-links-period"), Tr("statement-summary", when="has_lines"),
         Format("\n{lines_text}", when="has_lines"),
         Format("\n{page_text}", when="paged"),
         Format("\n{empty_text}", when="empty")),
        # The scroll holds the page number and draws nothing: in the pager's row, no empty row.
        Row(StubScroll(id=PAGER_ID, pages="pages"), PrevPage(scroll=PAGER_ID, text=Const("◀️")),
            NextPage(scroll=PAGER_ID, text=Const("▶️")), when="paged"),
        Row(labelled_select("stmt_period", "periods", on_period)),
        Button(Tr("statement-btn-csv"), id="stmt_csv", on_click=on_csv),
        back,
        state=PartnerSG.statement,
        getter=statement_getter,
    )
