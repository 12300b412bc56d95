"""FSM and aiogram-dialog state in the database.

aiogram's MemoryStorage keeps a record per (bot, chat, user) forever and forgets every open dialog
on restart (aiogram-dialog then raises UnknownIntent). This storage keeps state in the `fsm_records`
table and deletes a record as soon as it is empty, so it neither leaks nor forgets. With REDIS_URL
set, aiogram's RedisStorage is used instead (see bot.app).
"""

from __future__ import annotations

from collections.abc import Mapping
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


class DbStorage(BaseStorage):
    def __init__(self, key_builder: KeyBuilder | None = None) -> None:
        # Many bots share this storage: the bot id must be part of the key, and aiogram-dialog
        # keeps its stacks under their own destiny.
        self.key_builder = key_builder or DefaultKeyBuilder(with_bot_id=True, with_destiny=True)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._save(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        record = await FsmRecord.get_or_none(key=self.key_builder.build(key, "state"))
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._save(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await FsmRecord.get_or_none(key=self.key_builder.build(key, "data"))
        return dict(record.data) if record else {}

    async def close(self) -> None:
        return None

    async def _save(self, key: StorageKey, **fields: Any) -> None:
        # State and data live in separate rows so that writing one never races the other.
        part = "state" if "state" in fields else "data"
        record_key = self.key_builder.build(key, part)
        if not fields.get(part):
            await FsmRecord.filter(key=record_key).delete()
            return
        # One upsert, not update_or_create's read and then write: on SQLite a transaction that
        # reads first cannot take the write lock once another process has written meanwhile
        # ("database is locked" at once, busy_timeout or not), and the dialog's state was lost.
        conn = default_connection()
        state, data = (fields[part], {}) if part == "state" else (None, fields[part])
        await conn.execute_query(sql(conn, _UPSERT.format(part=part)), [
            record_key, state, _DATA.to_db_value(data, FsmRecord), ts(conn, datetime.now(UTC))])
