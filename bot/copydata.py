"""`gptitor copy-data`: every row of one database into another, e.g. SQLite → PostgreSQL.

Both databases are first brought to the current schema by the migrations; the target must hold no
rows. Tables are copied parents first (by their foreign keys), in batches ordered by primary key,
with their ids. Each value goes through its model field (stored form → Python → stored form), so a
datetime kept as text in SQLite arrives in PostgreSQL as a timestamp and a JSON text as JSON.
PostgreSQL's id sequences are then moved past the copied ids, so new rows do not collide. The
cabinet's summary tables are not copied: they are sums of the copied rows, recomputed at the end.

The copy is one transaction on the target: a copy that fails leaves the target empty, ready for
another try. At the end the rows of every table are counted on both sides.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections, fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import DBConnectionError, OperationalError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from bot import db
from models import summaries
from models.sql import is_postgres, sql

BATCH = 1000
SOURCE = "source"  # the target is tortoise's "default" connection, so the models write there


class CopyError(Exception):
    """The copy cannot start or did not come out whole; the message says why, in one sentence."""


@dataclass(frozen=True)
class TableCount:
    table: str
    source: int
    target: int


@dataclass(frozen=True)
class CopyReport:
    tables: list[TableCount]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(t.target for t in self.tables)

    @property
    def matches(self) -> bool:
        return all(t.source == t.target for t in self.tables)


def models_in_dependency_order() -> list[type[Model]]:
    """Every model, each after the models its foreign keys point to (ties by table name)."""
    models = sorted(Tortoise.apps["models"].values(), key=lambda m: m._meta.db_table)
    needs = {
        m: {
            m._meta.fields_map[name].related_model
            for name in m._meta.fk_fields | m._meta.o2o_fields
        } - {m}  # a row pointing at its own table is copied in id order
        for m in models
    }
    ordered: list[type[Model]] = []
    while len(ordered) < len(models):
        ready = [m for m in models if m not in ordered and needs[m] <= set(ordered)]
        if not ready:
            stuck = ", ".join(m._meta.db_table for m in models if m not in ordered)
            raise CopyError(f"the foreign keys of {stuck} form a cycle: no order to copy them in")
        ordered.extend(ready)
    return ordered


def copied_models() -> list[type[Model]]:
    """Every model but the cabinet's summaries (models/summaries.py): those are sums of the copied
    rows, kept by the target's triggers as the rows arrive and recomputed once at the end."""
    return [m for m in models_in_dependency_order() if m._meta.db_table not in summaries.TABLES]


def _quote(name: str) -> str:
    return f'"{name}"'


def _converter(field: fields.Field) -> Callable[[Any], Any]:
    """Stored value on the source → value to store on the target. Without a model instance
    `to_db_value` leaves auto_now fields as they were stored, not stamped with the copy's time."""
    return lambda raw: field.to_db_value(field.to_python_value(raw), None)


async def _count(conn: BaseDBAsyncClient, table: str) -> int:
    _, rows = await conn.execute_query(f"SELECT COUNT(*) FROM {_quote(table)}")
    return int(rows[0][0])


async def _copy_table(model: type[Model], source: BaseDBAsyncClient, target: BaseDBAsyncClient) -> int:
    meta = model._meta
    names = list(meta.fields_db_projection)  # model field names, foreign keys as their *_id
    columns = [meta.fields_db_projection[n] for n in names]
    convert = [_converter(meta.fields_map[n]) for n in names]
    pk = meta.db_pk_column
    pk_at = columns.index(pk)
    select = f"SELECT {', '.join(map(_quote, columns))} FROM {_quote(meta.db_table)}"
    insert = sql(
        target,
        f"INSERT INTO {_quote(meta.db_table)} ({', '.join(map(_quote, columns))}) "
        f"VALUES ({', '.join('?' * len(columns))})",
    )
    copied, last = 0, None
    while True:
        # Keyset pagination: each batch starts after the last key, so no batch re-reads the table.
        if last is None:
            query, params = f"{select} ORDER BY {_quote(pk)} LIMIT {BATCH}", []
        else:
            query, params = f"{select} WHERE {_quote(pk)} > ? ORDER BY {_quote(pk)} LIMIT {BATCH}", [last]
        _, rows = await source.execute_query(sql(source, query), params)
        if not rows:
            return copied
        await target.execute_many(insert, [[f(row[i]) for i, f in enumerate(convert)] for row in rows])
        copied += len(rows)
        last = rows[-1][pk_at]


