"""Raw SQL through tortoise's connection, portable between SQLite and PostgreSQL.

The money engine writes in bulk with raw SQL (tortoise's `bulk_create` builds a model object per
row and was ~7x slower, ARCHITECTURE.md). Two things differ between the backends and are handled
here, so the queries themselves are written once:

- placeholders: the SQLite client passes `?` to sqlite3, the asyncpg client passes `$1, $2, ...`
  to asyncpg. Queries are written with `?` and `sql()` renumbers them for PostgreSQL.
- datetimes: tortoise stores a datetime in SQLite as text, `dt.isoformat(" ")` of the value it is
  given (sqlite3 adapter registered in tortoise.backends.sqlite.executor), so
  '2026-11-23 18:05:43.085575+00:00'. Text compares correctly only if every stored value is in
  UTC: `ts()` always converts to UTC and formats the same way. asyncpg takes datetime objects.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient


def default_connection() -> BaseDBAsyncClient:
    return connections.get("default")


def is_postgres(conn: BaseDBAsyncClient) -> bool:
    return conn.capabilities.dialect == "postgres"


def sql(conn: BaseDBAsyncClient, query: str) -> str:
    """`query` with `?` placeholders, in the style `conn` takes. Our queries hold no literal '?'."""
    if not is_postgres(conn):
        return query
    parts = query.split("?")
    out = [parts[0]]
    for n, part in enumerate(parts[1:], start=1):
        out.append(f"${n}{part}")
    return "".join(out)


def utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt!r}: money code needs time-zone aware datetimes")
    return dt.astimezone(UTC)


def ts(conn: BaseDBAsyncClient, dt: datetime) -> Any:
    """A datetime as a query parameter, encoded the way tortoise stores it on this backend."""
    if is_postgres(conn):
        return utc(dt)
    return utc(dt).isoformat(" ")


def parse_ts(value: Any) -> datetime:
    """A datetime column read by raw SQL (text on SQLite, datetime on PostgreSQL), in UTC."""
    if isinstance(value, datetime):
        return utc(value)
    return utc(datetime.fromisoformat(value))
