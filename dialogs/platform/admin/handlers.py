from __future__ import annotations

import logging
import os
import re
import tempfile
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import CallbackQuery, FSInputFile, Message
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button

from billing import admin as billing_admin
from billing import commission, rates, reports
from billing.admin import AdminInputError
from billing.commission import ScheduleError
from dialogs.platform.states import AdminSG
from dialogs.widgets import reader_lang
from i18n.format import month_of, sortable_time
from models import ModelPrice
from notify import outbox

log = logging.getLogger(__name__)

# Telegram takes documents up to 50 MB from a bot.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
MODEL_NAME_MAX = 128


def is_admin(manager: DialogManager) -> bool:
    data = manager.middleware_data
    user = data.get("event_from_user")
    settings = data.get("settings")
    return user is not None and settings is not None and user.id in settings.admin_ids


def admin_visible(_: dict, __: Any, manager: DialogManager) -> bool:
    """`when=` of the admin button in the start menu (the click is checked again)."""
    return is_admin(manager)


async def on_open_admin(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """The start menu's admin button. `when` only hides it: a hand-made callback lands here too."""
    if not is_admin(manager):
        await callback.answer()
        return
    await manager.start(AdminSG.menu)


def _fail(manager: DialogManager, key: str, **params: Any) -> None:
    manager.dialog_data["error"] = {"key": key, "params": {k: _plain(v, manager) for k, v in params.items()}}


def _done(manager: DialogManager, key: str, **params: Any) -> None:
    manager.dialog_data["notice"] = {"key": key, "params": params}


def _plain(value: Any, manager: DialogManager) -> Any:
    """Dialog data is stored: datetimes go in as the platform's local time text."""
    if isinstance(value, datetime):
        tz = manager.middleware_data["settings"].timezone
        return sortable_time(value, tz, lang=reader_lang(manager))
    return value


def parse_when(parts: list[str], tz: str) -> datetime | None:
    """Nothing: now (None). "DD.MM.YYYY" or "DD.MM.YYYY HH:MM" (as the screens show dates; ISO
    "YYYY-MM-DD" works too): that moment in the platform's zone."""
    if not parts:
        return None
    if len(parts) > 2:
        raise AdminInputError("admin-bad-date")
    try:
        day = datetime.strptime(parts[0], "%Y-%m-%d" if "-" in parts[0] else "%d.%m.%Y")
        if len(parts) == 2:
            clock = datetime.strptime(parts[1], "%H:%M")
            day = day.replace(hour=clock.hour, minute=clock.minute)
    except ValueError:
        raise AdminInputError("admin-bad-date") from None
    return day.replace(tzinfo=ZoneInfo(tz))


def _words(message: Message) -> list[str]:
    return (message.text or "").split()


# --- the mJ rate -------------------------------------------------------------------------------


async def on_rate_entered(message: Message, _: MessageInput, manager: DialogManager) -> None:
    words = _words(message)
    tz = manager.middleware_data["settings"].timezone
    try:
        if not words:
            raise AdminInputError("admin-bad-number", value="")
        value = billing_admin.parse_decimal(words[0], positive=True)
        rate = await billing_admin.add_admin_rate(value, parse_when(words[1:], tz))
    except AdminInputError as exc:
        _fail(manager, exc.key, **exc.params)
        return
    log.info("admin %s added the mJ rate %s from %s", message.from_user.id, rate.rub_per_mj, rate.valid_from)
    _done(manager, "admin-rate-added", rate=f"{value.normalize():f}", valid_from=_plain(rate.valid_from, manager))
    await manager.switch_to(AdminSG.rate)


# --- model prices ------------------------------------------------------------------------------


async def on_price_selected(_: CallbackQuery, __: Any, manager: DialogManager, item_id: int) -> None:
    manager.dialog_data["price_id"] = int(item_id)
    await manager.switch_to(AdminSG.price)


def _two_prices(words: list[str]) -> tuple[Any, Any]:
    if len(words) != 2:
        raise AdminInputError("admin-price-bad-format")
    return billing_admin.parse_decimal(words[0]), billing_admin.parse_decimal(words[1])


async def on_new_price_entered(message: Message, _: MessageInput, manager: DialogManager) -> None:
    words = _words(message)
    try:
        if len(words) != 3:
            raise AdminInputError("admin-price-new-bad-format")
        model = words[0]
        if len(model) > MODEL_NAME_MAX:
            raise AdminInputError("admin-price-new-bad-format")
        mj_in, mj_out = _two_prices(words[1:])
    except AdminInputError as exc:
        _fail(manager, exc.key, **exc.params)
        return
    price = await rates.set_model_price(model, mj_in, mj_out)
    log.info("admin %s priced %s at %s / %s mJ per 1K", message.from_user.id, model, mj_in, mj_out)
    manager.dialog_data["price_id"] = price.id
    _done(manager, "admin-price-saved", model=model)
    await manager.switch_to(AdminSG.price)


async def on_price_changed(message: Message, _: MessageInput, manager: DialogManager) -> None:
    price = await ModelPrice.get_or_none(id=manager.dialog_data.get("price_id", 0))
    if price is None:
        _fail(manager, "admin-price-missing")
        return
    try:
        mj_in, mj_out = _two_prices(_words(message))
    except AdminInputError as exc:
        _fail(manager, exc.key, **exc.params)
        return
    await rates.set_model_price(price.model, mj_in, mj_out)  # active again if it was not
    log.info("admin %s priced %s at %s / %s mJ per 1K", message.from_user.id, price.model, mj_in, mj_out)
    _done(manager, "admin-price-saved", model=price.model)


async def on_deactivate(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    price = await ModelPrice.get_or_none(id=manager.dialog_data.get("price_id", 0))
    if price is None:
        _fail(manager, "admin-price-missing")
        return
    await billing_admin.deactivate_model_price(price.model)
    log.info("admin %s deactivated %s", callback.from_user.id, price.model)
    _done(manager, "admin-price-deactivated", model=price.model)


# --- the commission schedule -------------------------------------------------------------------


# A word of a start date or time ("01.12.2026", "2026-12-01", "00:00"), never a share ("12.5").
_DATE_WORD = re.compile(r"\d{1,2}\.\d{1,2}\.\d{2,4}|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}:\d{2}")


async def on_commission_entered(message: Message, _: MessageInput, manager: DialogManager) -> None:
    words = _words(message)
    tz = manager.middleware_data["settings"].timezone
    # The shares come first, as many as the schedule has levels (+ platform and author); the
    # start date, if any, is the first word that reads as a date or a time.
    count = next((i for i, word in enumerate(words) if _DATE_WORD.fullmatch(word)), len(words))
    try:
        shares = commission.parse_shares(words[:count])
        valid_from = parse_when(words[count:], tz)
        row = await commission.add_schedule(shares, valid_from, created_by=message.from_user.id)
    except (ScheduleError, AdminInputError) as exc:
        _fail(manager, exc.key, **exc.params)
        return
    log.info("admin %s added a commission schedule from %s", message.from_user.id, row.valid_from)
    _done(manager, "admin-commission-added", valid_from=_plain(row.valid_from, manager))
    await manager.switch_to(AdminSG.commission)


async def on_unattributed_toggle(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """Who takes level 1 of a client nobody invited: the other rule, as a new schedule from now with
    the shares in force (a rule, like the shares, never changes what already ended)."""
    fallback = manager.middleware_data["settings"].commission
    schedule = await commission.schedule_in_force(fallback=fallback)
    rule = "platform" if schedule.pop("unattributed") == "author" else "author"
    try:
        row = await commission.add_schedule(schedule, created_by=callback.from_user.id, unattributed=rule)
    except ScheduleError as exc:
        _fail(manager, exc.key, **exc.params)
        return
    log.info("admin %s: clients without a link -> %s from %s", callback.from_user.id, rule, row.valid_from)
    _done(manager, "admin-unattributed-changed", valid_from=_plain(row.valid_from, manager), rule=rule)


# --- undelivered events ------------------------------------------------------------------------


async def on_retry_one(callback: CallbackQuery, _: Any, manager: DialogManager, item_id: int) -> None:
    if await outbox.retry(int(item_id)):
        _done(manager, "admin-events-retried", count=1)
    else:
        _fail(manager, "admin-events-gone")


async def on_retry_all(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    retried = 0
    # Each retried event leaves the list, so the first page is always the next one; the bound
    # stops a loop if an event cannot be put back.
    for _ in range(await outbox.count_undelivered() // 100 + 1):
        page = await outbox.undelivered(100, 0)
        if not page:
            break
        for event in page:
            retried += bool(await outbox.retry(event.id))
    manager.dialog_data["page"] = 0
    _done(manager, "admin-events-retried", count=retried)


async def on_page(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    step = 1 if button.widget_id == "ev_next" else -1
    manager.dialog_data["page"] = max(0, manager.dialog_data.get("page", 0) + step)


# --- totals and the CSV export -----------------------------------------------------------------


async def on_month_step(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    tz = manager.middleware_data["settings"].timezone
    month = manager.dialog_data.get("month") or reports.current_month(datetime.now(UTC), tz)
    manager.dialog_data["month"] = reports.shift_month(month, 1 if button.widget_id == "m_next" else -1)


async def on_month_entered(message: Message, _: MessageInput, manager: DialogManager) -> None:
    try:
        manager.dialog_data["month"] = reports.month_label(*reports.parse_month(message.text or ""))
    except reports.MonthError:
        _fail(manager, "admin-bad-month")


async def on_export(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    tz = manager.middleware_data["settings"].timezone
    i18n = manager.middleware_data["i18n"]
    month = manager.dialog_data.get("month") or reports.current_month(datetime.now(UTC), tz)
    await callback.answer(i18n("admin-export-started"))
    # A file on disk, written chunk by chunk: the export never holds the ledger in memory,
    # and Telegram is only called once the database work is done.
    fd, path = tempfile.mkstemp(prefix=f"ledger-{month}-", suffix=".csv")
    try:
        with os.fdopen(fd, "wb") as out:
            entries = await reports.write_ledger_csv(out, month, tz)
        size = os.path.getsize(path)
        if size > MAX_DOCUMENT_BYTES:
            _fail(manager, "admin-export-too-big", month=month_of(month, i18n.lang), size=size // (1024 * 1024))
            return
        await callback.message.answer_document(
            FSInputFile(path, filename=f"ledger-{month}.csv"),
            caption=i18n("admin-export-caption", month=month_of(month, i18n.lang), entries=entries, tz=tz),
        )
    finally:
        os.unlink(path)
    manager.show_mode = ShowMode.SEND  # the window again, below the document
