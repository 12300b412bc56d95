"""Outer middlewares: who is writing (user row + language) and which tracker it is (tenant)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from aiogram import BaseMiddleware, Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.types import TelegramObject
from aiogram.types import User as TgUser

from bot.storage import DbStorage
from i18n.catalog import for_user
from models import FsmRecord, User
from models.sql import default_connection, is_postgres, marks, now, returning
from services import tracker_cache

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

# The person's row, created or brought in step with Telegram's profile, in one round trip (issue
# 20): SQLite (3.35+) and PostgreSQL both take INSERT ... ON CONFLICT DO UPDATE ... RETURNING.
_UPSERT_USER = """
INSERT INTO users (id, first_name, username, language_code, created_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name, username = excluded.username,
    language_code = excluded.language_code
RETURNING id, first_name, username, language_code, timezone, created_at
"""
_FSM_RECORDS = "SELECT key, state, data, updated_at FROM fsm_records WHERE key IN ({marks})"
# PostgreSQL: the same upsert with the FSM records read beside it, one statement.
_UPSERT_USER_READING = """
WITH person AS ({upsert})
SELECT person.*, r.key AS fsm_key, r.state AS fsm_state, r.data AS fsm_data, r.updated_at AS fsm_updated_at
FROM person LEFT JOIN fsm_records r ON r.key IN ({marks})
"""
_FSM_COLUMNS = {"fsm_key": "key", "fsm_state": "state", "fsm_data": "data", "fsm_updated_at": "updated_at"}


async def upsert_user(user_id: int, profile: dict[str, Any],
                      fsm_keys: Sequence[str] = ()) -> tuple[User, dict[str, FsmRecord]]:
    """The person's row, upserted, and the FSM records under `fsm_keys` that exist: one round
    trip (on SQLite two statements in one hop to the database thread)."""
    conn = default_connection()
    params = [user_id, profile["first_name"], profile["username"], profile["language_code"], now(conn)]
    if not fsm_keys:
        return User._init_from_db(**(await returning(conn, _UPSERT_USER, params))[0]), {}
    marks_ = marks(len(fsm_keys))
    if is_postgres(conn):
        query = _UPSERT_USER_READING.format(upsert=_UPSERT_USER.strip(), marks=marks_)
        found = await returning(conn, query, [*params, *fsm_keys])
        person = {k: v for k, v in found[0].items() if k not in _FSM_COLUMNS}
        records = [{_FSM_COLUMNS[k]: row[k] for k in _FSM_COLUMNS} for row in found if row["fsm_key"] is not None]
    else:
        people, records = await conn.execute_batch([  # type: ignore[attr-defined]  # models.sqlite_engine
            (_UPSERT_USER, params), (_FSM_RECORDS.format(marks=marks_), list(fsm_keys))])
        person = people[0]
    return User._init_from_db(**person), {r["key"]: FsmRecord._init_from_db(**r) for r in records}


class UserMiddleware(FSMContextMiddleware):
    """aiogram's FSM middleware, which also puts `user` (our row, kept in step with Telegram's
    profile) and `i18n` into handler data.

    One middleware, because the person's upsert reads their FSM state and dialog stack along
    (with the database's storage), so an update's first reads are one round trip, and it must
    run where aiogram reads the state: after the person's lock is taken. Updates take that lock in
    the order they came, so a person's updates keep their order (an upsert before the lock, on
    PostgreSQL's pool, answered out of order and reordered a burst of messages).
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        context = self.resolve_event_context(cast(Bot, data["bot"]), data)
        data["fsm_storage"] = self.storage
        if context is None:
            await self._person(data, None)
            return await handler(event, data)
        async with self.events_isolation.lock(key=context.key):  # as aiogram's, before any read
            await self._person(data, context)
            data.update({"state": context, "raw_state": await context.get_state()})
            return await handler(event, data)

    async def _person(self, data: dict[str, Any], context: FSMContext | None) -> None:
        tg_user: TgUser | None = data.get("event_from_user")
        if tg_user is None or tg_user.is_bot:
            data["i18n"] = for_user(None)
            return
        profile = {
            "first_name": (tg_user.first_name or "")[:128],
            "username": tg_user.username,
            "language_code": tg_user.language_code,
        }
        if context is None or not isinstance(self.storage, DbStorage):  # Redis keeps the state (REDIS_URL)
            data["user"], _ = await upsert_user(tg_user.id, profile)
        else:
            keys = self.storage.read_ahead_keys(context.key)
            counters = self.storage.counters(keys)
            data["user"], records = await upsert_user(tg_user.id, profile, keys)
            self.storage.keep_read(keys, counters, records)
        data["i18n"] = for_user(tg_user.language_code)


class TenantMiddleware(BaseMiddleware):
    """Resolves the tracker an update belongs to from the bot that received it.

    An update for a bot that is no longer a tracker (deleted meanwhile) is dropped.
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        bot: Bot = data["bot"]
        tracker = await tracker_cache.trackers.by_bot(bot.id)  # no round trip once read (services.tracker_cache)
        if tracker is None:
            return None
        data["tracker"] = tracker
        return await handler(event, data)
