"""An empty database built from the models (models/fresh_schema.py) is the database that replaying
every migration builds: tables, columns, keys, indexes, triggers and functions, on the suite's
database (SQLite or PostgreSQL). A migration that makes something outside the models (a trigger,
a function) and is not added to the shortcut fails here; so does a migration operation that
rebuilds a SQLite table and forgets its unique keys or indexes (the ledger's unique key is what
makes money steps idempotent).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from tortoise import Tortoise, connections
from tortoise.migrations.executor import MigrationExecutor

from bot import db
from models import fresh_schema, summaries
from tests.waiting import stays

ROOT = Path(__file__).resolve().parents[1]


async def _replay_every_migration(url: str) -> None:
    config = db.tortoise_config(url)
    await Tortoise.init(config=config)
    try:
        await MigrationExecutor(connections.get("default"), config["apps"]).migrate()
    finally:
        await db.close()


async def _query(sql: str) -> list[tuple[Any, ...]]:
    rows = await connections.get("default").execute_query_dict(sql)
    return sorted(tuple(row.values()) for row in rows)


async def _sqlite_schema() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for (table,) in await _query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
        indexes = []
        for _, name, unique, origin, partial in await _query(f'PRAGMA index_list("{table}")'):
            columns = tuple(row[2] for row in await _query(f'PRAGMA index_info("{name}")'))
            # SQLite numbers the indexes of a table's UNIQUE constraints itself
            named = name if origin == "c" else origin
            indexes.append((named, unique, partial, columns))
        out[table] = {
            # by name: a column a migration added comes last in its table, the models' order differs
            "columns": sorted(row[1:] for row in await _query(f'PRAGMA table_info("{table}")')),
            "foreign keys": sorted(row[2:] for row in await _query(f'PRAGMA foreign_key_list("{table}")')),
            "indexes": sorted(indexes),
        }
    out["triggers"] = [
        (name, table, " ".join(sql.split()))
        for name, table, sql in await _query("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
    ]
    # every object (views, AUTOINCREMENT's sqlite_sequence included), and each table's definitions
    # (columns with CHECK, COLLATE, AUTOINCREMENT and the rest, table constraints) in any order
    out["objects"] = [row for row in await _query("SELECT type, name, tbl_name FROM sqlite_master")
                      if not row[1].startswith("sqlite_autoindex_")]
    for table, create in await _query("SELECT name, sql FROM sqlite_master WHERE type = 'table'"):
        if table in out:
            out[table]["definitions"] = _definitions(create)
    return out


def _definitions(create: str) -> list[str]:
    """The parts of a CREATE TABLE between its outer parentheses, split at the top-level commas
    (a column added later is appended to the text, so the order is not the models')."""
    body = re.sub(r"/\*.*?\*/", "", create, flags=re.S)  # comments: enum descriptions (not compared)
    body = body[body.index("(") + 1:body.rindex(")")]
    parts, depth, current = [], 0, ""
    for char in body:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return sorted(" ".join(part.split()) for part in [*parts, current])


async def _postgres_schema() -> dict[str, Any]:
    here = "current_schema()::regnamespace"
    return {
        "columns": await _query(
            "SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision,"
            " numeric_scale, is_nullable, column_default FROM information_schema.columns"
            " WHERE table_schema = current_schema()"
        ),
        "constraints": await _query(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            f" WHERE connamespace = {here}"
        ),
        "indexes": await _query(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
        ),
        "triggers": await _query(
            "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal"
        ),
        "functions": await _query(f"SELECT proname, pg_get_functiondef(oid) FROM pg_proc WHERE pronamespace = {here}"),
        "relations": await _query(f"SELECT relname, relkind::text FROM pg_class WHERE relnamespace = {here}"),
        "sequences": await _query(
            "SELECT sequencename, data_type::text, increment_by, min_value, max_value FROM pg_sequences"
            " WHERE schemaname = current_schema()"
        ),
        "types": await _query(f"SELECT typname, typtype::text FROM pg_type WHERE typnamespace = {here}"),
        "extensions": await _query("SELECT extname FROM pg_extension"),
    }


async def _schema(url: str) -> dict[str, Any]:
    await db.init(url, run_migrations=False)
    try:
        schema = await (_sqlite_schema() if db.is_sqlite() else _postgres_schema())
        schema["applied"] = [row["name"] for row in await connections.get("default").execute_query_dict(
            "SELECT name FROM tortoise_migrations ORDER BY id"
        )]
        return schema
    finally:
        await db.close()


def _differences(replayed: dict[str, Any], built: dict[str, Any]) -> list[str]:
    out = []
    for key in sorted(set(replayed) | set(built)):
        a, b = replayed.get(key), built.get(key)
        if a == b:
            continue
        if isinstance(a, list) and isinstance(b, list):
            out += [f"{key}: only replayed: {row}" for row in a if row not in b]
            out += [f"{key}: only built: {row}" for row in b if row not in a]
        else:
            out.append(f"{key}: replayed {a!r}, built {b!r}")
    return out


async def test_an_empty_database_built_from_the_models_is_what_the_migrations_build(empty_database_urls):
    replayed, built = empty_database_urls("replayed"), empty_database_urls("built")
    await _replay_every_migration(replayed)
    applied = await db.migrate(built)
    await db.close()

    replayed_schema, built_schema = await _schema(replayed), await _schema(built)
    assert applied == replayed_schema["applied"] and len(applied) >= 18
    assert _differences(replayed_schema, built_schema) == []


async def test_migrating_again_applies_nothing_and_an_older_database_replays_what_it_lacks(empty_database_urls):
    from tortoise.migrations.api import migrate as migrate_api

    url = empty_database_urls("older")
    names = await db.migrate(empty_database_urls("fresh"))
    await db.close()
    await migrate_api(config=db.tortoise_config(url), target=f"models.{names[-2]}")
    await db.close()

    assert await db.migrate(url) == [names[-1]]
    await db.close()
    assert await db.migrate(url) == []
    await db.close()


async def test_a_build_that_fails_half_way_leaves_the_database_empty_for_the_next_start(
    empty_database_urls, monkeypatch
):
    url = empty_database_urls("interrupted")

    async def power_cut(conn, **_kwargs):
        raise RuntimeError("the process died here")

    monkeypatch.setattr(summaries, "install", power_cut)
    with pytest.raises(RuntimeError, match="died here"):
        await db.migrate(url)
    await db.close()
    await db.init(url, run_migrations=False)
    try:
        assert await fresh_schema.is_empty(connections.get("default"))
    finally:
        await db.close()

    monkeypatch.undo()
    assert len(await db.migrate(url)) >= 18
    await db.close()


async def test_a_builder_that_finds_the_schema_built_while_it_waited_leaves_it_alone(empty_database_urls):
    # What the second of two processes starting on one empty database sees once the first has
    # committed: it had found no table, then waited for the lock.
    url = empty_database_urls("raced")
    names = await db.migrate(url)
    await db.close()
    before = await _schema(url)
    config = db.tortoise_config(url)
    await Tortoise.init(config=config)
    try:
        assert await fresh_schema.build(connections.get("default"), config["apps"]) is None
    finally:
        await db.close()
    assert await _schema(url) == before and before["applied"] == names


@contextlib.asynccontextmanager
async def another_builder(url: str):
    """Another process in the middle of building `url`: it holds what a builder waits for (the
    advisory lock on PostgreSQL, the file's write lock on SQLite) and has made a table; it commits
    when the block ends."""
    if url.startswith("sqlite://"):
        con = sqlite3.connect(url.removeprefix("sqlite://"), isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("BEGIN IMMEDIATE")
        con.execute("CREATE TABLE built_by_the_other (id INTEGER)")
        try:
            yield
        finally:
            con.execute("COMMIT")
            con.close()
        return
    import asyncpg

    pg = await asyncpg.connect(url)
    tx = pg.transaction()
    await tx.start()
    await pg.execute("SELECT pg_advisory_xact_lock(hashtext('gptitor fresh schema'))")
    await pg.execute("CREATE TABLE built_by_the_other (id INTEGER)")
    try:
        yield
    finally:
        await tx.commit()
        await pg.close()


async def test_a_builder_waits_for_another_and_then_leaves_the_schema_to_it(empty_database_urls):
    url = empty_database_urls("waiting")
    config = db.tortoise_config(url)
    await Tortoise.init(config=config)
    try:
        connection = connections.get("default")
        assert await fresh_schema.is_empty(connection)
        async with another_builder(url):
            builder = asyncio.create_task(fresh_schema.build(connection, config["apps"]))
            await stays(lambda: not builder.done(), "the builder to wait for the other one", for_seconds=1.0)
        assert await builder is None
        assert await fresh_schema._tables(connection) == {"built_by_the_other"}  # its own work rolled back
    finally:
        await db.close()


async def test_two_commands_migrating_one_empty_database_at_once_both_succeed(empty_database_urls):
    url = empty_database_urls("shared")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"PYTHONPATH": str(ROOT), "DATABASE_URL": url}

    async def migrate() -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "migrate", env=env, cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        return proc.returncode or 0, out.decode()

    results = await asyncio.gather(migrate(), migrate())
    assert [code for code, _ in results] == [0, 0], results
    said = sorted(bool(re.search(r"applied \d+ migration", out)) for _, out in results)
    assert said == [False, True], results  # one built it, the other found it up to date
    schema = await _schema(url)
    assert len(schema["applied"]) == len(set(schema["applied"])) >= 18
