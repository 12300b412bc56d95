"""The partner's event channels: the list (or how to connect one) and one channel's choices:
which events, accruals one by one or a daily digest, a test post, disconnect. Started from the
partner cabinet's main window; "back" returns there."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, SwitchTo

from dialogs.tracker.channels import getters as g
from dialogs.tracker.channels import handlers as h
from dialogs.tracker.states import ChannelsSG
from dialogs.widgets import NOTICE, Tr, labelled_select, screen_window


def channels_dialog() -> Dialog:
    return Dialog(
        Window(
            Tr("channels-empty", when="empty"),
            Tr("channels-title", when="has_channels"),
            Tr("channels-howto", when="has_channels"),
            NOTICE,
            Column(
                labelled_select("chn", "channels", h.on_channel_selected),
            ),
            Cancel(Tr("channel-btn-back")),
            state=ChannelsSG.main,
            getter=g.list_getter,
        ),
        screen_window(
            Tr("channel-card", when="found"),
            Column(
                labelled_select("kind", "kinds", h.on_kind),
            ),
            Button(Tr("channel-btn-digest"), id="digest", on_click=h.on_digest, when="has_accruals"),
            Button(Tr("channel-btn-test"), id="test", on_click=h.on_test, when="connected"),
            Button(Tr("channel-btn-disconnect"), id="off", on_click=h.on_disconnect, when="connected"),
            SwitchTo(Tr("channel-btn-back"), id="to_list", state=ChannelsSG.main),
            state=ChannelsSG.channel,
            getter=g.channel_getter,
        ),
    )
