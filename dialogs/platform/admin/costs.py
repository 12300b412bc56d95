"""The admin's LLM cost settings (billing.policy): one window lists them, the admin types
"name value" to change one. Part of the admin dialog (guarded by `admin_only` there)."""

from __future__ import annotations

from typing import Any

from aiogram.types import Message
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.input import MessageInput

from billing import policy as cost_policy
from dialogs.widgets import flashes


async def costs_getter(dialog_manager: DialogManager, i18n, **_: Any) -> dict:
    current = await cost_policy.load_policy()
    lines = [
        i18n("costs-setting-line", name=name, value=value, changed="yes" if changed else "no")
        for name, value, changed in cost_policy.describe(current)
    ]
    return {"settings": "\n".join(lines), **flashes(dialog_manager, i18n)}


async def on_cost_setting(message: Message, _: MessageInput, manager: DialogManager) -> None:
    name, _sep, value = (message.text or "").strip().partition(" ")
    user = manager.middleware_data.get("event_from_user")
    try:
        await cost_policy.set_setting(name.strip().lower(), value, admin_id=user.id if user else None)
    except cost_policy.SettingError as error:
        manager.dialog_data["error"] = {"key": error.key, "params": {k: str(v) for k, v in error.params.items()}}
        return
    manager.dialog_data["notice"] = {"key": "costs-saved", "params": {"name": name.strip().lower()}}
