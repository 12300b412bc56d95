"""Dialogs of the platform bot. Built by a function so every Dispatcher gets fresh Dialog objects
(a Dialog is a Router and can have one parent only)."""

from aiogram import Dispatcher
from aiogram_dialog import setup_dialogs

from dialogs.platform.admin.dialogs import admin_dialog
from dialogs.platform.admin_debts.dialogs import admin_debts_dialog
from dialogs.platform.admin_holds.dialogs import admin_holds_dialog
from dialogs.platform.admin_payouts.dialogs import admin_payouts_dialog, open_card_router
from dialogs.platform.partners.dialogs import partners_dialog
from dialogs.platform.plans.dialogs import plans_dialog
from dialogs.platform.programs.dialogs import programs_dialog
from dialogs.platform.scenarios.dialogs import ai_dialog
from dialogs.platform.trackers.dialogs import tracker_dialog, trackers_dialog
from dialogs.tracker.payouts.dialogs import payouts_dialog


def setup_platform_dialogs(dp: Dispatcher) -> None:
    dp.include_router(open_card_router())  # first: an open dialog takes every callback in its chat
    dp.include_routers(trackers_dialog(), tracker_dialog())
    dp.include_router(plans_dialog())
    dp.include_router(ai_dialog())
    dp.include_router(partners_dialog())
    dp.include_router(programs_dialog())
    dp.include_routers(payouts_dialog(), admin_payouts_dialog())
    dp.include_router(admin_dialog())
    dp.include_router(admin_debts_dialog())
    dp.include_router(admin_holds_dialog())
    setup_dialogs(dp)
