"""An update's first round trip (bot.middlewares.upsert_user): the person's row upserted with their
FSM state and dialog stack read along, which the storage's reads then take without a query
(bot.storage.DbStorage.keep_read), unless something wrote the record in between."""

from __future__ import annotations

import asyncio

from aiogram.fsm.storage.base import StorageKey

from bot.middlewares import upsert_user
from bot.storage import DbStorage, stack_key_of
from models import User
from tests.querycount import counting

PERSON = StorageKey(bot_id=1, chat_id=10, user_id=10)
PROFILE = {"first_name": "Kim", "username": "kim", "language_code": "en"}


async def in_an_update(work):
    return await asyncio.create_task(work())


async def read_ahead(storage: DbStorage, key: StorageKey = PERSON) -> tuple[User, int]:
    """What UserMiddleware does before aiogram's FSM middleware: the number of round trips too."""
    keys = storage.read_ahead_keys(key)
    counters = storage.counters(keys)
    with counting() as queries:
        user, records = await upsert_user(key.user_id, PROFILE, keys)
    storage.keep_read(keys, counters, records)
    return user, len(queries)


async def test_the_upsert_reads_the_state_and_the_stack_along(database):
    storage = DbStorage()
    await storage.set_state(PERSON, "Form:name")
    await storage.set_data(stack_key_of(PERSON), {"intents": ["menu"]})

    async def update():
        user, trips = await read_ahead(storage)
        with counting() as queries:
            state = await storage.get_state(PERSON)
            stack = await storage.get_data(stack_key_of(PERSON))
        return user.first_name, trips, state, stack, len(queries)

    assert await in_an_update(update) == ("Kim", 1, "Form:name", {"intents": ["menu"]}, 0)
    assert (await User.get(id=10)).username == "kim"


async def test_a_person_without_records_is_upserted_and_reads_nothing_more(database):
    storage = DbStorage()

    async def update():
        user, trips = await read_ahead(storage, StorageKey(bot_id=1, chat_id=11, user_id=11))
        with counting() as queries:
            state = await storage.get_state(StorageKey(bot_id=1, chat_id=11, user_id=11))
        return user.id, trips, state, len(queries)

    assert await in_an_update(update) == (11, 1, None, 0)


async def test_a_profile_change_is_saved_by_the_same_round_trip(database):
    await upsert_user(10, PROFILE)
    user, records = await upsert_user(10, {**PROFILE, "first_name": "Kimberly"}, DbStorage().read_ahead_keys(PERSON))
    assert (user.first_name, records) == ("Kimberly", {})
    assert (await User.get(id=10)).first_name == "Kimberly"


async def test_a_state_written_after_the_read_ahead_is_read_again(database):
    storage = DbStorage()
    await storage.set_state(PERSON, "Form:name")
    read, written = asyncio.Event(), asyncio.Event()

    async def slow_update():
        await read_ahead(storage)
        read.set()
        await written.wait()  # another update of the person's moves the state meanwhile
        return await storage.get_state(PERSON)

    async def other_update():
        await read.wait()
        await storage.set_state(PERSON, "Form:age")
        written.set()

    seen, _ = await asyncio.gather(in_an_update(slow_update), in_an_update(other_update))
    assert seen == "Form:age"


async def test_a_read_ahead_copy_is_taken_once_and_by_its_own_task_only(database):
    storage = DbStorage()
    await storage.set_state(PERSON, "Form:name")

    async def update():
        await read_ahead(storage)

        async def child():
            with counting() as queries:
                return await storage.get_state(PERSON), len(queries)

        from_child = await asyncio.create_task(child())
        with counting() as first:
            await storage.get_state(PERSON)
        with counting() as second:
            again = await storage.get_state(PERSON)
        return from_child, len(first), again, len(second)

    assert await in_an_update(update) == (("Form:name", 1), 0, "Form:name", 1)
