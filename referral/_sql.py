"""Raw SQL through tortoise's connection, portable between SQLite and PostgreSQL.

The same two rules as `billing.sqlutil`, repeated here so that `referral/` imports only `models/`
(billing imports referral, not the reverse): queries are written with `?` and renumbered to
`$1, $2, ...` for asyncpg; datetimes are passed the way tortoise stores them (UTC text on SQLite,
so that text comparison orders them correctly).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient


def conn_or_default(using_db: BaseDBAsyncClient | None) -> BaseDBAsyncClient:
    return using_db or connections.get("default")


def is_postgres(conn: BaseDBAsyncClient) -> bool:
    return conn.capabilities.dialect == "postgres"


def sql(conn: BaseDBAsyncClient, query: str) -> str:
    if not is_postgres(conn):
        return query
    parts = query.split("?")
    return parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], start=1))


def ts(conn: BaseDBAsyncClient, dt: datetime) -> Any:
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt!r}")
    dt = dt.astimezone(UTC)
    return dt if is_postgres(conn) else dt.isoformat(" ")


def parse_ts(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value.astimezone(UTC) if value is not None else None
    return datetime.fromisoformat(value).astimezone(UTC)


async def rows(conn: BaseDBAsyncClient, query: str, params: list[Any]) -> list[Any]:
    _, result = await conn.execute_query(sql(conn, query), params)
    return list(result)


async def returning(conn: BaseDBAsyncClient, query: str, params: list[Any]) -> list[dict[str, Any]]:
    """The rows of an INSERT / UPDATE / DELETE ... RETURNING, as dicts: tortoise's asyncpg client
    answers `execute_query` of those statements with the count alone, never the rows."""
    return await conn.execute_query_dict(sql(conn, query), params)


def marks(n: int) -> str:
    return ", ".join("?" * n)
