from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager

from billing import holds
from dialogs.platform.states import AdminHoldsSG
from i18n.format import rub


async def on_partner_selected(_: CallbackQuery, __: Any, manager: DialogManager, item_id: int) -> None:
    manager.dialog_data["partner_id"] = item_id
    await manager.switch_to(AdminHoldsSG.partner)


async def on_release(callback: CallbackQuery, _: Any, manager: DialogManager) -> None:
    await _decide(callback, manager, forfeit=False)


async def on_forfeit(callback: CallbackQuery, _: Any, manager: DialogManager) -> None:
    await _decide(callback, manager, forfeit=True)


async def _decide(callback: CallbackQuery, manager: DialogManager, *, forfeit: bool) -> None:
    partner_id = manager.dialog_data.get("partner_id")
    if partner_id is None:
        await manager.switch_to(AdminHoldsSG.list)
        return
    decide = holds.forfeit if forfeit else holds.release
    done = await decide(int(partner_id), admin_id=callback.from_user.id)
    if not done.shares:  # decided already (a second tap, another admin): nothing was left
        manager.dialog_data["notice"] = {"key": "holds-nothing-held", "params": {}}
    else:
        key = "holds-forfeited" if forfeit else "holds-released"
        lang = manager.middleware_data["i18n"].lang
        manager.dialog_data["notice"] = {"key": key, "params": {"amount": rub(done.kopecks, lang)}}
    await manager.switch_to(AdminHoldsSG.list)
