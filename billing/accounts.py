"""Balance holders: the platform's account (key "platform") and one account per user
(key "user:<telegram id>"), created on demand.

Creation is race-safe without locks: `INSERT ... ON CONFLICT (key) DO NOTHING` and then a read,
so two writers that both find no account end up with the same row.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from models import Account
from models.enums import AccountKind
from models.sql import default_connection, sql, ts

PLATFORM_KEY = "platform"

_INSERT = (
    "INSERT INTO accounts (key, kind, user_id, created_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (key) DO NOTHING"
)


def user_key(user_id: int) -> str:
    return f"user:{user_id}"


async def platform_account_id(conn: BaseDBAsyncClient | None = None) -> int:
    conn = conn or default_connection()
    select = sql(conn, "SELECT id FROM accounts WHERE key = ?")
    _, rows = await conn.execute_query(select, [PLATFORM_KEY])
    if not rows:  # read first: a write, even one that does nothing, takes SQLite's write lock
        await conn.execute_query(
            sql(conn, _INSERT), [PLATFORM_KEY, AccountKind.PLATFORM.value, None, ts(conn, datetime.now(UTC))]
        )
        _, rows = await conn.execute_query(select, [PLATFORM_KEY])
    return rows[0][0]


async def user_account_ids(user_ids: Iterable[int], conn: BaseDBAsyncClient | None = None) -> dict[int, int]:
    """user id -> account id for every given user, creating the missing accounts."""
    conn = conn or default_connection()
    wanted = sorted(set(user_ids))
    found = await _find(conn, wanted)
    missing = [uid for uid in wanted if uid not in found]
    if missing:
        now = ts(conn, datetime.now(UTC))
        await conn.execute_many(
            sql(conn, _INSERT), [[user_key(uid), AccountKind.USER.value, uid, now] for uid in missing]
        )
        found.update(await _find(conn, missing))
    return found


async def _find(conn: BaseDBAsyncClient, user_ids: list[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for start in range(0, len(user_ids), 500):  # keep under any backend's parameter limit
        chunk = user_ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        _, rows = await conn.execute_query(
            sql(conn, f"SELECT user_id, id FROM accounts WHERE user_id IN ({marks})"), chunk
        )
        found.update((row[0], row[1]) for row in rows)
    return found


async def user_account_id(user_id: int, conn: BaseDBAsyncClient | None = None) -> int:
    return (await user_account_ids([user_id], conn))[user_id]


async def platform_account() -> Account:
    return await Account.get(id=await platform_account_id())


async def user_account(user_id: int) -> Account:
    return await Account.get(id=await user_account_id(user_id))
