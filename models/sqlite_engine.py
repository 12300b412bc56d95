"""Tortoise's SQLite backend, counting the rows a statement changed the way SQLite does, and
opening a new file beside another connection without "database is locked".

Tortoise's own client reports `connection.total_changes` before and after a statement, which
includes every row a trigger wrote. The cabinet's summaries are kept by triggers
(models/summaries.py), so an `UPDATE ... WHERE status = 'open'` that changed one period would
report several, and every "did exactly one row change?" check (refunds, claims, leases) would go
wrong. The cursor's rowcount is sqlite3_changes(): the statement's own rows only.

A new file's first `PRAGMA journal_mode=WAL` takes an exclusive lock, and when two connections ask
for it together SQLite refuses one at once, without waiting out the busy timeout: two processes
starting on one new database (`gptitor migrate` beside `run`) then failed. The client retries the
opening within the busy timeout, as SQLite itself would have waited.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from collections.abc import Sequence

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    NestedTransactionContext,
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
    translate_exceptions,
)


def _run(db: sqlite3.Connection, query: str, values: list | None) -> tuple[int, list]:
    """In aiosqlite's thread: the statement, its rows and its own count in one hop (as tortoise's
    `execute_fetchall` is one), not three (execute, fetchall, close)."""
    cursor = db.execute(query, values or [])
    try:
        return cursor.rowcount, cursor.fetchall()
    finally:
        cursor.close()


def _run_all(db: sqlite3.Connection, statements: Sequence[tuple[str, list]]) -> list[list[dict]]:
    """In aiosqlite's thread: each statement in turn, its rows as dicts, in one hop."""
    return [[dict(row) for row in _run(db, query, values)[1]] for query, values in statements]


@translate_exceptions
async def _execute_query(self: SqliteClient, query: str, values: list | None = None) -> tuple[int, Sequence[dict]]:
    query = query.replace("\x00", "'||CHAR(0)||'")
    async with self.acquire_connection() as connection:
        self.log.debug("%s: %s", query, values)
        changed, rows = await connection._execute(_run, connection._conn, query, values)
        return max(changed, 0) or len(rows), rows


class TransactionWrapper(SqliteTransactionWrapper):
    execute_query = _execute_query

    def _in_transaction(self) -> TransactionContext:
        return NestedTransactionContext(TransactionWrapper(self))


class Client(SqliteClient):
    execute_query = _execute_query

    @translate_exceptions
    async def execute_batch(self, statements: Sequence[tuple[str, list]]) -> list[list[dict]]:
        """The rows of each statement, run one after another in one round trip to the database
        thread (each in autocommit, as `execute_query` runs them): where an update's first
        statements do not depend on each other's answers (bot.middlewares)."""
        async with self.acquire_connection() as connection:
            return await connection._execute(_run_all, connection._conn, statements)

    async def create_connection(self, with_db: bool) -> None:
        deadline = time.monotonic() + int(self.pragmas.get("busy_timeout", 5000)) / 1000
        while True:
            try:
                return await super().create_connection(with_db)
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                await self.close()  # half-configured: opened again from the start
                await asyncio.sleep(random.uniform(0.001, 0.02))  # noqa: S311 - jitter, not a secret

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(TransactionWrapper(self), self._lock)


client_class = Client
