"""Balance and payouts: the partner cabinet's "💸 Payouts" in every tracker bot, and the same
screen for authors in the platform bot (an author's money is the same account). Both bots share
`PayoutsSG`: each Dispatcher has its own dialog registry, so the function only has to build a
fresh Dialog (a Router with one parent) for each."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, SwitchTo, WebApp
from aiogram_dialog.widgets.text import Format

from dialogs.tracker.payouts import getters as g
from dialogs.tracker.payouts import handlers as h
from dialogs.tracker.states import PayoutsSG
from dialogs.widgets import ERROR, Tr, labelled_select, prompt_window, screen_window


def payouts_dialog() -> Dialog:
    sg = PayoutsSG
    back = SwitchTo(Tr("payouts-btn-back"), id="to_main", state=sg.main)
    cancel_form = SwitchTo(Tr("payouts-btn-cancel"), id="cancel_form", state=sg.main)
    return Dialog(
        screen_window(
            (Tr("payouts-main"),
             Tr("payouts-own-usage", when="has_own_usage"),
             Tr("payouts-main-too-little", when="too_little")),
            Column(
                Button(Tr("payouts-btn-withdraw"), id="withdraw", on_click=h.on_withdraw, when="can_withdraw"),
                SwitchTo(Tr("payouts-btn-history"), id="history", state=sg.history),
            ),
            Cancel(Tr("payouts-btn-close")),
            state=sg.main,
            getter=g.main_getter,
        ),
        prompt_window(Tr("payouts-ask-amount"), h.on_amount_entered,
                      Button(Tr("payouts-btn-all"), id="all", on_click=h.on_all), cancel_form,
                      state=sg.amount, getter=g.amount_getter),
        Window(
            Tr("payouts-ask-method"),
            ERROR,
            Column(labelled_select("method", "methods", h.on_method)),
            cancel_form,
            state=sg.method,
            getter=g.method_getter,
        ),
        Window(
            Tr("payouts-card-add"),
            Tr("payouts-card-again", when="card_again"),
            Tr("payouts-card-current", when="has_card"),
            Tr("payouts-card-no-webapp", when="no_webapp"),
            ERROR,
            WebApp(Tr("payouts-btn-add-card"), Format("{card_url}"), id="add_card", when="card_url"),
            Button(Tr("payouts-btn-card-done"), id="card_done", on_click=h.on_card_done, when="card_url"),
            SwitchTo(Tr("payouts-btn-back"), id="card_to_method", state=sg.method),
            state=sg.card,
            getter=g.card_getter,
        ),
        prompt_window(
            (Tr("payouts-ask-phone", when="is_sbp"),
             Tr("payouts-ask-wallet", when="is_wallet")),
            h.on_destination_entered,
            SwitchTo(Tr("payouts-btn-back"), id="to_method", state=sg.method),
            state=sg.destination, getter=g.destination_getter,
        ),
        prompt_window(Tr("payouts-ask-bank"), h.on_bank_entered,
                      SwitchTo(Tr("payouts-btn-back"), id="to_dest", state=sg.destination),
                      state=sg.bank, getter=g.destination_getter),
        Window(
            Tr("payouts-confirm"),
            ERROR,
            Button(Tr("payouts-btn-confirm"), id="confirm", on_click=h.on_confirm),
            SwitchTo(Tr("payouts-btn-change-card"), id="change_card", state=sg.card, when="is_card"),
            cancel_form,
            state=sg.confirm,
            getter=g.confirm_getter,
        ),
        screen_window(
            (Tr("payouts-history-title", when="has_payouts"),
             Format("{payouts_text}", when="has_payouts"),
             Tr("payouts-history-empty", when="no_payouts")),
            back,
            state=sg.history,
            getter=g.history_getter,
        ),
    )
