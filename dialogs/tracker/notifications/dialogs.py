"""Events in the private chat: which kinds the tracker bot sends here, accruals as they settle or
as a daily digest. Started from the partner cabinet's main window; "back" returns there."""

from __future__ import annotations

from aiogram_dialog import Dialog
from aiogram_dialog.widgets.kbd import Button, Cancel, Column

from dialogs.tracker.notifications import getters as g
from dialogs.tracker.notifications import handlers as h
from dialogs.tracker.states import PrivateEventsSG
from dialogs.widgets import Tr, labelled_select, screen_window


def private_events_dialog() -> Dialog:
    return Dialog(
        screen_window(
            (Tr("private-events-title"), Tr("private-events-channel", when="has_channel")),
            Column(labelled_select("pkind", "kinds", h.on_kind)),
            Button(Tr("channel-btn-digest"), id="pdigest", on_click=h.on_digest, when="has_accruals"),
            Cancel(Tr("channel-btn-back")),
            state=PrivateEventsSG.main,
            getter=g.private_events_getter,
        ),
    )
