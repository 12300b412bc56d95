"""An empty database built from the models in one step, rather than by replaying every migration.

Replaying the migrations on an empty database made tortoise rebuild the whole model state for
each of their operations: most of a first start's time (about 8 of 11 s on a 2-core machine),
spent on tables that the models describe directly. So an empty database gets:

- the tables, keys and indexes the models declare (tortoise's own schema generator; a test keeps
  the models equal to the migrations' state);
- what only the migrations' RunPython steps make: the ledger guard (0009) and the summaries'
  triggers (0017, in 0018's form);
- every migration recorded as applied, so the next one applies on top as on any other database.

tests/test_fresh_schema.py compares the result with a full replay, table by table, on SQLite and
PostgreSQL: a migration that makes something new outside the models must add it here too.

All of it is one transaction: a start killed half-way leaves the database empty, not half-built.
Two processes starting on one empty database take turns (an advisory lock on PostgreSQL, the
file's write lock on SQLite); the second finds the schema built and migrates as usual.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.migrations.executor import MigrationExecutor
from tortoise.migrations.recorder import MigrationRecorder
from tortoise.transactions import in_transaction
from tortoise.utils import get_schema_sql

from models import ledger_guard, summaries

APP = "models"


async def is_empty(client: BaseDBAsyncClient) -> bool:
    """No table at all: a new database, not one whose migrations were recorded somewhere else."""
    return not await _tables(client)


async def _tables(client: BaseDBAsyncClient) -> set[str]:
    if client.capabilities.dialect == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        query = "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
    return {row["name"] for row in await client.execute_query_dict(query)}


class _BuiltMeanwhile(Exception):
    """Another process built the schema while this one waited for the database."""


async def build(client: BaseDBAsyncClient, apps_config: dict[str, dict[str, Any]]) -> list[str] | None:
    """Build the schema of an empty database (tortoise initialised with the models); the names
    of the migrations recorded as applied, in order. None if another process (a second worker,
    `gptitor migrate` beside `run`) built it first: the caller migrates as on any database."""
    # the graph is read before the transaction: its loader asks for the applied migrations from a
    # table not made yet, and a failed query would abort a PostgreSQL transaction
    loader = MigrationExecutor(client, apps_config).loader
    await loader.build_graph()
    names: list[str] = []
    for leaf in loader.graph.leaf_nodes():
        names += [key.name for key in loader.graph.forwards_plan(leaf) if key.app_label == APP]
    names = list(dict.fromkeys(names))
    try:
        async with in_transaction(client.connection_name) as transaction:
            conn: Any = _OneStatementAtATime(transaction)  # a client to every caller below
            if client.capabilities.dialect == "postgres":  # one builder at a time; SQLite: see below
                await conn.execute_query("SELECT pg_advisory_xact_lock(hashtext('gptitor fresh schema'))")
            # tortoise's table of applied migrations, made by its recorder as its `migrate` makes it;
            # on SQLite this first write waits for, and then holds, the file's one write lock
            editor = MigrationExecutor(transaction, apps_config)._schema_editor(atomic=False)
            editor.client = conn
            recorder = MigrationRecorder(conn)
            await recorder.ensure_schema(editor)
            if await _tables(conn) != {recorder.table_name} or await recorder.applied_migrations():
                raise _BuiltMeanwhile
            await conn.execute_script(get_schema_sql(transaction, safe=False))
            await ledger_guard.install(conn)
            await summaries.install(conn)
            for name in names:
                await recorder.record_applied(APP, name)
    except _BuiltMeanwhile:
        return None
    return names


class _OneStatementAtATime:
    """The transaction's client with scripts run statement by statement: Python's sqlite3 commits
    a pending transaction before `executescript`, which would make each script its own commit."""

    def __init__(self, client: BaseDBAsyncClient) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def execute_script(self, script: str) -> None:
        if self._client.capabilities.dialect != "sqlite":
            await self._client.execute_script(script)  # asyncpg runs a script inside the transaction
            return
        for statement in _sqlite_statements(script):
            await self._client.execute_query(statement)


def _sqlite_statements(script: str) -> list[str]:
    """A script cut into whole statements by SQLite's own notion of one (a trigger's body, a
    string or a comment holding `;` stays in one piece)."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        statements.append(pending.strip())
    return statements
