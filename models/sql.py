"""Raw SQL through tortoise's connection, portable between SQLite and PostgreSQL.

The one place for the dialect differences, below every package that writes raw SQL (billing,
referral, llm, notify, the scheduler's lease). The money engine writes in bulk with raw SQL
(tortoise's `bulk_create` builds a model object per row and was ~7x slower, ARCHITECTURE.md).
What differs between the backends:

- placeholders: the SQLite client passes `?` to sqlite3, the asyncpg client passes `$1, $2, ...`
  to asyncpg. Queries are written with `?` and `sql()` renumbers them for PostgreSQL.
- datetimes: tortoise stores a datetime in SQLite as text, `dt.isoformat(" ")` of the value it is
  given (sqlite3 adapter registered in tortoise.backends.sqlite.executor), so
  '2026-11-23 18:05:43.085575+00:00'. Text compares correctly only if every stored value is in
  UTC: `ts()` always converts to UTC and formats the same way. asyncpg takes datetime objects.
  A naive datetime is refused rather than guessed: the outbox's former copy read one as the
  machine's local time while tortoise's ORM reads it as UTC, so the same value written by raw SQL
  and by the ORM would land hours apart on a machine not set to UTC.
- counts: tortoise's asyncpg client says 0 rows for every INSERT, so a count that matters is
  taken with `execute_count()`; rows of `INSERT ... RETURNING` come only from `returning()`.

Nothing here imports our other packages: `models/` is the bottom layer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, overload

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction


def default_connection() -> BaseDBAsyncClient:
    return connections.get("default")


def conn_or_default(using_db: BaseDBAsyncClient | None) -> BaseDBAsyncClient:
    return using_db or connections.get("default")


def is_postgres(conn: BaseDBAsyncClient) -> bool:
    return conn.capabilities.dialect == "postgres"


def sql(conn: BaseDBAsyncClient, query: str) -> str:
    """`query` with `?` placeholders, in the style `conn` takes. Our queries hold no literal '?'."""
    if not is_postgres(conn):
        return query
    parts = query.split("?")
    return parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], start=1))


def marks(n: int) -> str:
    """`n` placeholders for an IN (...) list."""
    return ", ".join("?" * n)


def id_chunks(ids: Sequence[int], size: int = 500) -> Iterator[tuple[list[int], str]]:
    """`ids` in chunks of `size`, each with its `?, ?, ...` for an `IN (...)`: one statement per
    chunk stays under every driver's limit on bound parameters."""
    for start in range(0, len(ids), size):
        chunk = list(ids[start:start + size])
        yield chunk, marks(len(chunk))


async def rows(conn: BaseDBAsyncClient, query: str, params: Sequence[Any]) -> list[Any]:
    _, result = await conn.execute_query(sql(conn, query), list(params))
    return list(result)


async def returning(conn: BaseDBAsyncClient, query: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    """The rows of an INSERT / UPDATE / DELETE ... RETURNING, as dicts: tortoise's asyncpg client
    answers `execute_query` of those statements with the count alone, never the rows."""
    return await conn.execute_query_dict(sql(conn, query), list(params))


async def execute_count(conn: BaseDBAsyncClient, query: str, params: Sequence[Any]) -> int:
    """The rows an INSERT / UPDATE / DELETE wrote, on both backends: tortoise's asyncpg client
    reads an INSERT's count from the wrong word of its status ('INSERT 0 5' gives 0)."""
    if is_postgres(conn):
        _, result = await conn.execute_query(
            f"WITH written AS ({sql(conn, query)} RETURNING 1) SELECT COUNT(*) FROM written", list(params)
        )
        return int(result[0][0])
    count, _ = await conn.execute_query(query, list(params))
    return int(count or 0)


def utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt!r}: raw SQL needs time-zone aware datetimes")
    return dt.astimezone(UTC)


def ts(conn: BaseDBAsyncClient, dt: datetime) -> datetime | str:
    """A datetime as a query parameter, encoded the way tortoise stores it on this backend."""
    if is_postgres(conn):
        return utc(dt)
    return utc(dt).isoformat(" ")


