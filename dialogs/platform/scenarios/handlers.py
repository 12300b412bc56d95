from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button

from billing.amounts import plain_decimal
from billing.cost_rules import CostRuleError, check_free_messages, check_limit
from billing.policy import load_policy
from billing.rates import rate_at
from dialogs.platform.scenarios.getters import owned_tracker
from dialogs.platform.states import AiSG
from dialogs.widgets import reader_lang
from i18n.format import rub
from llm import meetings as mt
from llm.conversation import Request
from llm.schedule import parse_weekly
from models import MeetingEnd, ModelPrice, Scenario, ScenarioTrigger, Tracker
from services import tracker_cache


async def on_open_ai(_: CallbackQuery, __: Button, manager: DialogManager) -> None:
    """From the tracker card: the AI panel of this tracker."""
    await manager.start(AiSG.panel, data={"tracker_id": int((manager.start_data or {})["tracker_id"])})


async def _tracker(manager: DialogManager) -> Tracker | None:
    tracker = await owned_tracker(manager)
    if tracker is None:
        manager.dialog_data["error"] = "tracker-not-found"
    return tracker


async def _scenario(manager: DialogManager) -> Scenario | None:
    tracker = await _tracker(manager)
    if tracker is None:
        return None
    return await Scenario.get_or_none(id=manager.dialog_data.get("scenario_id"), tracker_id=tracker.id)


def _number(text: str | None) -> Decimal | None:
    value = plain_decimal((text or "").strip())
    return value if value is not None and value >= 0 else None


async def on_prompt(message: Message, _: MessageInput, manager: DialogManager) -> None:
    if (tracker := await _tracker(manager)) is not None:
        await Tracker.filter(id=tracker.id).update(
            system_prompt=(message.text or "")[:8000], updated_at=datetime.now(UTC))
        tracker_cache.forget(tracker_id=tracker.id)
        manager.dialog_data["notice"] = "ai-saved"
        await manager.switch_to(AiSG.panel)


async def on_model(_: CallbackQuery, __: Any, manager: DialogManager, model: str) -> None:
    tracker = await _tracker(manager)
    if tracker is not None and await ModelPrice.filter(model=model, active=True).exists():
        await Tracker.filter(id=tracker.id).update(model=model, updated_at=datetime.now(UTC))
        tracker_cache.forget(tracker_id=tracker.id)
        manager.dialog_data["notice"] = "ai-saved"
    await manager.switch_to(AiSG.panel)


def _refusal(error: CostRuleError, lang: str | None) -> dict:
    """A cost rule's refusal for the dialog's error line, its amounts formatted; the cap stays a
    number, which the message's plural selector needs (Fluent groups it as `count` would)."""
    params = {k: rub(v, lang) if isinstance(v, int) and k != "cap" else v for k, v in error.params.items()}
    return {"key": error.key, "params": params}


async def on_free(message: Message, _: MessageInput, manager: DialogManager) -> None:
    value = _number(message.text)
    if value is None or value != value.to_integral_value() or value > 100000:
        manager.dialog_data["error"] = "ai-bad-number"
        return
    try:
        check_free_messages(int(value), await load_policy())
    except CostRuleError as error:
        manager.dialog_data["error"] = _refusal(error, reader_lang(manager))
        return
    if (tracker := await _tracker(manager)) is not None:
        await Tracker.filter(id=tracker.id).update(free_messages=int(value), updated_at=datetime.now(UTC))
        tracker_cache.forget(tracker_id=tracker.id)
        manager.dialog_data["notice"] = "ai-saved"
        await manager.switch_to(AiSG.panel)


async def on_limit(message: Message, _: MessageInput, manager: DialogManager) -> None:
    value = _number(message.text)
    if value is None or value > Decimal("1e9"):
        manager.dialog_data["error"] = "ai-bad-number"
        return
    if (tracker := await _tracker(manager)) is not None:
        try:
            await check_limit(tracker.id, value, await load_policy(), await rate_at(datetime.now(UTC)))
        except CostRuleError as error:
            manager.dialog_data["error"] = _refusal(error, reader_lang(manager))
            return
        await Tracker.filter(id=tracker.id).update(
            period_mj_limit=value if value > 0 else None, updated_at=datetime.now(UTC))
        tracker_cache.forget(tracker_id=tracker.id)
        manager.dialog_data["notice"] = "ai-saved"
        await manager.switch_to(AiSG.panel)


async def on_new_scenario(message: Message, _: MessageInput, manager: DialogManager) -> None:
    if (tracker := await _tracker(manager)) is not None:
        scenario = await Scenario.create(tracker_id=tracker.id, name=(message.text or "").strip()[:64] or "—")
        manager.dialog_data["scenario_id"] = scenario.id
        await manager.switch_to(AiSG.scenario_prompt)


