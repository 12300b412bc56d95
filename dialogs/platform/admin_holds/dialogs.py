"""Partners flagged for fraud, each with the reasons and the money held; release (the money
becomes theirs to withdraw, the flags are cleared) or forfeit (it goes to the platform, the flags
stay). Admins only, like every admin screen."""

from __future__ import annotations

from aiogram_dialog import Dialog
from aiogram_dialog.widgets.kbd import Button, Cancel, Row, ScrollingGroup, SwitchTo

from dialogs.platform.admin_gate import admin_only
from dialogs.platform.admin_holds import handlers as h
from dialogs.platform.admin_holds.getters import holds_getter
from dialogs.platform.states import AdminHoldsSG
from dialogs.widgets import Tr, labelled_select, screen_window


def admin_holds_dialog() -> Dialog:
    return admin_only(Dialog(
        screen_window(
            (Tr("holds-title", when="has_flagged"), Tr("holds-empty", when="no_flagged")),
            ScrollingGroup(
                labelled_select("holds_partner", "items", h.on_partner_selected, int),
                id="holds_page", width=1, height=8, hide_on_single_page=True,
            ),
            Cancel(Tr("btn-back")),
            state=AdminHoldsSG.list,
            getter=holds_getter,
        ),
        screen_window(
            Tr("holds-partner"),
            Row(
                Button(Tr("holds-btn-release"), id="holds_release", on_click=h.on_release, when="has_held"),
                Button(Tr("holds-btn-forfeit"), id="holds_forfeit", on_click=h.on_forfeit, when="has_held"),
            ),
            SwitchTo(Tr("btn-back"), id="holds_back", state=AdminHoldsSG.list),
            state=AdminHoldsSG.partner,
            getter=holds_getter,
        ),
    ))