def now(conn: BaseDBAsyncClient) -> datetime | str:
    return ts(conn, datetime.now(UTC))


@overload
def parse_ts(value: None) -> None: ...
@overload
def parse_ts(value: datetime | str) -> datetime: ...
def parse_ts(value: datetime | str | None) -> datetime | None:
    """A datetime column read by raw SQL (text on SQLite, datetime on PostgreSQL), in UTC; NULL
    stays None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return utc(value)
    return utc(datetime.fromisoformat(value))


# SQLite checkpoints the WAL into the database file inside a commit once the WAL passes
# `wal_autocheckpoint` pages (1,000 by default). A bulk job that commits hundreds of batches would
# copy the same index pages into the file again and again; holding checkpoints back to ~200 MB of
# WAL and doing one at the end made a 300k-period settlement ~15-25% faster.
BULK_WAL_PAGES = 50_000


@asynccontextmanager
async def bulk_writes(conn: BaseDBAsyncClient) -> AsyncIterator[None]:
    """Around a job that commits many batches: fewer WAL checkpoints on SQLite, nothing elsewhere."""
    if conn.capabilities.dialect != "sqlite":
        yield
        return
    _, result = await conn.execute_query("PRAGMA wal_autocheckpoint")
    previous = int(result[0][0])
    await conn.execute_script(f"PRAGMA wal_autocheckpoint={max(previous, BULK_WAL_PAGES)}")
    try:
        yield
    finally:
        await conn.execute_script(f"PRAGMA wal_autocheckpoint={previous}")
        await conn.execute_query("PRAGMA wal_checkpoint(PASSIVE)")


async def write_first(tx: BaseDBAsyncClient, table: str) -> None:
    """Start a SQLite transaction as a writer. A transaction that reads first and writes later
    fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT, which busy_timeout does not
    wait out) if another process, such as the running platform beside `gptitor settle`, committed
    in between; an empty UPDATE takes the write lock up front, so the transaction waits its turn
    instead. Nothing on PostgreSQL."""
    if tx.capabilities.dialect == "sqlite":
        await tx.execute_query(f'UPDATE "{table}" SET id = id WHERE 0')


# A step of `write_together`: a statement with `?` placeholders and the rows of values it runs for.
Step = tuple[str, Sequence[Sequence[Any]]]


def _write_steps(db: sqlite3.Connection, steps: Sequence[Step]) -> None:
    """In aiosqlite's thread: the whole transaction, nothing else on the connection in between."""
    db.execute("BEGIN IMMEDIATE")
    try:
        for query, params in steps:
            if len(params) == 1:
                db.execute(query, params[0])
            else:
                db.executemany(query, params)
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:  # never leave the shared connection inside a half-done transaction
            db.execute("ROLLBACK")
        raise


async def write_together(conn: BaseDBAsyncClient, steps: Sequence[Step]) -> None:
    """Run `steps` as one transaction (all or nothing). On SQLite in one round trip to the database
    thread: tortoise's own transaction costs a hop per BEGIN, statement and COMMIT, and on the
    conversation hot path those hops were a third of what the pipeline adds to a streamed answer
    (benchmarks/proxy.py). The client's lock is held as tortoise's transactions hold it, so no
    other statement of this process runs between ours. BEGIN IMMEDIATE takes the write lock first
    (see `write_first`). Inside a caller's transaction the steps simply join it; on PostgreSQL they
    run in a tortoise transaction."""
    steps = [(query, params) for query, params in steps if params]
    if isinstance(conn, TransactionalDBClient):
        for query, params in steps:
            await conn.execute_many(sql(conn, query), [list(p) for p in params])
        return
    if conn.capabilities.dialect == "sqlite":
        try:
            async with conn.acquire_connection() as aio:
                await aio._execute(_write_steps, aio._conn, steps)
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(exc) from exc
        except sqlite3.OperationalError as exc:
            raise OperationalError(exc) from exc
        return
    async with in_transaction(conn.connection_name) as tx:
        for query, params in steps:
            if len(params) == 1:
                await tx.execute_query(sql(tx, query), list(params[0]))
            else:
                await tx.execute_many(sql(tx, query), [list(p) for p in params])
