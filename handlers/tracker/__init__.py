"""Routers of every tracker bot: the paused gate first; `get_fallback_routers()` go after the
dialogs, so a dialog's text input is never taken by the fallback."""

from aiogram import Router

from handlers.tracker import basics, channels, chat, payments, renewal_price


def get_routers() -> list[Router]:
    # Payments first: money Telegram took is recorded even while the tracker is paused.
    return [payments.money_router(), basics.paused_router(), basics.router(), payments.router(), renewal_price.router(),
            channels.router()]


def get_fallback_routers() -> list[Router]:
    # The conversation takes a private text no dialog took; help only gets what is left.
    return [chat.router(), basics.fallback_router()]
