"""The partner cabinet's actions. Every action on a link re-checks that the link is the asking
person's and of this tracker (`referral.get_link`): a forged callback gets nothing."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import Any

import segno
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button

import referral
from dialogs.tracker.partner.getters import link_url
from dialogs.tracker.states import PartnerSG
from i18n.format import rub
from services.charts import ChartText, EarningsCharts

log = logging.getLogger(__name__)


def _ctx(manager: DialogManager) -> tuple[Any, Any, Any]:
    data = manager.middleware_data
    return data["tracker"], data["user"], data["i18n"]


async def start_cabinet(manager: DialogManager) -> None:
    await manager.start(PartnerSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def _own_link(manager: DialogManager, link_id: Any):
    """The link if it is the asking person's and of this tracker, else None."""
    tracker, user, _ = _ctx(manager)
    try:
        link_id = int(link_id)
    except (TypeError, ValueError):
        return None
    link = await referral.get_link(link_id, user.id)
    if link is None or link.tracker_id != tracker.id:
        return None
    return link


async def _refuse(callback: CallbackQuery, manager: DialogManager) -> None:
    _, _, i18n = _ctx(manager)
    manager.show_mode = ShowMode.NO_UPDATE
    await callback.answer(i18n("referral-link-not-found"), show_alert=True)


async def on_link_selected(callback: CallbackQuery, _: Any, manager: DialogManager, item_id: str) -> None:
    link = await _own_link(manager, item_id)
    if link is None:
        log.info("partner cabinet: user %s asked for link %r that is not theirs", callback.from_user.id, item_id)
        await _refuse(callback, manager)
        return
    manager.dialog_data["link_id"] = link.id
    await manager.switch_to(PartnerSG.link)


async def _create_link(manager: DialogManager, label: str, *, makes_partner: bool = False) -> None:
    tracker, user, _i18n = _ctx(manager)
    try:
        link = await referral.create_link(tracker.id, user.id, label, makes_partner=makes_partner)
    except referral.ReferralError as exc:
        manager.dialog_data["error"] = exc.code
        return
    manager.dialog_data["link_id"] = link.id
    manager.dialog_data["notice"] = "partner-link-created"
    await manager.switch_to(PartnerSG.link)


async def on_label_entered(message: Message, _: MessageInput, manager: DialogManager) -> None:
    text = message.text or ""
    await _create_link(manager, "" if text.strip() == "-" else text)


async def on_create_unlabelled(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    await _create_link(manager, "")


async def on_period(callback: CallbackQuery, _: Any, manager: DialogManager, item_id: str) -> None:
    """The links screen's period: this month, the last one, or all time (an unknown one is all time)."""
    manager.dialog_data["period"] = item_id if item_id in referral.PERIODS else "all"


async def on_create_recruit_link(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """A "become my partner" link: whoever opens it gets a cabinet, with this partner as inviter.
    The domain re-checks that the author lets partners recruit (`referral-partner-link-author-only`)."""
    _tracker, _user, i18n = _ctx(manager)
    await _create_link(manager, i18n("partners-link-label"), makes_partner=True)


async def on_rename_entered(message: Message, _: MessageInput, manager: DialogManager) -> None:
    _tracker, user, _i18n = _ctx(manager)
    link = await _own_link(manager, manager.dialog_data.get("link_id"))
    if link is None:
        manager.dialog_data["error"] = "referral-link-not-found"
        await manager.switch_to(PartnerSG.links)
        return
    try:
        await referral.rename_link(link.id, user.id, message.text or "")
    except referral.ReferralError as exc:
        manager.dialog_data["error"] = exc.code
        return
    manager.dialog_data["notice"] = "partner-link-renamed"
    await manager.switch_to(PartnerSG.link)


async def on_archive(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    _tracker, user, _i18n = _ctx(manager)
    link = await _own_link(manager, manager.dialog_data.get("link_id"))
    if link is None:
        await _refuse(callback, manager)
        return
    await referral.archive_link(link.id, user.id)
    manager.dialog_data.pop("link_id", None)
    manager.dialog_data["notice"] = "partner-link-archived"
    await manager.switch_to(PartnerSG.links)


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


async def on_qr(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    tracker, _user, i18n = _ctx(manager)
    link = await _own_link(manager, manager.dialog_data.get("link_id"))
    if link is None:
        await _refuse(callback, manager)
        return
    url = link_url(tracker, link.code)
    png = await asyncio.to_thread(qr_png, url)
    await callback.message.answer_photo(BufferedInputFile(png, "invite-qr.png"),
                                        caption=i18n("partner-qr-caption", url=url))
    await callback.answer()
    manager.show_mode = ShowMode.SEND  # the cabinet comes back below the picture


def chart_text(i18n: Any, tracker: Any) -> ChartText:
    # All six levels named: the chart draws only those with money (deeper ones under a deeper schedule).
    roles = (("author", i18n("partner-chart-author")),
             *((f"l{n}", i18n("partner-chart-level", level=n)) for n in range(1, 7)))
    return ChartText(lang=i18n.lang, title=i18n("partner-chart-title", name=tracker.name),
                     currency=i18n("partner-chart-currency"), roles=roles)


async def on_chart(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """The 12-month chart: drawn in the charts' own executor, kept until the next accrual; pressed
    again too soon, or with nothing to draw, a sentence instead (`services.charts`)."""
    tracker, user, i18n = _ctx(manager)
    settings = manager.middleware_data["settings"]
    if not await referral.can_invite(tracker.id, user.id):
        await _refuse(callback, manager)
        return
    charts: EarningsCharts = manager.middleware_data["charts"]
    result = await charts.chart(tracker.id, user.id, chart_text(i18n, tracker), tz=settings.timezone)
    if result.wait_seconds or result.empty:
        manager.show_mode = ShowMode.NO_UPDATE
        message = i18n("partner-chart-wait", seconds=result.wait_seconds) if result.wait_seconds \
            else i18n("partner-chart-empty")
        await callback.answer(message, show_alert=True)
        return
    caption = i18n("partner-chart-caption", total=rub(result.total_kopecks, i18n.lang))
    await callback.message.answer_photo(BufferedInputFile(result.png, "earnings.png"), caption=caption)
    await callback.answer()
    manager.show_mode = ShowMode.SEND
