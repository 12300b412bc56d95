from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey

from bot.storage import DbStorage
from models import FsmRecord


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


async def test_an_update_reads_the_persons_records_once_and_skips_deleting_what_is_not_there(database):
    from tests.querycount import counting

    storage = DbStorage()
    state_key = StorageKey(bot_id=1, chat_id=10, user_id=10)
    stack_key = StorageKey(bot_id=1, chat_id=10, user_id=10, destiny="aiogd:stack:")
    other = StorageKey(bot_id=1, chat_id=11, user_id=11, destiny="aiogd:stack:")
    await storage.set_data(stack_key, {"intents": ["a"]})
    await storage.set_data(other, {"intents": ["b"]})

    with counting() as queries:
        assert await storage.get_state(state_key) is None  # an update starts: one read of this person
        assert await storage.get_data(stack_key) == {"intents": ["a"]}  # from that read
        await storage.set_data(StorageKey(bot_id=1, chat_id=10, user_id=10, destiny="aiogd:stack:x"), {})
    assert len(queries) == 1, str(queries)

    await storage.set_data(stack_key, {})  # a record that is there is deleted
    assert await storage.get_data(stack_key) == {}
    assert await storage.get_data(other) == {"intents": ["b"]}  # another person: read on its own
    assert [r.key for r in await FsmRecord.all()] == [storage.key_builder.build(other, "data")]


async def test_a_task_started_by_an_update_reads_the_table_not_the_updates_memo(database):
    import asyncio

    storage = DbStorage()
    key = StorageKey(bot_id=1, chat_id=10, user_id=10, destiny="aiogd:stack:")
    await storage.get_state(StorageKey(bot_id=1, chat_id=10, user_id=10))  # the memo: nothing there

    async def later() -> dict:
        await DbStorage().set_data(key, {"intents": ["opened later"]})
        return await storage.get_data(key)

    assert await asyncio.create_task(later()) == {"intents": ["opened later"]}
    await storage.get_state(StorageKey(bot_id=1, chat_id=10, user_id=10))  # the next update reads afresh
    assert await storage.get_data(key) == {"intents": ["opened later"]}
