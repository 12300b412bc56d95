"""Dialogs of every tracker bot (the partner cabinet lives here)."""

from aiogram import Dispatcher
from aiogram_dialog import setup_dialogs


def setup_tracker_dialogs(dp: Dispatcher) -> None:
    setup_dialogs(dp)
