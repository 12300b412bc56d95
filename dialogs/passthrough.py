"""Dialogs that take only the messages they asked for.

aiogram-dialog registers each Dialog's message handler for every message while one of its windows
is the top of the stack: a window without an input then swallows any text, sticker or command and
shows itself again, so a client who opened the partner cabinet could no longer reach the AI, the
paywall or a command. `pass_unasked_messages` narrows that handler: the dialog takes a message only
when its current window has an input that accepts it (its content-type filter passes), and never a
command; everything else goes on to the routers after the dialogs (the AI chat, the help fallback).
"""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import Message
from aiogram_dialog import Dialog
from aiogram_dialog.api.internal.middleware import CONTEXT_KEY


class WindowAsksForMessage(Filter):
    """True when the dialog's current window has an input that would take this message."""

    def __init__(self, dialog: Dialog) -> None:
        self.dialog = dialog

    async def __call__(self, message: Message, **data: Any) -> bool:
        if (message.text or "").startswith("/"):
            return False  # a command always runs, whatever window is open
        context = data.get(CONTEXT_KEY)
        window = self.dialog.windows.get(context.state) if context is not None else None
        message_input = getattr(window, "on_message", None)
        if message_input is None:
            return False
        for input_filter in getattr(message_input, "filters", ()):  # e.g. text only
            if not await input_filter.call(message, **data):
                return False
        return True


def pass_unasked_messages(dialog: Dialog) -> Dialog:
    dialog.message.filter(WindowAsksForMessage(dialog))
    return dialog
