"""`gptitor copy-data`: a SQLite database copied into the test's database (PostgreSQL when
TEST_DATABASE_URL is set, another SQLite file otherwise), every table, every value, every id.

The source is filled generically: rows of every model with a value of every field type, so a table
or a field added later is covered without touching this test."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from tortoise import Tortoise, connections, fields
from tortoise.models import Model

from bot import cli, copydata, db
from bot.copydata import CopyError, copied_models, copy_data
from tests.referral.test_summaries import _snapshot as summary_sums

ROWS = 5  # per table; with BATCH = 2 every table takes three batches
OLD = datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)  # auto_now fields must keep it, not "now"


def _value(model: type[Model], name: str, field: fields.Field, i: int, keys: dict) -> object:
    """The i-th row's value of one field; every third row leaves nullable fields empty."""
    if field.null and i % 3 == 2 and not field.pk:
        return None
    if name.endswith("_id") and name[:-3] in model._meta.fk_fields | model._meta.o2o_fields:
        parent = model._meta.fields_map[name[:-3]].related_model
        return keys[parent][i]
    if isinstance(field, fields.DatetimeField):
        return OLD + timedelta(days=i, microseconds=i)
    if isinstance(field, fields.data.CharEnumFieldInstance):
        members = list(field.enum_type)
        return members[i % len(members)]
    if isinstance(field, fields.BooleanField):
        return i % 2 == 0
    if isinstance(field, fields.DecimalField):
        return Decimal(f"{i}.{i:0{field.decimal_places}d}"[: field.max_digits + 1])
    if isinstance(field, fields.JSONField):
        return {"n": i, "text": "ёлка", "list": [1, 2.5, None, True]}
    if isinstance(field, fields.BigIntField):
        return 5_000_000_000 + i  # past 32 bits
    if isinstance(field, (fields.IntField, fields.SmallIntField)):
        return i
    if isinstance(field, (fields.CharField, fields.TextField)):
        text = f"{name}-{i}-ü"
        return text[-field.max_length :] if isinstance(field, fields.CharField) else text + "\n'quoted'"
    raise AssertionError(f"{model.__name__}.{name}: no test value for {type(field).__name__}")


async def fill(url: str) -> dict[str, int]:
    """ROWS rows in every table of a migrated database at `url`; the count per table."""
    await db.init(url)
    try:
        conn = connections.get("default")
        keys: dict[type[Model], list] = {}
        for model in copied_models():  # the summaries are kept by the triggers
            meta = model._meta
            names = list(meta.fields_db_projection)
            rows = []
            for i in range(ROWS):
                values = {n: _value(model, n, meta.fields_map[n], i, keys) for n in names}
                if meta.fields_map[meta.pk_attr].generated:
                    values[meta.pk_attr] = 10 * (i + 1)  # gaps, so ids are really carried over
                rows.append(values)
            keys[model] = [r[meta.pk_attr] for r in rows]
            columns = ", ".join(f'"{meta.fields_db_projection[n]}"' for n in names)
            await conn.execute_many(
                f'INSERT INTO "{meta.db_table}" ({columns}) VALUES ({", ".join("?" * len(names))})',
                [[copydata._converter(meta.fields_map[n])(_stored(meta.fields_map[n], r[n])) for n in names]
                 for r in rows],
            )
        return {m._meta.db_table: ROWS for m in keys}
    finally:
        await db.close()


def _stored(field: fields.Field, value: object) -> object:
    # _converter takes a stored value; the test's values are Python ones.
    if value is None:
        return None
    if isinstance(field, fields.JSONField):
        return field.to_db_value(value, None)
    if isinstance(field, fields.DatetimeField):
        return value.isoformat(" ")
    return value


async def all_values(url: str) -> dict[str, list[dict]]:
    """Every row of every table as the models read it, by primary key."""
    await Tortoise.init(config=db.tortoise_config(url))
    try:
        return {
            m._meta.db_table: await m.all().order_by(m._meta.pk_attr).values()
            for m in copied_models()
        } | await summary_sums(connections.get("default"))  # the same sums on both sides
    finally:
        await Tortoise.close_connections()


async def test_copy_keeps_every_row_value_and_id(tmp_path, database_url, monkeypatch):
    source = f"sqlite://{tmp_path / 'source.sqlite3'}"
    counts = await fill(source)
    monkeypatch.setattr(copydata, "BATCH", 2)

    report = await copy_data(source, database_url)

    assert report.matches and {t.table: t.target for t in report.tables} == counts
    before, after = await all_values(source), await all_values(database_url)
    assert after == before
    plans = after["plans"]
    assert [p["id"] for p in plans] == [10, 20, 30, 40, 50]
    assert plans[0]["updated_at"] == OLD  # auto_now kept the stored time
    assert after["fsm_records"][0]["data"] == {"n": 0, "text": "ёлка", "list": [1, 2.5, None, True]}
    assert after["users"][4]["id"] == 5_000_000_004

    # New rows continue after the copied ids (PostgreSQL: the sequences were moved on).
    await db.init(database_url, run_migrations=False)
    try:
        from models import Tracker

        tracker = await Tracker.create(bot_id=1, username="new", name="new", author_id=5_000_000_000,
                                       token_encrypted="x")
        assert tracker.id == 51
    finally:
        await db.close()


def test_the_command_copies_prints_counts_and_refuses_a_non_empty_target(tmp_path, database_url, capsys):
    source = f"sqlite://{tmp_path / 'source.sqlite3'}"
    counts = asyncio.run(fill(source))

    assert cli.main(["copy-data", "--from", source, "--to", database_url]) == 0
    out = capsys.readouterr().out
    for table in counts:
        assert any(line.split() == [table, str(ROWS), str(ROWS)] for line in out.splitlines()), table
    assert f"{ROWS * len(counts)} rows in {len(counts)} tables" in out and "every table matches" in out
    password = urlsplit(database_url).password
    if password:
        assert f":{password}@" not in out and ":***@" in out

    assert cli.main(["copy-data", "--from", source, "--to", database_url]) == 1
    err = capsys.readouterr().err
    assert "nothing copied" in err and "already holds rows" in err
    assert asyncio.run(all_values(database_url))["users"] == asyncio.run(all_values(source))["users"]


async def test_refuses_a_missing_or_foreign_source_and_copying_onto_itself(tmp_path, database_url):
    with pytest.raises(CopyError, match="no SQLite database"):
        await copy_data(f"sqlite://{tmp_path / 'nothing.sqlite3'}", database_url)
    assert not (tmp_path / "nothing.sqlite3").exists()

    other = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    with pytest.raises(CopyError, match="not a GPTitor database"):
        await copy_data(f"sqlite://{other}", database_url)
    with closing(sqlite3.connect(other)) as conn:  # left as it was: no tables of ours added
        assert conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall() == [("notes",)]

    with pytest.raises(CopyError, match="same database"):
        await copy_data(database_url, database_url)
