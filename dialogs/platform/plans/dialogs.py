"""The author's plans and prices of one tracker: day / month / quarter / year, each on sale with a
price or not on sale. Opened from the tracker card."""

from __future__ import annotations

from operator import itemgetter

from aiogram.enums import ContentType
from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.platform.plans import handlers as h
from dialogs.platform.plans.getters import plans_getter
from dialogs.platform.states import PlansSG
from dialogs.widgets import ERROR, NOTICE, Tr


def plans_dialog() -> Dialog:
    return Dialog(
        Window(
            Tr("plans-title", when=lambda d, *_: not d["missing"]),
            NOTICE,
            ERROR,
            Column(
                Select(Format("{item[label]}"), id="plan", item_id_getter=itemgetter("id"), items="plans",
                       on_click=h.on_plan_selected),
            ),
            Cancel(Tr("btn-back")),
            state=PlansSG.main,
            getter=plans_getter,
        ),
        Window(
            Tr("plans-ask-price"),
            ERROR,
            MessageInput(h.on_price_entered, content_types=[ContentType.TEXT]),
            Button(Tr("btn-plan-stop-selling"), id="stop", on_click=h.on_stop_selling, when="on_sale"),
            SwitchTo(Tr("btn-back"), id="back", state=PlansSG.main),
            state=PlansSG.price,
            getter=plans_getter,
        ),
    )
