"""Routers of the platform bot. `get_fallback_routers()` go after the dialogs, so a dialog's text
input is never taken by the fallback."""

from aiogram import Router

from handlers.platform import admin, start


def get_routers() -> list[Router]:
    return [start.router(), admin.router()]


def get_fallback_routers() -> list[Router]:
    return [start.fallback_router()]
