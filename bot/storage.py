"""FSM and aiogram-dialog state in the database.

aiogram's MemoryStorage keeps a record per (bot, chat, user) forever and forgets every open dialog
on restart (aiogram-dialog then raises UnknownIntent). This storage keeps state in the `fsm_records`
table and deletes a record as soon as it is empty, so it neither leaks nor forgets. With REDIS_URL
set, aiogram's RedisStorage is used instead (see bot.app).

One read per update (issue 20). Every update starts with aiogram's FSM middleware asking for the
state; that call reads ALL the records of the same bot, chat and user in one statement (the FSM
state, aiogram-dialog's stack and its open contexts) and keeps them for the rest of the update, so
the dialog middleware's stack read costs nothing, and its "save the empty stack" of a person with
no dialog (a DELETE of a row that is not there) is skipped. The memo is bound to the update's own
task (tasks it starts read the table again) and replaced by the next update's state read. Within
an update the person's records cannot change behind it: aiogram's event isolation (and
aiogram-dialog's stack lock) serialises the updates of one chat.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey

from bot import db
from models import FsmRecord

_NO_KEY = "\x00"  # a destiny no key holds: where the person's own prefix of the key ends


@dataclass
class _Memo:
    task: asyncio.Task[Any] | None
    prefix: str
    records: dict[str, FsmRecord | None] = field(default_factory=dict)  # every record under prefix


_memo: contextvars.ContextVar[_Memo | None] = contextvars.ContextVar("fsm_memo", default=None)


class DbStorage(BaseStorage):
    def __init__(self, key_builder: KeyBuilder | None = None) -> None:
        # Many bots share this storage: the bot id must be part of the key, and aiogram-dialog
        # keeps its stacks under their own destiny.
        self.key_builder = key_builder or DefaultKeyBuilder(with_bot_id=True, with_destiny=True)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._save(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._read(key, "state", fresh=True)
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._save(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._read(key, "data")
        return dict(record.data) if record else {}

    async def close(self) -> None:
        return None

    def _prefix(self, key: StorageKey) -> str:
        return self.key_builder.build(replace(key, destiny=_NO_KEY), "state").split(_NO_KEY)[0]

    def _current(self, prefix: str) -> _Memo | None:
        memo = _memo.get()
        if memo is None or memo.task is not asyncio.current_task() or memo.prefix != prefix:
            return None
        return memo

    async def _read(self, key: StorageKey, part: str, *, fresh: bool = False) -> FsmRecord | None:
        record_key = self.key_builder.build(key, part)
        prefix = self._prefix(key)
        memo = None if fresh else self._current(prefix)
        if memo is not None:
            return memo.records.get(record_key)  # not there: the person has no such record
        if not fresh or not record_key.startswith(prefix):
            return await FsmRecord.get_or_none(key=record_key)
        # The update's first read: every record of this person, in one statement.
        if db.is_sqlite():  # BINARY collation: a key range is exact and uses the primary key
            found = await FsmRecord.filter(key__gte=prefix, key__lt=prefix + "\U0010ffff")
        else:  # a locale collation may order the range differently; LIKE 'prefix%' is exact there
            found = await FsmRecord.filter(key__startswith=prefix)
        memo = _Memo(asyncio.current_task(), prefix, {r.key: r for r in found})
        _memo.set(memo)
        return memo.records.get(record_key)

    async def _save(self, key: StorageKey, **fields: Any) -> None:
        # State and data live in separate rows so that writing one never races the other.
        part = "state" if "state" in fields else "data"
        record_key = self.key_builder.build(key, part)
        memo = self._current(self._prefix(key))
        if not fields.get(part):
            if memo is not None and memo.records.get(record_key) is None:
                return  # there is no such record: nothing to delete
            await FsmRecord.filter(key=record_key).delete()
            if memo is not None:
                memo.records.pop(record_key, None)
            return
        record, _ = await FsmRecord.update_or_create(key=record_key, defaults=fields)
        if memo is not None:
            memo.records[record_key] = record
