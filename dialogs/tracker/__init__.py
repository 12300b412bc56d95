"""Dialogs of every tracker bot (the partner cabinet lives here). Built by a function so every
Dispatcher gets fresh Dialog objects (a Dialog is a Router and can have one parent only).

None of them traps a client: a dialog takes only the messages its current window asks for
(`dialogs.passthrough`); any other text or sticker goes on to the AI chat, any command runs."""

from aiogram import Dispatcher
from aiogram_dialog import setup_dialogs

from dialogs.passthrough import pass_unasked_messages
from dialogs.tracker.channels.dialogs import channels_dialog
from dialogs.tracker.notifications.dialogs import private_events_dialog
from dialogs.tracker.partner.dialogs import partner_dialog, partner_router
from dialogs.tracker.payouts.dialogs import payouts_dialog


def setup_tracker_dialogs(dp: Dispatcher) -> None:
    dp.include_router(partner_router())
    for dialog in (partner_dialog(), payouts_dialog(), channels_dialog()):
        dp.include_router(pass_unasked_messages(dialog))
    dp.include_router(pass_unasked_messages(private_events_dialog()))
    setup_dialogs(dp)
