"""The outbox: events written with the facts they report, delivered at least once, shown once.

`enqueue` is called inside the caller's transaction (pass its connection), so an event exists
if and only if its fact was committed. The `dedupe_key` is unique: writing the same event twice
(a retried webhook, a settlement rerun) inserts nothing the second time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models import OutboxEvent, OutboxStatus
from models.sql import conn_or_default, is_postgres, returning, sql, ts
from models.sql import now as db_now
from notify.redact import redact

# `bot_id` of an event the platform bot sends: domain code does not know the platform bot's id,
# the delivery loop does (bot/outbox.py).
PLATFORM_BOT = 0


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
    conn = conn_or_default(conn)
    at = db_now(conn)
    # RETURNING, not the count: tortoise's asyncpg client reports 0 for every INSERT.
    inserted = await returning(
        conn, _INSERT + " RETURNING id",
        [dedupe_key, kind, bot_id, chat_id, tracker_id, channel_id, language or "ru",
         json.dumps(params or {}, separators=(",", ":"), ensure_ascii=False), OutboxStatus.PENDING.value, at, at],
    )
    return bool(inserted)


# -- delivery bookkeeping (the loop that talks to Telegram is bot/outbox.py) ------------------------

# A claim is a lease: a worker that dies holding one loses it when it expires, and the events go
# to the next worker. Long enough for one round of sends with Telegram's slowest answers.
CLAIM_SECONDS = 60

# Only the head of each chat's queue (its lowest pending id) may be claimed: event N+1 never
# goes out while N is pending, claimed by someone, or waiting for a retry.
_HEADS = """
SELECT e.id FROM outbox_events e
WHERE e.status = 'pending' AND e.next_attempt_at <= ?
  AND (e.claimed_until IS NULL OR e.claimed_until < ?)
  AND NOT EXISTS (SELECT 1 FROM outbox_events b WHERE b.chat_id = e.chat_id AND b.status = 'pending' AND b.id < e.id)
ORDER BY e.id
LIMIT ?
"""


async def claim(token: str, *, limit: int = 20, now: datetime | None = None,
                claim_seconds: float = CLAIM_SECONDS) -> list[OutboxEvent]:
    """Due events, at most one per chat (each the head of its chat's queue), claimed under
    `token` (unique per round: "<worker>:<round>", so the claimed rows are found by it).

    PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, so workers split the queue without waiting.
    SQLite: one UPDATE whose WHERE repeats the conditions; SQLite runs one writer at a time.
    """
    at = now or datetime.now(UTC)
    until = at + timedelta(seconds=claim_seconds)
    async with in_transaction() as tx:
        heads = _HEADS + (" FOR UPDATE OF e SKIP LOCKED" if is_postgres(tx) else "")
        await tx.execute_query(
            sql(tx, f"UPDATE outbox_events SET claimed_by = ?, claimed_until = ? WHERE id IN ({heads})"),
            [token, ts(tx, until), ts(tx, at), ts(tx, at), limit],
        )
        events = await OutboxEvent.filter(claimed_by=token, status=OutboxStatus.PENDING).using_db(tx).order_by("id")
    return list(events)


def _stored(error: str) -> str:
    """An error as kept for the admin: tokens masked (a network error quotes its URL), then cut."""
    return redact(error)[:2000]


async def _update(event_id: int, token: str | None, **values: Any) -> int:
    """Change an event, only while the claim `token` still holds it (None: whoever holds it)."""
    query = OutboxEvent.filter(id=event_id)
    if token is not None:
        query = query.filter(claimed_by=token)
    return await query.update(**values)


async def mark_sent(event: OutboxEvent, token: str | None, *, now: datetime | None = None) -> None:
    await _update(event.id, token, status=OutboxStatus.SENT, sent_at=now or datetime.now(UTC),
                  claimed_by=None, claimed_until=None, last_error=None)


async def mark_dead(event: OutboxEvent, token: str | None, error: str) -> None:
    await _update(event.id, token, status=OutboxStatus.DEAD, last_error=_stored(error),
                  attempts=event.attempts + 1, claimed_by=None, claimed_until=None)


async def mark_skipped(event: OutboxEvent, token: str | None, reason: str) -> None:
    await _update(event.id, token, status=OutboxStatus.SKIPPED, last_error=_stored(reason),
                  claimed_by=None, claimed_until=None)


async def postpone(event: OutboxEvent, token: str | None, at: datetime, *, error: str | None,
                   failed: bool) -> None:
    """Try again at `at`; `failed` counts an attempt (a 429 is Telegram's pacing, not a failure)."""
    values: dict[str, Any] = {"next_attempt_at": at, "claimed_by": None, "claimed_until": None}
    if error is not None:
        values["last_error"] = _stored(error)
    if failed:
        values["attempts"] = event.attempts + 1
    await _update(event.id, token, **values)


async def pace_chat(chat_id: int, not_before: datetime) -> None:
    """Nothing more goes to this chat before `not_before` (Telegram's per-chat limits)."""
    conn = conn_or_default(None)
    at = ts(conn, not_before)
    await conn.execute_query(
        sql(conn, "UPDATE outbox_events SET next_attempt_at = ? "
                  "WHERE chat_id = ? AND status = 'pending' AND next_attempt_at < ?"),
        [at, chat_id, at],
    )


async def skip_channel(channel_id: int, reason: str) -> int:
    """Every pending event of a channel that went away is skipped (kept, with the reason)."""
    return await OutboxEvent.filter(channel_id=channel_id, status=OutboxStatus.PENDING).update(
        status=OutboxStatus.SKIPPED, last_error=_stored(reason), claimed_by=None, claimed_until=None
    )


async def release(worker: str) -> int:
    """Give back this worker's claims (a clean stop), so a restart need not wait for them to expire."""
    return await OutboxEvent.filter(claimed_by__startswith=f"{worker}:", status=OutboxStatus.PENDING).update(
        claimed_by=None, claimed_until=None
    )


# -- for the platform admin ---------------------------------------------------------------------


async def undelivered(limit: int = 20, offset: int = 0) -> list[OutboxEvent]:
    """Events given up after retries (DEAD), newest first, with `last_error`."""
    return list(await OutboxEvent.filter(status=OutboxStatus.DEAD).order_by("-id").offset(offset).limit(limit))


async def count_undelivered() -> int:
    return await OutboxEvent.filter(status=OutboxStatus.DEAD).count()


async def retry(event_id: int) -> bool:
    """Put a DEAD event back in the queue, with a fresh count of attempts; False if it is not DEAD."""
    return bool(
        await OutboxEvent.filter(id=event_id, status=OutboxStatus.DEAD).update(
            status=OutboxStatus.PENDING, attempts=0, next_attempt_at=datetime.now(UTC),
            claimed_by=None, claimed_until=None,
        )
    )
