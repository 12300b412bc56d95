"""The partner cabinet of every tracker bot: balance, links (funnel, create, rename, archive, QR,
share), earnings by level and month, the network, a chart and how the split works. Opened with
/partner or the greeting's button. Built by a function: one Dialog object per Dispatcher."""

from __future__ import annotations

import logging
from operator import itemgetter

from aiogram import F, Router
from aiogram.filters import Command, ExceptionTypeFilter
from aiogram.types import CallbackQuery, ErrorEvent, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState
from aiogram_dialog.widgets.kbd import (
    Button,
    Cancel,
    Column,
    Row,
    ScrollingGroup,
    Select,
    Start,
    SwitchTo,
    Url,
    WebApp,
)
from aiogram_dialog.widgets.link_preview import LinkPreview
from aiogram_dialog.widgets.text import Format

import referral
from dialogs.tracker.partner import api_tokens, statement
from dialogs.tracker.partner import getters as g
from dialogs.tracker.partner import handlers as h
from dialogs.tracker.states import ChannelsSG, PartnerSG, PayoutsSG, PrivateEventsSG
from dialogs.widgets import Tr, prompt_window, screen_window, tell_stale
from i18n.catalog import Translator
from services.filters import on_loop

log = logging.getLogger(__name__)
OPEN_CABINET = "partner:open"  # the greeting's button
# /start payload that opens the cabinet (the platform bot's "My partner programs" links here). An
# invite code is 16 random characters, so it is never this word.
CABINET_START = "partner"


def cabinet_url(bot_username: str) -> str:
    """https://t.me/<bot>?start=partner: opens that tracker bot with its partner cabinet."""
    return referral.deep_link(bot_username, CABINET_START)
NO_PREVIEW = LinkPreview(is_disabled=True)


def _back(state=PartnerSG.main) -> SwitchTo:
    return SwitchTo(Tr("partner-btn-back"), id=f"back_{state.state.split(':')[-1]}", state=state)


def partner_dialog() -> Dialog:
    return Dialog(
        Window(
            Tr("partner-main", when="allowed"),
            Tr("partner-balance-where", when="allowed"),
            Tr("partner-not-allowed", when="not_allowed"),
            Column(
                SwitchTo(Tr("partner-btn-links"), id="links", state=PartnerSG.links),
                SwitchTo(Tr("partner-btn-earnings"), id="earnings", state=PartnerSG.earnings),
                SwitchTo(Tr("partner-btn-statement"), id="statement", state=PartnerSG.statement),
                SwitchTo(Tr("partner-btn-network"), id="network", state=PartnerSG.network),
                Button(Tr("partner-btn-chart"), id="chart", on_click=h.on_chart),
                WebApp(Tr("partner-btn-webapp"), Format("{webapp_url}"), id="webapp", when="webapp_url"),
                SwitchTo(Tr("partner-btn-api"), id="api", state=PartnerSG.api),
                Start(Tr("payouts-btn-open"), id="payouts", state=PayoutsSG.main),
                Start(Tr("channel-btn-open"), id="channels", state=ChannelsSG.main),
                Start(Tr("private-btn-open"), id="private", state=PrivateEventsSG.main),
                when="allowed",
            ),
            SwitchTo(Tr("partner-btn-howto"), id="howto", state=PartnerSG.howto),
            Cancel(Tr("partner-btn-close")),
            state=PartnerSG.main,
            getter=g.main_getter,
        ),
        screen_window(
            (Tr("partner-links-period", when="allowed"),
             Tr("partner-links-title", when="has_links"),
             Format("{links_text}", when="has_links"),
             Tr("partner-links-empty", when="no_links"),
             Format("\n{total_text}", when="has_any"),
             Tr("partner-not-allowed-short", when=lambda d, *_: not d["allowed"])),
            NO_PREVIEW,
            Row(Select(Format("{item[label]}"), id="period", item_id_getter=itemgetter("id"), items="periods",
                       type_factory=str, on_click=h.on_period)),
            ScrollingGroup(
                Select(Format("🔗 {item[label]}"), id="lnk", item_id_getter=itemgetter("id"), items="links",
                       type_factory=str, on_click=h.on_link_selected),
                id="lnk_page", width=1, height=8, hide_on_single_page=True,
            ),
            SwitchTo(Tr("partner-btn-new-link"), id="new", state=PartnerSG.new_link, when="allowed"),
            Button(Tr("partner-btn-recruit-link"), id="recruit", on_click=h.on_create_recruit_link,
                   when="may_recruit"),
            _back(),
            state=PartnerSG.links,
            getter=g.links_getter,
        ),
        screen_window(
            Tr("partner-link-card", when="found"),
            NO_PREVIEW,
            Url(Tr("partner-btn-share"), Format("{share}"), id="share", when="found"),
            Row(
                Button(Tr("partner-btn-qr"), id="qr", on_click=h.on_qr),
                SwitchTo(Tr("partner-btn-rename"), id="rename", state=PartnerSG.rename),
                Button(Tr("partner-btn-archive"), id="archive", on_click=h.on_archive),
                when="found",
            ),
            _back(PartnerSG.links),
            state=PartnerSG.link,
            getter=g.link_getter,
        ),
        prompt_window(Tr("partner-ask-label"), h.on_label_entered,
                      Button(Tr("partner-btn-no-label"), id="nolabel", on_click=h.on_create_unlabelled),
                      _back(PartnerSG.links),
                      state=PartnerSG.new_link, getter=g.links_getter),
        prompt_window(Tr("partner-ask-rename"), h.on_rename_entered, _back(PartnerSG.link),
                      state=PartnerSG.rename, getter=g.link_getter),
        Window(
            Tr("partner-earnings"),
            _back(),
            state=PartnerSG.earnings,
            getter=g.earnings_getter,
        ),
        Window(
            Tr("partner-network", when="has_people"),
            Tr("partner-network-empty", when="empty"),
            _back(),
            state=PartnerSG.network,
            getter=g.network_getter,
        ),
        Window(
            Tr("partner-howto", when="has_price"),
            Tr("partner-howto-no-price", when="no_price"),
            Tr("partner-howto-unattributed-author", when="unattributed_to_author"),
            _back(),
            state=PartnerSG.howto,
            getter=g.howto_getter,
        ),
        api_tokens.tokens_window(_back()),
        statement.statement_window(_back()),
    )


async def on_stale_dialog(event: ErrorEvent, dialog_manager: DialogManager, i18n: Translator) -> None:
    """A cabinet button from before a restart or from a closed window: say so and open it again."""
    log.info("stale partner cabinet: %s", event.exception)
    await tell_stale(event.update.callback_query, i18n("dialog-expired"))
    await h.start_cabinet(dialog_manager)


async def on_partner_command(message: Message, dialog_manager: DialogManager) -> None:
    await h.start_cabinet(dialog_manager)


async def on_open_cabinet(callback: CallbackQuery, dialog_manager: DialogManager) -> None:
    await callback.answer()
    await h.start_cabinet(dialog_manager)


def partner_router() -> Router:
    """/partner and the greeting's button open the cabinet."""
    r = Router(name="tracker-partner")
    r.message.register(on_partner_command, Command("partner"))
    r.callback_query.register(on_open_cabinet, on_loop(F.data == OPEN_CABINET))
    r.errors.register(on_stale_dialog, ExceptionTypeFilter(UnknownIntent, OutdatedIntent, UnknownState))
    return r
