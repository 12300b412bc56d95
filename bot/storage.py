"""FSM and aiogram-dialog state in the database.

aiogram's MemoryStorage keeps a record per (bot, chat, user) forever and forgets every open dialog
on restart (aiogram-dialog then raises UnknownIntent). This storage keeps state in the `fsm_records`
table and deletes a record as soon as it is empty, so it neither leaks nor forgets. With REDIS_URL
set, aiogram's RedisStorage is used instead (see bot.app), so this storage serves one process.

Every update reads the person's FSM state (aiogram) and then their dialog stack (aiogram-dialog):
two round trips, and a third for the person's row. bot.middlewares.UserMiddleware, aiogram's FSM
middleware with the person's step, reads both records along with the person's upsert under the
FSM lock (`read_ahead_keys`, `counters`, `keep_read`), and the state's and the stack's reads later
in the same update take them without a query if nothing in this process wrote the record in
between. aiogram-dialog locks the stack only after that read, so a copy is checked rather than
trusted: each write bumps a counter for its key (striped, so memory stays flat), and a copy whose
counter moved is dropped for a fresh read. A write made inside a database transaction would commit
after its bump; none is made (aiogram, aiogram-dialog and the handlers write outside any), and if
one ever is, the copies are switched off for good. Without a read ahead (an update with no
person), the state's read brings the stack's record along the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    DEFAULT_DESTINY,
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from aiogram_dialog.api.entities import DEFAULT_STACK_ID
from tortoise.backends.base.client import TransactionalDBClient

from models import FsmRecord
from models.sql import default_connection, sql, ts

log = logging.getLogger(__name__)

_DATA = FsmRecord._meta.fields_map["data"]
_UPSERT = (
    "INSERT INTO fsm_records (key, state, data, updated_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET {part} = excluded.{part}, updated_at = excluded.updated_at"
)

# The keys this update last found without a row. aiogram-dialog saves a person's empty stack after
# every update that had none; the DELETE that would cost is skipped when this update's own last
# read saw no row. Reads always go to the database: only a delete of nothing is saved, so no state
# comes from a stale copy. Each update runs in a task of its own; the knowledge is its task's
# (a task it starts copies the context, not the knowledge) and kept for a few dozen keys at most.
# The task itself, not its id(): a finished task's id can come back for another task.
_absent: ContextVar[tuple[object, frozenset[str]]] = ContextVar("fsm_keys_absent", default=(None, frozenset()))
_ABSENT_KEPT = 64


def _known_absent() -> frozenset[str]:
    task, keys = _absent.get()
    return keys if task is not None and task is asyncio.current_task() else frozenset()


def _seen(key: str, *, exists: bool) -> None:
    known = _known_absent()
    if exists:
        if key in known:
            _absent.set((asyncio.current_task(), known - {key}))
    elif key not in known:
        _absent.set((asyncio.current_task(), known | {key} if len(known) < _ABSENT_KEPT else frozenset({key})))


_STRIPES = 4096
_writes = [0] * _STRIPES  # finished writes per stripe of record keys, in this process
# The records this update read ahead: (task, {record key: (record or None, its stripe's counter
# before the read)}); each is taken once.
_copies_read: ContextVar[tuple[object, dict[str, tuple[FsmRecord | None, int]]] | None] = ContextVar(
    "fsm_copies_read", default=None)
_copies = {"on": True}


def _stripe(record_key: str) -> int:
    return hash(record_key) % _STRIPES


def stack_key_of(key: StorageKey) -> StorageKey | None:
    """The key under which aiogram-dialog keeps the default stack of the chat an FSM state key
    belongs to (as its StorageProxy builds it); None for a key that is not an FSM state's."""
    if key.destiny != DEFAULT_DESTINY:
        return None
    own_chat = key.user_id in (None, key.chat_id) and key.business_connection_id is None
    stack_id = DEFAULT_STACK_ID if own_chat else f"<{key.user_id}>"
    return StorageKey(
        bot_id=key.bot_id, chat_id=key.chat_id, user_id=key.chat_id, thread_id=key.thread_id,
        business_connection_id=key.business_connection_id, destiny=f"aiogd:stack:{stack_id}",
    )