async def _reset_sequences(model: type[Model], target: BaseDBAsyncClient) -> None:
    meta = model._meta
    if not is_postgres(target) or not meta.fields_map[meta.pk_attr].generated:
        return
    table, pk = meta.db_table, meta.db_pk_column
    await target.execute_query(
        f"SELECT setval(pg_get_serial_sequence('{_quote(table)}', '{pk}'), MAX({_quote(pk)})) "
        f"FROM {_quote(table)} HAVING COUNT(*) > 0"
    )


def _check_urls(source_url: str, target_url: str) -> None:
    if source_url == target_url:
        raise CopyError("the source and the target are the same database")
    if source_url.startswith("sqlite://"):
        path = source_url.removeprefix("sqlite://")
        if ":memory:" in path or not Path(path).is_file():
            raise CopyError(f"there is no SQLite database at {path}")
        # Read-only look before the migrations run on it: they would add our tables to any file.
        try:
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
                ours = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'tortoise_migrations'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise CopyError(f"{path} cannot be read as SQLite: {exc}") from None
        if not ours:
            raise CopyError(f"{path} is not a GPTitor database (it has no migrations table)")


async def copy_data(
    source_url: str, target_url: str, *, progress: Callable[[str], None] = lambda _: None
) -> CopyReport:
    """Copy every table from `source_url` into the empty database at `target_url`."""
    _check_urls(source_url, target_url)
    started = time.monotonic()
    # The target first: a wrong URL or password stops here, before the source is touched. The
    # source too: rows of an older schema are copied as the current models see them.
    for role, url in (("target", target_url), ("source", source_url)):
        try:
            await db.migrate(url)
        except (DBConnectionError, OperationalError, OSError) as exc:
            raise CopyError(f"cannot open the {role} database: {exc}") from None
    config = db.tortoise_config(target_url)
    config["connections"][SOURCE] = db.connection_config(source_url)
    await Tortoise.init(config=config)
    try:
        source, target = connections.get(SOURCE), connections.get("default")
        not_empty = [m._meta.db_table for m in models_in_dependency_order() if await _count(target, m._meta.db_table)]
        models = copied_models()
        if not_empty:
            raise CopyError(
                f"the target already holds rows (in {', '.join(not_empty)}): copy into an empty database only"
            )
        async with in_transaction("default") as tx:
            for model in models:
                n = await _copy_table(model, source, tx)
                await _reset_sequences(model, tx)
                progress(f"{model._meta.db_table}: {n} rows")
            await summaries.backfill(tx)  # exactly the sums of what was copied
        counts = [
            TableCount(m._meta.db_table, await _count(source, m._meta.db_table), await _count(target, m._meta.db_table))
            for m in models
        ]
    finally:
        await Tortoise.close_connections()
    return CopyReport(counts, time.monotonic() - started)


def format_report(report: CopyReport) -> str:
    width = max(len(t.table) for t in report.tables)
    lines = [f"{'table':<{width}}  {'source':>9}  {'target':>9}"]
    for t in report.tables:
        mark = "" if t.source == t.target else "  MISMATCH"
        lines.append(f"{t.table:<{width}}  {t.source:>9}  {t.target:>9}{mark}")
    verdict = "every table matches" if report.matches else "COUNTS DIFFER"
    lines.append(f"{report.rows} rows in {len(report.tables)} tables in {report.seconds:.1f} s: {verdict}.")
    return "\n".join(lines)
