"""Dialogs of every tracker bot (the partner cabinet lives here). Built by a function so every
Dispatcher gets fresh Dialog objects (a Dialog is a Router and can have one parent only)."""

from aiogram import Dispatcher
from aiogram_dialog import setup_dialogs

from dialogs.tracker.channels.dialogs import channels_dialog
from dialogs.tracker.notifications.dialogs import private_events_dialog
from dialogs.tracker.partner.dialogs import partner_dialog, partner_router
from dialogs.tracker.payouts.dialogs import payouts_dialog


def setup_tracker_dialogs(dp: Dispatcher) -> None:
    dp.include_routers(partner_router(), partner_dialog())
    dp.include_router(payouts_dialog())
    dp.include_router(channels_dialog())
    dp.include_router(private_events_dialog())
    setup_dialogs(dp)
