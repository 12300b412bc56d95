"""The outbox: events written with the facts they report, delivered at least once, shown once.

`enqueue` is called inside the caller's transaction (pass its connection), so an event exists
if and only if its fact was committed. The `dedupe_key` is unique: writing the same event twice
(a retried webhook, a settlement rerun) inserts nothing the second time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from models import OutboxStatus


def _sql(conn: BaseDBAsyncClient, query: str) -> str:
    if conn.capabilities.dialect != "postgres":
        return query
    parts = query.split("?")
    return parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], start=1))


def _now(conn: BaseDBAsyncClient) -> Any:
    now = datetime.now(UTC)
    return now if conn.capabilities.dialect == "postgres" else now.isoformat(" ")


_INSERT = (
    "INSERT INTO outbox_events (dedupe_key, kind, bot_id, chat_id, tracker_id, channel_id, language, params,"
    " status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)"
    " ON CONFLICT (dedupe_key) DO NOTHING"
)


async def enqueue(
    conn: BaseDBAsyncClient | None,
    *,
    kind: str,
    bot_id: int,
    chat_id: int,
    dedupe_key: str,
    params: dict[str, Any] | None = None,
    language: str | None = "ru",
    tracker_id: int | None = None,
    channel_id: int | None = None,
) -> bool:
    """Write one event for delivery; False when an event with this `dedupe_key` already exists."""
    conn = conn or connections.get("default")
    now = _now(conn)
    count, _ = await conn.execute_query(
        _sql(conn, _INSERT),
        [dedupe_key, kind, bot_id, chat_id, tracker_id, channel_id, language or "ru",
         json.dumps(params or {}, separators=(",", ":"), ensure_ascii=False), OutboxStatus.PENDING.value, now, now],
    )
    return bool(count)
