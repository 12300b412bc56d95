"""Routers of every tracker bot: the paused gate first; `get_fallback_routers()` go after the
dialogs, so a dialog's text input is never taken by the fallback."""

from aiogram import Router

from handlers.tracker import basics


def get_routers() -> list[Router]:
    return [basics.paused_router(), basics.router()]


def get_fallback_routers() -> list[Router]:
    return [basics.fallback_router()]
