"""The author's trackers in the platform bot: list, new, card, rename, describe, pause/resume,
replace token, delete."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, Row, ScrollingGroup, Start, SwitchTo, Url, WebApp
from aiogram_dialog.widgets.link_preview import LinkPreview
from aiogram_dialog.widgets.text import Format

from dialogs.platform.admin.dialogs import admin_menu_button
from dialogs.platform.partners.handlers import on_open_partners
from dialogs.platform.plans.handlers import on_open_plans
from dialogs.platform.scenarios.handlers import on_open_ai
from dialogs.platform.states import ProgramsSG, TrackerSG, TrackersSG
from dialogs.platform.trackers import handlers as h
from dialogs.platform.trackers.dashboard import dashboard_getter, on_dashboard_chart
from dialogs.platform.trackers.getters import tracker_getter, trackers_getter
from dialogs.tracker.states import PayoutsSG
from dialogs.widgets import ERROR, Tr, labelled_select, prompt_window, screen_window

NO_PREVIEW = LinkPreview(is_disabled=True)


def trackers_dialog() -> Dialog:
    return Dialog(
        Window(
            Tr("menu-title"),
            Tr("menu-no-trackers", when=lambda d, *_: not d["has_trackers"]),
            Tr("menu-your-trackers", when="has_trackers"),
            ERROR,
            ScrollingGroup(
                labelled_select("trk", "trackers", h.on_tracker_selected, int),
                id="trk_page", width=1, height=8, hide_on_single_page=True,
            ),
            SwitchTo(Tr("btn-new-tracker"), id="new", state=TrackersSG.new_token),
            Start(Tr("programs-btn-open"), id="programs", state=ProgramsSG.main),
            Start(Tr("payouts-btn-open"), id="wallet", state=PayoutsSG.main),
            admin_menu_button(),
            state=TrackersSG.main,
            getter=trackers_getter,
        ),
        prompt_window(Tr("new-tracker-howto"), h.on_token_entered,
                      SwitchTo(Tr("btn-back"), id="back", state=TrackersSG.main),
                      state=TrackersSG.new_token, getter=trackers_getter, link_preview=NO_PREVIEW),
    )


def tracker_dialog() -> Dialog:
    back = SwitchTo(Tr("btn-back"), id="to_card", state=TrackerSG.card)
    return Dialog(
        screen_window(
            (Tr("tracker-created", when="created"),
             Tr("tracker-card", when=lambda d, *_: not d["missing"])),
            NO_PREVIEW,
            Row(
                Url(Tr("partner-btn-share"), Format("{share}"), id="share"),
                Button(Tr("partner-btn-qr"), id="qr", on_click=h.on_share_qr),
                when=lambda d, *_: not d["missing"],
            ),
            Column(
                SwitchTo(Tr("btn-edit-name"), id="name", state=TrackerSG.edit_name),
                SwitchTo(Tr("btn-edit-description"), id="descr", state=TrackerSG.edit_description),
                SwitchTo(Tr("btn-dashboard"), id="dashboard", state=TrackerSG.dashboard),
                WebApp(Tr("tracker-btn-webapp-dashboard"), Format("{webapp_dashboard}"), id="webapp_dashboard",
                       when="webapp_dashboard"),
                Button(Tr("btn-plans"), id="plans", on_click=on_open_plans),
                Button(Tr("btn-ai-settings"), id="ai", on_click=on_open_ai),
                Button(Tr("btn-partners"), id="partners", on_click=on_open_partners),
                Button(Tr("btn-partners-recruit"), id="recruit", on_click=h.on_partners_recruit),
                SwitchTo(Tr("btn-pause"), id="pause", state=TrackerSG.confirm_pause, when="is_active"),
                Button(Tr("btn-resume"), id="resume", on_click=h.on_resume, when="is_paused"),
                SwitchTo(Tr("btn-replace-token"), id="retoken", state=TrackerSG.replace_token),
                SwitchTo(Tr("btn-delete"), id="delete", state=TrackerSG.confirm_delete),
                when=lambda d, *_: not d["missing"],
            ),
            Cancel(Tr("btn-to-list")),
            state=TrackerSG.card,
            getter=tracker_getter,
        ),
        prompt_window(Tr("tracker-ask-name"), h.on_name_entered, back,
                      state=TrackerSG.edit_name, getter=tracker_getter),
        prompt_window(Tr("tracker-ask-description"), h.on_description_entered, back,
                      state=TrackerSG.edit_description, getter=tracker_getter),
        prompt_window(Tr("tracker-ask-token"), h.on_new_token_entered, back,
                      state=TrackerSG.replace_token, getter=tracker_getter, link_preview=NO_PREVIEW),
        Window(
            Format("{dashboard}", when="found"),
            ERROR,
            Button(Tr("btn-dashboard-chart"), id="dashboard_chart", on_click=on_dashboard_chart, when="found"),
            WebApp(Tr("tracker-btn-webapp-dashboard"), Format("{webapp_dashboard}"), id="webapp_dashboard",
                   when="webapp_dashboard"),
            back,
            state=TrackerSG.dashboard,
            getter=dashboard_getter,
        ),
        Window(
            Tr("tracker-pause-confirm"),
            Button(Tr("btn-pause-keep-stars"), id="keep", on_click=h.on_pause),
            Button(Tr("btn-pause-cancel-stars"), id="cancel_stars", on_click=h.on_pause_cancel_stars),
            back,
            state=TrackerSG.confirm_pause,
            getter=tracker_getter,
        ),
        Window(
            Tr("tracker-delete-confirm"),
            Button(Tr("btn-delete-yes"), id="yes", on_click=h.on_delete_confirmed),
            SwitchTo(Tr("btn-delete-no"), id="no", state=TrackerSG.card),
            state=TrackerSG.confirm_delete,
            getter=tracker_getter,
        ),
    )
