"""The author's AI panel of one tracker (opened from the tracker card): the system prompt, the
model from the admin's price list, free messages, the mJ limit per period, the scenarios, and the
test chat (the seed's "Chat") that shows what a meeting costs and the monthly estimate."""

from __future__ import annotations

from operator import itemgetter

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, ScrollingGroup, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.platform.scenarios import handlers as h
from dialogs.platform.scenarios.getters import panel_getter, scenario_getter
from dialogs.platform.states import AiSG
from dialogs.widgets import Tr, prompt_window, screen_window, text_input


def ai_dialog() -> Dialog:
    to_panel = SwitchTo(Tr("btn-back"), id="to_panel", state=AiSG.panel)
    to_scenario = SwitchTo(Tr("btn-back"), id="to_sc", state=AiSG.scenario)

    return Dialog(
        screen_window(
            Tr("ai-panel", when=lambda d, *_: not d["missing"]),
            Column(
                SwitchTo(Tr("btn-ai-prompt"), id="prompt", state=AiSG.prompt),
                SwitchTo(Tr("btn-ai-model"), id="model", state=AiSG.model),
                SwitchTo(Tr("btn-ai-free"), id="free", state=AiSG.free),
                SwitchTo(Tr("btn-ai-limit"), id="limit", state=AiSG.limit),
                when=lambda d, *_: not d["missing"],
            ),
            ScrollingGroup(
                Select(Format("📋 {item[name]}"), id="sc", item_id_getter=itemgetter("id"), items="scenarios",
                       on_click=h.on_scenario_selected),
                id="sc_page", width=1, height=6, hide_on_single_page=True,
            ),
            SwitchTo(Tr("btn-ai-new-scenario"), id="new_sc", state=AiSG.new_scenario,
                     when=lambda d, *_: not d["missing"]),
            Cancel(Tr("btn-back")),
            state=AiSG.panel,
            getter=panel_getter,
        ),
        prompt_window(Tr("ai-ask-prompt"), h.on_prompt, to_panel, state=AiSG.prompt, getter=panel_getter),
        Window(
            Tr("ai-pick-model", when="has_models"),
            Tr("ai-no-models", when=lambda d, *_: not d.get("has_models")),
            Column(Select(Format("{item[name]}"), id="mdl", item_id_getter=itemgetter("id"), items="models",
                          on_click=h.on_model)),
            to_panel,
            state=AiSG.model,
            getter=panel_getter,
        ),
        prompt_window(Tr("ai-ask-free"), h.on_free, to_panel, state=AiSG.free, getter=panel_getter),
        prompt_window(Tr("ai-ask-limit"), h.on_limit, to_panel, state=AiSG.limit, getter=panel_getter),
        prompt_window(Tr("ai-ask-scenario-name"), h.on_new_scenario, to_panel, state=AiSG.new_scenario,
                      getter=panel_getter),
        screen_window(
            Tr("ai-scenario-card", when=lambda d, *_: not d["missing"]),
            Column(
                Button(Tr("btn-ai-test-chat"), id="test", on_click=h.on_test_start),
                SwitchTo(Tr("btn-ai-scenario-prompt"), id="sc_prompt", state=AiSG.scenario_prompt),
                SwitchTo(Tr("btn-ai-scenario-when"), id="sc_when", state=AiSG.scenario_when),
                SwitchTo(Tr("btn-ai-scenario-end"), id="sc_end", state=AiSG.scenario_end),
                Button(Tr("btn-ai-scenario-delete"), id="sc_del", on_click=h.on_scenario_delete),
                when=lambda d, *_: not d["missing"],
            ),
            to_panel,
            state=AiSG.scenario,
            getter=scenario_getter,
        ),
        prompt_window(Tr("ai-ask-scenario-prompt"), h.on_scenario_prompt, to_scenario, state=AiSG.scenario_prompt,
                      getter=scenario_getter),
        prompt_window(Tr("ai-ask-scenario-when"), h.on_scenario_when, to_scenario, state=AiSG.scenario_when,
                      getter=scenario_getter),
        prompt_window(Tr("ai-ask-scenario-end"), h.on_scenario_end, to_scenario, state=AiSG.scenario_end,
                      getter=scenario_getter),
        Window(
            Tr("ai-test-chat"),
            text_input(h.on_test_message),
            Button(Tr("btn-ai-test-end"), id="test_end", on_click=h.on_test_end),
            state=AiSG.test_chat,
            getter=scenario_getter,
        ),
        Window(
            Tr("ai-test-result"),
            to_scenario,
            state=AiSG.test_result,
            getter=scenario_getter,
        ),
    )
