"""The author's plans and prices of one tracker: day / month / quarter / year, each on sale with a
price or not on sale. Opened from the tracker card."""

from __future__ import annotations

from aiogram_dialog import Dialog
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, SwitchTo
from aiogram_dialog.widgets.link_preview import LinkPreview

from dialogs.platform.plans import handlers as h
from dialogs.platform.plans.getters import plans_getter
from dialogs.platform.states import PlansSG
from dialogs.widgets import Tr, labelled_select, prompt_window, screen_window

NO_PREVIEW = LinkPreview(is_disabled=True)


def plans_dialog() -> Dialog:
    return Dialog(
        screen_window(
            Tr("plans-title", when=lambda d, *_: not d["missing"]),
            Tr("plans-card-on", when="card_on"),
            Tr("plans-card-off", when=lambda d, *_: not d["missing"] and not d["card_on"]),
            Column(
                labelled_select("plan", "plans", h.on_plan_selected),
                SwitchTo(Tr("btn-card-payments"), id="card", state=PlansSG.card, when=lambda d, *_: not d["missing"]),
            ),
            Cancel(Tr("btn-back")),
            state=PlansSG.main,
            getter=plans_getter,
        ),
        prompt_window(Tr("plans-ask-price"), h.on_price_entered,
                      Button(Tr("btn-plan-stop-selling"), id="stop", on_click=h.on_stop_selling, when="on_sale"),
                      SwitchTo(Tr("btn-back"), id="back", state=PlansSG.main),
                      state=PlansSG.price, getter=plans_getter),
        prompt_window(Tr("card-howto"), h.on_card_token_entered,
                      Button(Tr("btn-card-disconnect"), id="card_off", on_click=h.on_card_disconnect, when="card_on"),
                      SwitchTo(Tr("btn-back"), id="back", state=PlansSG.main),
                      state=PlansSG.card, getter=plans_getter, link_preview=NO_PREVIEW),
    )
