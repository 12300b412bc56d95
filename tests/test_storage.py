import asyncio
import sqlite3
import threading
import time
from contextlib import closing

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey

from bot.storage import DbStorage
from models import FsmRecord
from tests.conftest import ON_POSTGRES
from tests.querycount import counting


class Form(StatesGroup):
    name = State()


async def test_state_and_data_survive_a_new_storage_object(database):
    key = StorageKey(bot_id=1, chat_id=10, user_id=10)
    first = DbStorage()
    await first.set_state(key, Form.name)
    await first.set_data(key, {"step": 2, "items": [1, 2]})

    second = DbStorage()  # as after a restart
    assert await second.get_state(key) == Form.name.state
    assert await second.get_data(key) == {"step": 2, "items": [1, 2]}


async def test_keys_are_separate_per_bot_and_destiny(database):
    storage = DbStorage()
    a = StorageKey(bot_id=1, chat_id=10, user_id=10)
    b = StorageKey(bot_id=2, chat_id=10, user_id=10)
    c = StorageKey(bot_id=1, chat_id=10, user_id=10, destiny="aiogram_dialog_stack")
    await storage.set_data(a, {"who": "a"})
    await storage.set_data(b, {"who": "b"})
    await storage.set_data(c, {"who": "c"})
    assert [(await storage.get_data(k))["who"] for k in (a, b, c)] == ["a", "b", "c"]


async def test_empty_records_are_deleted_not_kept_forever(database):
    storage = DbStorage()
    key = StorageKey(bot_id=1, chat_id=10, user_id=10)
    await storage.set_state(key, Form.name)
    await storage.set_data(key, {"x": 1})
    await storage.set_state(key, None)
    await storage.set_data(key, {})
    assert await FsmRecord.all().count() == 0


STACK = StorageKey(bot_id=1, chat_id=10, user_id=10, destiny="aiogram_dialog_stack")


async def in_an_update(work):
    """Each update runs in a task of its own, as the transport runs them."""
    return await asyncio.create_task(work())


async def test_an_update_without_a_dialog_saves_its_empty_stack_without_a_statement(database):
    storage = DbStorage()

    async def update():
        with counting() as queries:
            assert await storage.get_data(STACK) == {}  # aiogram-dialog's read: no dialog open
            await storage.set_data(STACK, {})  # and its save of the empty stack afterwards
        return queries

    queries = await in_an_update(update)
    assert len(queries) == 1 and "SELECT" in queries.log[0], queries


async def test_a_task_the_update_starts_does_not_inherit_what_it_read(database):
    storage = DbStorage()

    async def update():
        assert await storage.get_data(STACK) == {}
        await storage.set_data(STACK, {"stack": 1})  # the update opens a dialog...
        await storage.set_data(STACK, {})  # ...and closes it: known gone, so no second delete below

        async def started_by_it():  # a task the update started, which closes a dialog later
            with counting() as queries:
                await storage.set_data(STACK, {})
            return queries

        assert await storage.get_data(STACK) == {}
        return await asyncio.create_task(started_by_it())

    queries = await in_an_update(update)
    assert len(queries) == 1 and "DELETE" in queries.log[0], queries


async def test_a_stack_emptied_is_deleted_whoever_read_it_before(database):
    storage = DbStorage()

    async def read_none():
        assert await storage.get_data(STACK) == {}

    async def open_dialog():
        await storage.set_data(STACK, {"stack": 1})

    async def close_dialog():
        assert await storage.get_data(STACK) == {"stack": 1}
        await storage.set_data(STACK, {})

    await in_an_update(read_none)
    await in_an_update(open_dialog)
    await in_an_update(close_dialog)
    assert await FsmRecord.all().count() == 0

    async def open_and_close_in_one_update():
        assert await storage.get_data(STACK) == {}
        await storage.set_data(STACK, {"stack": 2})
        await storage.set_data(STACK, {})

    await in_an_update(open_and_close_in_one_update)
    assert await FsmRecord.all().count() == 0


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write lock between processes")
async def test_a_save_while_another_process_writes_waits_and_keeps_the_dialog(database, database_url):
    """Another process (`gptitor settle`, a second worker) holds the write lock and commits while a
    dialog's state is saved: the save waits for the lock and lands. A save that read before it
    wrote failed at once ("database is locked") and the person's open dialog went stale."""
    storage = DbStorage()
    key = StorageKey(bot_id=1, chat_id=10, user_id=10, destiny="aiogram_dialog_stack")
    await storage.set_data(key, {"stack": 1})
    path = database_url.removeprefix("sqlite://")
    held = threading.Event()

    def other_process_writes() -> None:
        with closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as con:
            con.execute("BEGIN IMMEDIATE")
            con.execute("UPDATE fsm_records SET updated_at = updated_at")
            held.set()
            time.sleep(0.5)  # our save starts meanwhile and must wait, not fail
            con.execute("COMMIT")

    other = threading.Thread(target=other_process_writes)
    other.start()
    try:
        assert await asyncio.to_thread(held.wait, 30)
        await storage.set_data(key, {"stack": 2})
    finally:
        await asyncio.to_thread(other.join)
    assert await storage.get_data(key) == {"stack": 2}
