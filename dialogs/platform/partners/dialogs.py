"""The author's partners of one tracker, in the platform bot: each partner with their links,
subscribers brought and earnings per level; the author's own earnings as author and as partner;
"become my partner" links. Opened from the tracker card."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.kbd import (
    Button,
    Cancel,
    CurrentPage,
    FirstPage,
    LastPage,
    NextPage,
    PrevPage,
    Row,
    StubScroll,
    SwitchTo,
)
from aiogram_dialog.widgets.link_preview import LinkPreview
from aiogram_dialog.widgets.text import Const, Format

from dialogs.platform.partners import handlers as h
from dialogs.platform.partners.getters import PAGER_ID, partners_getter
from dialogs.platform.states import PartnersSG
from dialogs.widgets import ERROR, Tr

NO_PREVIEW = LinkPreview(is_disabled=True)


def _pager() -> Row:
    """⏮ ◀️ 3/25 ▶️ ⏭ under the page. The getter reads the page from the scroll and asks the
    database for that page only (`billing.partner.tracker_partners` with limit/offset)."""
    return Row(
        FirstPage(scroll=PAGER_ID, text=Const("⏮")),
        PrevPage(scroll=PAGER_ID, text=Const("◀️")),
        CurrentPage(scroll=PAGER_ID, text=Format("{current_page1}/{pages}")),
        NextPage(scroll=PAGER_ID, text=Const("▶️")),
        LastPage(scroll=PAGER_ID, text=Const("⏭")),
        when="paged",
    )


def partners_dialog() -> Dialog:
    return Dialog(
        Window(
            Tr("partners-title", when="found"),
            Format("{partners_text}", when="has_partners"),
            Tr("partners-empty", when=lambda d, *_: d["found"] and d["no_partners"]),
            ERROR,
            NO_PREVIEW,
            StubScroll(id=PAGER_ID, pages="pages"),
            _pager(),
            Button(Tr("btn-partner-link"), id="plink", on_click=h.on_create_partner_link, when="found"),
            Cancel(Tr("btn-back")),
            state=PartnersSG.main,
            getter=partners_getter,
        ),
        Window(
            Tr("partners-link-created"),
            NO_PREVIEW,
            SwitchTo(Tr("btn-back"), id="back", state=PartnersSG.main),
            state=PartnersSG.new_link,
            getter=partners_getter,
        ),
    )