async def on_scenario_selected(_: CallbackQuery, __: Any, manager: DialogManager, item_id: str) -> None:
    manager.dialog_data["scenario_id"] = int(item_id)
    manager.dialog_data.pop("meeting_id", None)
    await manager.switch_to(AiSG.scenario)


async def on_scenario_prompt(message: Message, _: MessageInput, manager: DialogManager) -> None:
    if (scenario := await _scenario(manager)) is not None:
        await Scenario.filter(id=scenario.id).update(prompt=(message.text or "")[:8000])
        manager.dialog_data["notice"] = "ai-saved"
        await manager.switch_to(AiSG.scenario)


async def on_scenario_when(message: Message, _: MessageInput, manager: DialogManager) -> None:
    text = (message.text or "").strip().lower()
    if text in ("once", "один раз", "однажды", "раз"):
        fields: dict[str, Any] = {"trigger": ScenarioTrigger.ONCE}
    elif text in ("demand", "on demand", "по запросу", "запрос", "по требованию"):
        fields = {"trigger": ScenarioTrigger.ON_DEMAND}
    elif (weekly := parse_weekly(text)) is not None and weekly[0]:
        fields = {
            "trigger": ScenarioTrigger.WEEKLY,
            "weekdays": ",".join(map(str, weekly[0])),
            "time_of_day": weekly[1],
        }
    else:
        manager.dialog_data["error"] = "ai-bad-when"
        return
    if (scenario := await _scenario(manager)) is not None:
        await Scenario.filter(id=scenario.id).update(**fields)
        manager.dialog_data["notice"] = "ai-saved"
        await manager.switch_to(AiSG.scenario)
        await manager.middleware_data["ai"].sweep()  # plan the new schedule for current subscribers


async def on_scenario_end(message: Message, _: MessageInput, manager: DialogManager) -> None:
    word, _, rest = (message.text or "").strip().partition(" ")
    word, rest = word.lower(), rest.strip()
    if word in ("end", "/end", "команда", "командой", "конец"):
        fields: dict[str, Any] = {"end_marker": "", "timeout_minutes": 0}
    elif word in ("marker", "маркер") and 0 < len(rest) <= 32:
        fields = {"end_marker": rest, "timeout_minutes": 0}
    elif word in ("timeout", "тайм-аут", "таймаут") and rest.isdigit() and 0 < int(rest) <= 10080:
        fields = {"end_marker": "", "timeout_minutes": int(rest)}
    else:
        manager.dialog_data["error"] = "ai-bad-end"
        return
    if (scenario := await _scenario(manager)) is not None:
        await Scenario.filter(id=scenario.id).update(**fields)
        manager.dialog_data["notice"] = "ai-saved"
        await manager.switch_to(AiSG.scenario)


async def on_scenario_delete(_: CallbackQuery, __: Button, manager: DialogManager) -> None:
    if (scenario := await _scenario(manager)) is not None:
        await Scenario.filter(id=scenario.id).update(active=False)  # kept: its meetings' history
    await manager.switch_to(AiSG.panel)


# -- the test chat ---------------------------------------------------------------------------


def _request(
    manager: DialogManager, tracker: Tracker, message: Message, text: str | None, scenario_id: int | None
) -> Request:
    data = manager.middleware_data
    sink = data["ai"].sink(message.bot, message.chat.id, data["i18n"])
    return Request(tracker.id, data["user"].id, text, sink, test=True, open_scenario_id=scenario_id)


async def on_test_start(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """The author meets the tracker as a client would: the meeting opens as it will for them."""
    scenario = await _scenario(manager)
    if scenario is None or callback.message is None:
        return
    tracker = await _tracker(manager)
    await callback.answer()
    await manager.switch_to(AiSG.test_chat)
    await manager.middleware_data["ai"].conversations.converse(
        _request(manager, tracker, callback.message, None, scenario.id)
    )
    meeting = await mt.current_meeting(tracker.id, manager.middleware_data["user"].id, test=True)
    manager.dialog_data["meeting_id"] = meeting.id if meeting else None
    manager.show_mode = ShowMode.SEND  # the window goes below the opening


async def on_test_message(message: Message, _: MessageInput, manager: DialogManager) -> None:
    tracker = await _tracker(manager)
    if tracker is None:
        return
    await manager.middleware_data["ai"].conversations.converse(_request(manager, tracker, message, message.text, None))
    manager.show_mode = ShowMode.SEND  # the window (with "End") goes below the answer
    meeting = await mt.current_meeting(tracker.id, manager.middleware_data["user"].id, test=True)
    if meeting is None:  # ended by the model's marker or a timeout: show the result
        await manager.switch_to(AiSG.test_result)


async def on_test_end(_: CallbackQuery, __: Button, manager: DialogManager) -> None:
    tracker = await _tracker(manager)
    if tracker is not None:
        await mt.end_current(tracker.id, manager.middleware_data["user"].id, MeetingEnd.COMMAND, test=True)
    await manager.switch_to(AiSG.test_result)
