"""The database refuses UPDATE and DELETE of ledger entries: a correction is a new, reversing entry.

Immutability held in code only before (issue 19): one stray `LedgerEntry.filter(...).update()`
or a cascading delete could rewrite money history. Triggers make the database itself refuse it,
on both backends, with an integrity error (SQLite's RAISE(ABORT) is SQLITE_CONSTRAINT; on
PostgreSQL `restrict_violation`, 23001), which tortoise raises as `IntegrityError`.

Installed by migration 0007. `lifted()` exists for one caller: tests that empty the database
between hypothesis examples; nothing in the application may use it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tortoise.backends.base.client import BaseDBAsyncClient

REFUSAL = "ledger_entries is append-only: write a reversing entry"

SQLITE_INSTALL = [
    "CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries"
    f" BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
    "CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries"
    f" BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS ledger_entries_no_update",
    "DROP TRIGGER IF EXISTS ledger_entries_no_delete",
]
# TRUNCATE fires no row trigger on PostgreSQL, so it gets a statement trigger of its own.
POSTGRES_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{REFUSAL} (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END
$$""",
    "CREATE TRIGGER ledger_entries_no_change BEFORE UPDATE OR DELETE ON ledger_entries"
    " FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()",
    "CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries"
    " FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only()",
]
POSTGRES_REMOVE = [
    "DROP TRIGGER IF EXISTS ledger_entries_no_truncate ON ledger_entries",
    "DROP TRIGGER IF EXISTS ledger_entries_no_change ON ledger_entries",
    "DROP FUNCTION IF EXISTS ledger_entries_append_only()",
]


def _statements(conn: BaseDBAsyncClient, *, install: bool) -> list[str]:
    dialect = conn.capabilities.dialect
    if dialect == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    if dialect == "postgres":
        return POSTGRES_INSTALL if install else POSTGRES_REMOVE
    raise RuntimeError(f"no ledger guard written for {dialect}")


async def install(conn: BaseDBAsyncClient) -> None:
    for statement in _statements(conn, install=True):
        await conn.execute_script(statement)


async def remove(conn: BaseDBAsyncClient) -> None:
    for statement in _statements(conn, install=False):
        await conn.execute_script(statement)


@asynccontextmanager
async def lifted(conn: BaseDBAsyncClient) -> AsyncIterator[None]:
    """Tests only: the guard off for the block (emptying the database between examples)."""
    await remove(conn)
    try:
        yield
    finally:
        await install(conn)