class DbStorage(BaseStorage):
    def __init__(self, key_builder: KeyBuilder | None = None) -> None:
        # Many bots share this storage: the bot id must be part of the key, and aiogram-dialog
        # keeps its stacks under their own destiny.
        self.key_builder = key_builder or DefaultKeyBuilder(with_bot_id=True, with_destiny=True)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._save(key, state=value)

    def read_ahead_keys(self, key: StorageKey) -> list[str]:
        """The records an update of FSM state key `key` reads: its state's and its dialog stack's,
        for a caller that fetches them along with another statement (see `keep_read`); none while
        copies are off."""
        if not _copies["on"]:
            return []
        stack = stack_key_of(key)
        state_key = self.key_builder.build(key, "state")
        return [state_key] if stack is None else [state_key, self.key_builder.build(stack, "data")]

    @staticmethod
    def counters(record_keys: list[str]) -> list[int]:
        """Taken before the read whose records go to `keep_read`: a write that ends after it is seen."""
        return [_writes[_stripe(k)] for k in record_keys]

    @staticmethod
    def keep_read(record_keys: list[str], counters: list[int], found: Mapping[str, FsmRecord]) -> None:
        """Keeps what one read of `record_keys` found for this update's later reads, each taken once."""
        for record_key in record_keys:
            _seen(record_key, exists=record_key in found)
        _copies_read.set((asyncio.current_task(), {
            k: (found.get(k), counter) for k, counter in zip(record_keys, counters, strict=True)}))

    @staticmethod
    def _take(record_key: str) -> tuple[bool, FsmRecord | None]:
        """(True, the record or None) if this update read `record_key` ahead and nothing in this
        process wrote it since; (False, None) otherwise. A copy is taken once: any later read in the
        update asks the database."""
        copies = _copies_read.get()
        if copies is None or copies[0] is not asyncio.current_task() or record_key not in copies[1]:
            return False, None
        record, counter = copies[1].pop(record_key)
        if counter != _writes[_stripe(record_key)] or not _copies["on"]:
            return False, None
        return True, record

    async def get_state(self, key: StorageKey) -> str | None:
        state_key = self.key_builder.build(key, "state")
        taken, record = self._take(state_key)
        if not taken:
            record_keys = self.read_ahead_keys(key)
            if len(record_keys) < 2:
                record = await self._read(state_key)
            else:  # the stack's record comes along for aiogram-dialog's read
                counters = self.counters(record_keys[1:])
                found = {r.key: r for r in await FsmRecord.filter(key__in=record_keys)}
                _seen(state_key, exists=state_key in found)
                self.keep_read(record_keys[1:], counters, found)
                record = found.get(state_key)
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._save(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record_key = self.key_builder.build(key, "data")
        taken, record = self._take(record_key)
        if not taken:
            record = await self._read(record_key)
        return dict(record.data) if record else {}

    @staticmethod
    async def _read(record_key: str) -> FsmRecord | None:
        record = await FsmRecord.get_or_none(key=record_key)
        _seen(record_key, exists=record is not None)
        return record

    async def close(self) -> None:
        return None

    async def _save(self, key: StorageKey, **fields: Any) -> None:
        # State and data live in separate rows so that writing one never races the other.
        part: Literal["state", "data"] = "state" if "state" in fields else "data"
        record_key = self.key_builder.build(key, part)
        if isinstance(default_connection(), TransactionalDBClient) and _copies["on"]:
            _copies["on"] = False  # this write commits later than its bump below: see the module
            log.warning("an FSM write inside a database transaction: stack copies are off from now on")
        try:
            await self._write(record_key, part, fields)
        finally:
            _writes[_stripe(record_key)] += 1  # after the write: a copy read before it is dropped

    async def _write(self, record_key: str, part: str, fields: dict[str, Any]) -> None:
        if not fields.get(part):
            if record_key not in _known_absent():
                await FsmRecord.filter(key=record_key).delete()
                _seen(record_key, exists=False)
            return
        # One upsert, not update_or_create's read and then write: on SQLite a transaction that
        # reads first cannot take the write lock once another process has written meanwhile
        # ("database is locked" at once, busy_timeout or not), and the dialog's state was lost.
        conn = default_connection()
        state, data = (fields[part], {}) if part == "state" else (None, fields[part])
        _seen(record_key, exists=True)  # before the write: a failed write leaves it unknown, not absent
        await conn.execute_query(sql(conn, _UPSERT.format(part=part)), [
            record_key, state, _DATA.to_db_value(data, FsmRecord), ts(conn, datetime.now(UTC))])
