from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

from billing.collected import author_debts
from dialogs.widgets import flashes
from i18n.format import rub


async def debts_getter(dialog_manager: DialogManager, i18n, **_: Any) -> dict:
    debts = await author_debts()
    chosen = dialog_manager.dialog_data.get("author_id")
    current = next((d for d in debts if d.author_id == chosen), None)
    return {
        "has_debts": bool(debts),
        "no_debts": not debts,
        "total": rub(sum(d.owed_kopecks for d in debts), i18n.lang),
        "items": [{"id": d.author_id, "label": i18n("debts-line", name=d.name or str(d.author_id),
                                                    owed=rub(d.owed_kopecks, i18n.lang))} for d in debts],
        "name": (current.name or str(current.author_id)) if current else "",
        "owed": rub(current.owed_kopecks, i18n.lang) if current else rub(0, i18n.lang),
        "collected": rub(current.collected_kopecks, i18n.lang) if current else rub(0, i18n.lang),
        "repaid": rub(current.repaid_kopecks, i18n.lang) if current else rub(0, i18n.lang),
        **flashes(dialog_manager, i18n),
    }
