from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.input import MessageInput

from billing.collected import RepaymentError, parse_amount, record_repayment
from dialogs.platform.states import AdminDebtsSG
from dialogs.widgets import reader_lang
from i18n.format import rub


async def on_author_selected(_: CallbackQuery, __: Any, manager: DialogManager, item_id: int) -> None:
    manager.dialog_data["author_id"] = item_id
    await manager.switch_to(AdminDebtsSG.amount)


async def on_amount_entered(message: Message, _: MessageInput, manager: DialogManager) -> None:
    author_id = manager.dialog_data.get("author_id")
    if author_id is None:
        await manager.switch_to(AdminDebtsSG.list)
        return
    try:
        amount = parse_amount(message.text)
        await record_repayment(int(author_id), amount, admin_id=message.from_user.id)
    except RepaymentError as exc:
        params = {k: rub(v, reader_lang(manager)) if k == "owed" else v for k, v in exc.params.items()}
        manager.dialog_data["error"] = {"key": exc.key, "params": params}
        return
    manager.dialog_data["notice"] = {"key": "debts-recorded", "params": {"amount": rub(amount, reader_lang(manager))}}
    await manager.switch_to(AdminDebtsSG.list)
