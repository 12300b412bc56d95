"""aiogram-dialog widgets that take their text from the locale catalogs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from aiogram.enums import ContentType
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery
from aiogram_dialog import Window
from aiogram_dialog.api.protocols import DialogManager
from aiogram_dialog.widgets.common import WhenCondition
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Select
from aiogram_dialog.widgets.link_preview import LinkPreview
from aiogram_dialog.widgets.text import Format, Text

_FLUENT_TYPES = (str, int, float, Decimal, date, datetime)


class Tr(Text):
    """`Tr("key")` renders locale key `key` in the user's language, with the window's data
    (getter values that are plain scalars) as Fluent arguments."""

    def __init__(self, key: str, when: WhenCondition = None, **params: Any) -> None:
        super().__init__(when=when)
        self.key = key
        self.params = params

    async def _render_text(self, data: dict, manager: DialogManager) -> str:
        i18n = manager.middleware_data["i18n"]
        args = {k: v for k, v in data.items() if isinstance(v, _FLUENT_TYPES) and not isinstance(v, bool)}
        args.update(self.params)
        return i18n(self.key, **args)


# The result of the last action, shown once under a window's text. A handler stores a locale key
# (or {"key": ..., "params": {...}}) in dialog_data["error"] or ["notice"]; the getter passes it
# through `flash`, which removes it, so the next render is clean.
ERROR = Format("\n⚠️ {error}", when="error")
NOTICE = Format("\n✅ {notice}", when="notice")


def flash(manager: DialogManager, name: str, i18n: Any) -> str:
    value = manager.dialog_data.pop(name, None)
    if not value:
        return ""
    if isinstance(value, dict):
        return i18n(value["key"], **value.get("params", {}))
    return i18n(value)


def reader_lang(manager: DialogManager) -> str | None:
    """The catalog language of the person the dialog talks to, for i18n.format in handlers that
    store an already formatted amount in a flash."""
    i18n = manager.middleware_data.get("i18n")
    return getattr(i18n, "lang", None)


def flashes(manager: DialogManager, i18n: Any) -> dict[str, str]:
    """`error` and `notice` for a getter's result."""
    return {"error": flash(manager, "error", i18n), "notice": flash(manager, "notice", i18n)}


def text_input(handler: Any) -> MessageInput:
    """What the person types next, as text (photos and stickers are not answers)."""
    return MessageInput(handler, content_types=[ContentType.TEXT])


def labelled_select(widget_id: str, items: str, on_click: Any, type_factory: Any = str) -> Select:
    """One button per item of the getter's list `items`, each a dict with "id" and "label"."""
    return Select(Format("{item[label]}"), id=widget_id, item_id_getter=itemgetter("id"), items=items,
                  type_factory=type_factory, on_click=on_click)


def _texts(text: Text | Sequence[Text]) -> tuple[Text, ...]:
    return tuple(text) if isinstance(text, (list, tuple)) else (text,)


def screen_window(text: Text | Sequence[Text], *widgets: Any, state: State, getter: Any = None) -> Window:
    """A window that shows something and offers what to do with it: the text (one, or several
    shown by their `when=`), the notice and the error of the last action, then `widgets` in their
    order (buttons, link preview, an input; the way back last)."""
    return Window(*_texts(text), NOTICE, ERROR, *widgets, state=state, getter=getter)


def prompt_window(text: Text | Sequence[Text], on_input: Any, *buttons: Any, state: State, getter: Any = None,
                  link_preview: LinkPreview | None = None) -> Window:
    """A window that asks for one typed answer: the question (one text, or several shown by their
    `when=`), the last error, the link preview if given, the text input, then `buttons` in their
    order (the way back last). Every "...-ask" window of the dialogs is this one shape."""
    preview = () if link_preview is None else (link_preview,)
    return Window(*_texts(text), ERROR, *preview, text_input(on_input), *buttons, state=state, getter=getter)


async def tell_stale(callback: CallbackQuery | None, text: str) -> None:
    """Say on a button that its menu is out of date. The handler that failed may have answered the
    query already, and Telegram refuses a second answer: the menu shown next is what matters, so a
    refused answer must not stop it."""
    if callback is None:
        return
    try:
        await callback.answer(text)
    except TelegramBadRequest:
        pass
