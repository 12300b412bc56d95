"""FSM and aiogram-dialog state in the database.

aiogram's MemoryStorage keeps a record per (bot, chat, user) forever and forgets every open dialog
on restart (aiogram-dialog then raises UnknownIntent). This storage keeps state in the `fsm_records`
table and deletes a record as soon as it is empty, so it neither leaks nor forgets. With REDIS_URL
set, aiogram's RedisStorage is used instead (see bot.app).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey

from models import FsmRecord
from models.sql import default_connection, sql, ts

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


class DbStorage(BaseStorage):
    def __init__(self, key_builder: KeyBuilder | None = None) -> None:
        # Many bots share this storage: the bot id must be part of the key, and aiogram-dialog
        # keeps its stacks under their own destiny.
        self.key_builder = key_builder or DefaultKeyBuilder(with_bot_id=True, with_destiny=True)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._save(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._read(self.key_builder.build(key, "state"))
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._save(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._read(self.key_builder.build(key, "data"))
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
        part = "state" if "state" in fields else "data"
        record_key = self.key_builder.build(key, part)
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
