"""What authors owe for money they collected themselves (Stars, their own shop), and the admin's
record of a repayment. Admins only, like every admin screen."""

from __future__ import annotations

from aiogram_dialog import Dialog
from aiogram_dialog.widgets.kbd import Cancel, ScrollingGroup, SwitchTo

from dialogs.platform.admin_debts import handlers as h
from dialogs.platform.admin_debts.getters import debts_getter
from dialogs.platform.admin_gate import admin_only
from dialogs.platform.states import AdminDebtsSG
from dialogs.widgets import Tr, labelled_select, prompt_window, screen_window


def admin_debts_dialog() -> Dialog:
    return admin_only(Dialog(
        screen_window(
            (Tr("debts-title", when="has_debts"), Tr("debts-empty", when="no_debts")),
            ScrollingGroup(
                labelled_select("debt", "items", h.on_author_selected, int),
                id="debt_page", width=1, height=8, hide_on_single_page=True,
            ),
            Cancel(Tr("btn-back")),
            state=AdminDebtsSG.list,
            getter=debts_getter,
        ),
        prompt_window(Tr("debts-ask-amount"), h.on_amount_entered,
                      SwitchTo(Tr("btn-back"), id="back", state=AdminDebtsSG.list),
                      state=AdminDebtsSG.amount, getter=debts_getter),
    ))
