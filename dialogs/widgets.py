"""aiogram-dialog widgets that take their text from the locale catalogs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from aiogram_dialog.api.protocols import DialogManager
from aiogram_dialog.widgets.common import WhenCondition
from aiogram_dialog.widgets.text import Text

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
