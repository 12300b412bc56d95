"""/admin: the platform admin's menu. For anyone outside ADMIN_IDS the command does not exist:
the filter lets it fall through to the usual "unknown message" answer."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram_dialog import DialogManager, StartMode

from dialogs.platform.admin_gate import IsAdmin
from dialogs.platform.states import AdminSG


async def on_admin(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(AdminSG.menu, mode=StartMode.RESET_STACK)


def router() -> Router:
    r = Router(name="platform-admin")
    r.message.register(on_admin, Command("admin"), IsAdmin())
    return r
