"""The platform admin's payout queue: pending requests → a request's card (the destination in
full) → pay through YooKassa, mark paid by hand with a reference, or reject with a reason; an
approved request stuck at YooKassa can be closed by hand (failed, or paid with a reference).
Opened from the admin menu or from the "new request" message; every window, button, input and
that message's button answers admins only."""

from __future__ import annotations

from aiogram import F, Router
from aiogram_dialog import Dialog
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, ScrollingGroup, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.platform.admin_gate import admin_only
from dialogs.platform.admin_payouts import getters as g
from dialogs.platform.admin_payouts import handlers as h
from dialogs.platform.states import AdminPayoutsSG
from dialogs.widgets import Tr, labelled_select, prompt_window, screen_window
from services.filters import on_loop
from services.outbox import OPEN_CARD


def open_card_router() -> Router:
    """The "open this request" button of the admins' new-request message (sent by the outbox,
    outside any dialog). Include it before the dialogs: a dialog answers every callback that
    comes while its window is the chat's open one, and would swallow this one."""
    router = admin_only(Router(name="admin-payouts-open"))
    router.callback_query.register(h.on_open_card, on_loop(F.data.startswith(OPEN_CARD)))
    return router


def admin_payouts_dialog() -> Dialog:
    to_card = SwitchTo(Tr("payouts-btn-back"), id="to_card", state=AdminPayoutsSG.payout)
    return admin_only(Dialog(
        screen_window(
            (Tr("admin-payouts-title", when="has_payouts"),
             Format("{payouts_text}", when="has_payouts"),
             Tr("admin-payouts-empty", when="no_payouts")),
            ScrollingGroup(
                labelled_select("po", "items", h.on_payout_selected),
                id="po_page", width=1, height=8, hide_on_single_page=True,
            ),
            Cancel(Tr("payouts-btn-close")),
            state=AdminPayoutsSG.queue,
            getter=g.queue_getter,
        ),
        screen_window(
            (Tr("admin-payouts-card", when="found"),
             Format("{extra}", when="extra"),
             Format("\n{stuck_text}", when="stuck"),
             Tr("admin-payouts-card-add-again", when="card_again")),
            Column(
                Button(Tr("admin-payouts-btn-yookassa"), id="yk", on_click=h.on_yookassa, when="can_yookassa"),
                SwitchTo(Tr("admin-payouts-btn-paid"), id="paid", state=AdminPayoutsSG.reference, when="requested",
                         on_click=h.on_decide),
                SwitchTo(Tr("admin-payouts-btn-reject"), id="reject", state=AdminPayoutsSG.reject_reason,
                         when="requested", on_click=h.on_decide),
                Button(Tr("admin-payouts-btn-check"), id="check", on_click=h.on_check, when="approved"),
                SwitchTo(Tr("admin-payouts-btn-close-failed"), id="close_failed", state=AdminPayoutsSG.reject_reason,
                         when="stuck", on_click=h.on_close),
                SwitchTo(Tr("admin-payouts-btn-close-paid"), id="close_paid", state=AdminPayoutsSG.reference,
                         when="stuck", on_click=h.on_close),
            ),
            SwitchTo(Tr("admin-payouts-btn-queue"), id="to_queue", state=AdminPayoutsSG.queue),
            state=AdminPayoutsSG.payout,
            getter=g.payout_getter,
        ),
        prompt_window((Tr("admin-payouts-ask-reference", when="deciding"),
                       Tr("admin-payouts-ask-close-reference", when="closing")),
                      h.on_reference_entered, to_card, state=AdminPayoutsSG.reference, getter=g.payout_getter),
        prompt_window((Tr("admin-payouts-ask-reason", when="deciding"),
                       Tr("admin-payouts-ask-close-reason", when="closing")),
                      h.on_reason_entered, to_card, state=AdminPayoutsSG.reject_reason, getter=g.payout_getter),
        on_start=h.on_start,
    ))
