"""Alerts that must go out once: a unique key per alert in the database, with an optional cool-down.

`raise_alert(key, ...)` claims the key and writes the alert to each recipient's outbox in one
transaction: exactly one caller wins, even with several at once or across a restart, and the
alert survives a crash after the claim. With `cooldown` the same key may be raised again once
that much time has passed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models import AlertSent
from models.sql import returning, ts, utc
from notify import notices


async def _claim(conn: BaseDBAsyncClient, key: str, cooldown: timedelta | None, now: datetime) -> bool:
    # ON CONFLICT, not a caught IntegrityError: on PostgreSQL an error would end the transaction.
    inserted = await returning(conn, "INSERT INTO alerts_sent (key, sent_at) VALUES (?, ?) "
                                     "ON CONFLICT (key) DO NOTHING RETURNING id", [key, ts(conn, now)])
    if inserted:
        return True
    if cooldown is None:
        return False
    # Seen before: claim it again only if the cool-down has passed (one UPDATE decides the race).
    return await AlertSent.filter(key=key, sent_at__lte=now - cooldown).using_db(conn).update(sent_at=now) == 1


async def raise_alert(key: str, recipients: Iterable[int], message_key: str, params: dict[str, Any], *,
                      cooldown: timedelta | None = None, now: datetime | None = None) -> bool:
    """Claim `key` and, if this caller won it, write the locale `message_key` with `params` to
    every recipient (from the platform bot). True if the alert was raised now."""
    now = utc(now or datetime.now(UTC))
    async with in_transaction() as conn:
        if not await _claim(conn, key, cooldown, now):
            return False
        for user_id in recipients:
            await notices.alert(conn, user_id, message_key, params, dedupe_key=f"{key}@{now.isoformat()}")
    return True
