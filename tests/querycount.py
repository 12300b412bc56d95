"""Counts the statements the code under a `counting()` block sends to the database.

It wraps the execute_* methods of tortoise's SQLite and PostgreSQL clients (their transaction
wrappers inherit them). Only calls made from the block's own context are counted, and tasks it
starts (they copy the context), so the platform's background loops (scheduler, outbox, leader)
do not inflate the figure. A nested call (execute_query_dict calling execute_query) counts once.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# execute_batch: models.sqlite_engine's statements in one hop to the database thread, one round trip.
_METHODS = ("execute_query", "execute_query_dict", "execute_insert", "execute_many", "execute_script",
            "execute_batch")
_log: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("querycount_log", default=None)
_inside: contextvars.ContextVar[bool] = contextvars.ContextVar("querycount_inside", default=False)


@dataclass
class Queries:
    log: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.log)

    def __str__(self) -> str:
        return "\n".join(f"  {n}. {q}" for n, q in enumerate(self.log, start=1))


def _client_classes() -> list[type]:
    from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionWrapper

    from models import sqlite_engine  # the platform's SQLite client: its own execute_query

    classes: list[type] = [SqliteClient, SqliteTransactionWrapper]
    classes += [sqlite_engine.Client, sqlite_engine.TransactionWrapper]
    try:
        from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
    except ImportError:  # asyncpg not installed
        return classes
    return [*classes, AsyncpgDBClient, TransactionWrapper]


def _wrap(original: Any) -> Any:
    async def counted(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        log = _log.get()
        if log is None or _inside.get():
            return await original(self, query, *args, **kwargs)
        texts = [query] if isinstance(query, str) else [statement for statement, _ in query]
        log.append(" ; ".join(" ".join(text.split()) for text in texts))
        token = _inside.set(True)
        try:
            return await original(self, query, *args, **kwargs)
        finally:
            _inside.reset(token)

    return counted


@contextmanager
def counting() -> Iterator[Queries]:
    queries = Queries()
    saved: list[tuple[type, str, Any]] = []
    for cls in _client_classes():
        for name in _METHODS:
            if name in vars(cls):
                saved.append((cls, name, vars(cls)[name]))
                setattr(cls, name, _wrap(vars(cls)[name]))
    token = _log.set(queries.log)
    try:
        yield queries
    finally:
        _log.reset(token)
        for cls, name, original in saved:
            setattr(cls, name, original)
