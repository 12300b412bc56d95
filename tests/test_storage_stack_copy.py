"""The dialog stack read together with the FSM state (bot.storage): one round trip instead of two
for every update, and never a stale stack. aiogram-dialog locks the stack only after the state
was read, so a copy that something in the process wrote over in between must be dropped."""

from __future__ import annotations

import asyncio
from unittest.mock import MagicMock

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram_dialog.context.storage import StorageProxy
from tortoise.transactions import in_transaction

from bot import storage as storage_module
from bot.storage import DbStorage, stack_key_of
from tests.querycount import counting

PERSON = StorageKey(bot_id=1, chat_id=10, user_id=10)


def dialogs_stack_key(key: StorageKey) -> StorageKey:
    """The default stack's key as aiogram-dialog itself builds it for that chat and person."""
    bot = MagicMock()
    bot.id = key.bot_id
    proxy = StorageProxy(storage=MagicMock(), events_isolation=MagicMock(), user_id=key.user_id, chat_id=key.chat_id,
                         thread_id=key.thread_id, business_connection_id=key.business_connection_id, bot=bot,
                         state_groups={})
    return proxy._stack_key("")


@pytest.mark.parametrize("key", [
    PERSON,  # a private chat
    StorageKey(bot_id=1, chat_id=-500, user_id=10),  # a group: a stack per person
    StorageKey(bot_id=1, chat_id=-500, user_id=10, thread_id=7),  # a forum topic
    StorageKey(bot_id=1, chat_id=10, user_id=10, business_connection_id="b1"),
])
def test_the_stack_key_is_the_one_aiogram_dialog_reads(key):
    assert stack_key_of(key) == dialogs_stack_key(key)
    assert stack_key_of(dialogs_stack_key(key)) is None  # only a state's key brings a stack along


async def in_an_update(work):
    return await asyncio.create_task(work())


async def test_the_state_read_brings_the_stack_and_the_stack_read_costs_nothing(database):
    storage = DbStorage()
    stack = stack_key_of(PERSON)
    await storage.set_data(stack, {"intents": ["menu"]})

    async def update():
        with counting() as queries:
            state = await storage.get_state(PERSON)
            data = await storage.get_data(stack)
            again = await storage.get_data(stack)  # a second read asks the database
        return state, data, again, len(queries)

    assert await in_an_update(update) == (None, {"intents": ["menu"]}, {"intents": ["menu"]}, 2)


async def test_a_stack_written_between_the_state_read_and_the_stack_read_is_read_again(database):
    storage = DbStorage()
    stack = stack_key_of(PERSON)
    await storage.set_data(stack, {"intents": ["old"]})
    state_read, written = asyncio.Event(), asyncio.Event()

    async def slow_update():
        await storage.get_state(PERSON)
        state_read.set()
        await written.wait()  # another update of the person's changes the stack meanwhile
        return await storage.get_data(stack)

    async def other_update():
        await state_read.wait()
        await storage.set_data(stack, {"intents": ["new"]})
        written.set()

    seen, _ = await asyncio.gather(in_an_update(slow_update), in_an_update(other_update))
    assert seen == {"intents": ["new"]}


async def test_a_stack_deleted_meanwhile_is_not_brought_back(database):
    storage = DbStorage()
    stack = stack_key_of(PERSON)
    await storage.set_data(stack, {"intents": ["menu"]})

    async def update():
        await storage.get_state(PERSON)
        await in_an_update(lambda: storage.set_data(stack, {}))  # closed by another update
        return await storage.get_data(stack)

    assert await in_an_update(update) == {}


async def test_another_tasks_copy_is_never_taken(database):
    storage = DbStorage()
    stack = stack_key_of(PERSON)
    await storage.set_data(stack, {"intents": ["menu"]})
    await storage.get_state(PERSON)  # this task's copy

    async def child():
        with counting() as queries:
            data = await storage.get_data(stack)
        return data, len(queries)

    assert await asyncio.create_task(child()) == ({"intents": ["menu"]}, 1)


async def test_a_write_inside_a_transaction_switches_the_copies_off(database, monkeypatch):
    monkeypatch.setitem(storage_module._copies, "on", True)
    storage = DbStorage()
    async with in_transaction():
        await storage.set_state(PERSON, "Form:name")
    assert storage_module._copies["on"] is False

    async def update():
        with counting() as queries:
            await storage.get_state(PERSON)
            await storage.get_data(stack_key_of(PERSON))
        return len(queries)

    assert await in_an_update(update) == 2  # each read asks the database again
