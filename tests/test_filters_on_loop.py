"""No filter of ours makes aiogram hop to a thread (services/filters.py): aiogram runs a callback
that is not a coroutine function, such as a bare magic filter, through asyncio.to_thread."""

from __future__ import annotations

import pytest
from aiogram import Dispatcher, F, Router
from aiogram.types import Chat, Message

import handlers.platform as platform_handlers
import handlers.tracker as tracker_handlers
from dialogs.platform import setup_platform_dialogs
from dialogs.tracker import setup_tracker_dialogs
from services.filters import on_loop

# aiogram-dialog's own background-update handler filters by `any_state` (a State's __call__):
# not ours, and only for its background updates.
NOT_OURS = {"aiogd_update"}


def filters_run_in_a_thread(router: Router) -> list[str]:
    found = []
    for name, observer in router.observers.items():
        if name in NOT_OURS:
            continue
        checks = list(observer._handler.filters or [])  # the router's own filters
        for handler in observer.handlers:
            checks += handler.filters or []
        found += [f"{router.name} {name}: {check.callback!r}" for check in checks if not check.awaitable]
    for sub in router.sub_routers:
        found += filters_run_in_a_thread(sub)
    return found


@pytest.mark.parametrize("handlers, setup_dialogs", [
    (tracker_handlers, setup_tracker_dialogs), (platform_handlers, setup_platform_dialogs)])
def test_every_filter_of_a_dispatcher_is_awaited_on_the_loop(handlers, setup_dialogs):
    dp = Dispatcher()
    dp.include_routers(*handlers.get_routers())
    setup_dialogs(dp)
    dp.include_routers(*handlers.get_fallback_routers())
    assert filters_run_in_a_thread(dp) == []


async def test_on_loop_answers_as_the_magic_filter_does():
    private = Message(message_id=1, date=0, chat=Chat(id=1, type="private"), text="/start")
    group = Message(message_id=2, date=0, chat=Chat(id=-1, type="group"), text="hi")
    assert await on_loop(F.chat.type == "private")(private) is True
    assert await on_loop(F.chat.type == "private")(group) is False
    assert not await on_loop(~F.text.startswith("/"))(private)
    assert await on_loop(F.text)(group) == "hi"
    assert not await on_loop(F.sticker)(group)
