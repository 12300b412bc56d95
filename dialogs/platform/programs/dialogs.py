""""My partner programs" in the platform bot: every tracker the person promotes (as a partner, a
paying client who may invite, or an author with links), their earnings on each, a link that opens
each tracker's cabinet, and the platform-wide balance once, with the way to withdraw it."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.kbd import Cancel, Start, WebApp
from aiogram_dialog.widgets.link_preview import LinkPreview
from aiogram_dialog.widgets.text import Format

from dialogs.platform.programs.getters import programs_getter
from dialogs.platform.states import ProgramsSG
from dialogs.tracker.states import PayoutsSG
from dialogs.widgets import Tr


def programs_dialog() -> Dialog:
    return Dialog(
        Window(
            Tr("programs-title"),
            Format("{programs_text}", when="has_programs"),
            Tr("programs-empty", when="no_programs"),
            Tr("programs-balance"),
            LinkPreview(is_disabled=True),
            WebApp(Tr("programs-btn-webapp"), Format("{webapp_programs}"), id="webapp", when="webapp_programs"),
            Start(Tr("payouts-btn-open"), id="wallet", state=PayoutsSG.main),
            Cancel(Tr("btn-back")),
            state=ProgramsSG.main,
            getter=programs_getter,
        ),
    )
