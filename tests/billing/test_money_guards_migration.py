"""Migration 0007 on a database that already holds money: rows, indexes and triggers all survive,
and the database's ON DELETE actions end up what the models say (SQLite and PostgreSQL).

Tortoise's own AlterField would rebuild each SQLite table without its indexes and cascade the
DROP TABLE into the tables below; this test is what would notice if 0007 did the same.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from tortoise import Tortoise, connections
from tortoise.exceptions import IntegrityError
from tortoise.fields.relational import ForeignKeyFieldInstance, OneToOneFieldInstance
from tortoise.migrations.api import migrate as migrate_api

from billing import dashboard_rollup, fraud
from billing.ledger import settled_total
from billing.settlement import settle_due_periods
from bot import db
from models import AccountingPeriod, LedgerEntry, Payment, Subscription, Tracker, summaries
from tests.billing.helpers import ledger_snapshot
from tests.billing.test_money_guards import T0, settled_world


def _table_of(index: str, sql: str) -> str:
    """The table an index belongs to (index names are cut short, so read it from its SQL)."""
    if index.startswith("sqlite_autoindex_"):
        return index.removeprefix("sqlite_autoindex_").rsplit("_", 1)[0]
    table = sql.split(" ON ", 1)[1].split()[0].split("(", 1)[0]
    return table.removeprefix("public.").strip('"')


# Indexes migration 0019 takes away (the ledger's covering index comes back with the id in it).
DROPPED_BY_0019 = {
    ("ledger_entries", ("account_id", "kind", "role", "amount_kopecks")),
    *(("accounting_periods", (f"l{n}_id", "status", "tracker_id", "revenue_kopecks")) for n in (1, 2, 3)),
}


def _columns(sql: str) -> tuple[str, tuple[str, ...]]:
    """(table, columns) of a CREATE INDEX statement, on either database."""
    table = sql.split(" ON ", 1)[1].split()[0].split("(", 1)[0].removeprefix("public.").strip('"')
    inside = sql.rsplit("(", 1)[1].rsplit(")", 1)[0]
    return table, tuple(column.strip().strip('"') for column in inside.split(","))


def _before_money_guards() -> str:
    """The migration just before the one under test. The world below is written with today's
    models, so a later migration that adds a column to a table it writes must come before it."""
    import models.migrations

    names = sorted(p.stem for p in Path(models.migrations.__file__).parent.glob("0*.py"))
    return names[[n.endswith("_money_guards") for n in names].index(True) - 1]


@pytest.fixture
def empty_database_url(empty_database_urls):
    return empty_database_urls("upgrade")


async def foreign_key_actions() -> dict[tuple[str, str], str]:
    """(table, column) -> ON DELETE action, as the database has it."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict(
            "SELECT c.conrelid::regclass::text AS tab, a.attname AS col, c.confdeltype::text AS action"
            " FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
            " WHERE c.contype = 'f'"
        )
        names = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
        return {(r["tab"].strip('"'), r["col"]): names[r["action"]] for r in rows}
    out = {}
    _, tables = await conn.execute_query("SELECT name FROM sqlite_master WHERE type = 'table'")
    for (table,) in tables:
        _, keys = await conn.execute_query(f'PRAGMA foreign_key_list("{table}")')
        for key in keys:
            out[(table, key[3])] = key[6]
    return out


def actions_in_models() -> dict[tuple[str, str], str]:
    out = {}
    for model in Tortoise.apps["models"].values():
        for field in model._meta.fields_map.values():
            if isinstance(field, (ForeignKeyFieldInstance, OneToOneFieldInstance)) and field.db_constraint:
                out[(model._meta.db_table, field.source_field)] = str(field.on_delete)
    return out


async def schema_objects() -> set[tuple[str, str]]:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict(
            "SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = 'public'"
        )
        return {(r["name"], r["def"]) for r in rows}
    _, rows = await conn.execute_query("SELECT name, COALESCE(sql, '') FROM sqlite_master WHERE type = 'index'")
    return {(name, text) for name, text in rows}


# Columns a later migration adds to tables the world below writes or reads with today's models
# (0015's deeper referral chain and schedule depth, empty in this world): they exist, as plain
# nullable columns, only while the world is written, so the database goes into 0009 exactly as it
# was before it.
LATER_COLUMNS = {"memberships": ("l4_id", "l5_id", "l6_id"), "accounting_periods": ("l4_id", "l5_id", "l6_id"),
                 "commission_rates": ("l4", "l5", "l6", "levels")}


async def _later_columns(change: str) -> None:
    conn = connections.get("default")
    for table, columns in LATER_COLUMNS.items():
        for column in columns:
            await conn.execute_script(f'ALTER TABLE "{table}" {change.format(column=column)}')


async def test_upgrading_a_database_with_money_keeps_every_row_and_index(empty_database_url, monkeypatch):
    # Today's settlement asks which partners are flagged (billing.fraud), in a table a later
    # migration makes; the money this test upgrades was settled before there were any flags.
    async def nobody_flagged(conn=None) -> set[int]:
        return set()

    monkeypatch.setattr(fraud, "flagged_users", nobody_flagged)
    # Nor were there dashboard totals (migration 0012): to today's code, no tracker has them yet.
    async def no_totals(conn, tracker_id):
        return None

    async def no_forecasts(conn, period_ids):
        return None

    monkeypatch.setattr(dashboard_rollup, "state_of", no_totals)
    monkeypatch.setattr(dashboard_rollup, "periods_settled", no_forecasts)
    # Nor the cabinet's summaries (migration 0017), which settlement keeps with its batches.
    monkeypatch.setattr(summaries, "periods_closed", no_forecasts)
    await migrate_api(config=db.tortoise_config(empty_database_url), target=f"models.{_before_money_guards()}")
    await db.init(empty_database_url, run_migrations=False)
    try:
        await _later_columns("ADD COLUMN {column} BIGINT")
        await settled_world()
        await _later_columns("DROP COLUMN {column}")
        ledger = await ledger_snapshot()
        counts = [await m.all().count() for m in (Payment, Subscription, AccountingPeriod, LedgerEntry)]
        indexes = await schema_objects()
        assert any(a == "CASCADE" for a in (await foreign_key_actions()).values())
    finally:
        await db.close()

    await db.init(empty_database_url)  # runs the migrations still due: 0007
    try:
        assert await ledger_snapshot() == ledger
        assert [await m.all().count() for m in (Payment, Subscription, AccountingPeriod, LedgerEntry)] == counts
        after = await schema_objects()
        # none lost but the four 0019 replaced or dropped on purpose; the only new ones are the new tables'
        assert {_columns(sql) for _, sql in indexes - after} == DROPPED_BY_0019
        new_tables = {"refunds", "clawbacks", "fraud_flags", "payer_cards",  # 0009-0011
                      "stars_cancellations", "stars_cursors", "payout_cards"}  # 0012, 0013
        added = {_table_of(name, sql) for name, sql in after - indexes}
        new_tables |= {t for t in added if t.startswith("dashboard_")}  # 0014's running totals
        # 0014 also indexes the subscriptions by (tracker_id, status, ...) for the dashboard.
        new_tables.add("subscriptions")
        new_tables.add("memberships")  # 0016: levels 4..6 indexed like 1..3 for the network screen
        new_tables |= {"link_totals", "network_totals", "open_period_totals", "refund_totals",
                       "partner_roster"}  # 0017's cabinet summaries
        new_tables.add("ledger_entries")  # 0019: the covering index with the id before the amount
        assert added <= new_tables, added - new_tables
        in_database = await foreign_key_actions()
        in_models = actions_in_models()
        assert {k: in_database[k] for k in in_models} == in_models
        assert in_models[("ledger_entries", "account_id")] == "RESTRICT"
        assert in_models[("plans", "tracker_id")] == "CASCADE"  # settings still go with their tracker
        conn = connections.get("default")
        if conn.capabilities.dialect == "sqlite":
            _, check = await conn.execute_query("PRAGMA integrity_check")
            assert check[0][0] == "ok"
            _, dangling = await conn.execute_query("PRAGMA foreign_key_check")
            assert list(dangling) == []

        tracker = await Tracker.get(username="t100_bot")
        with pytest.raises(IntegrityError):
            await Tracker.filter(id=tracker.id).delete()
        with pytest.raises(IntegrityError, match="append-only"):
            await LedgerEntry.all().update(amount_kopecks=0)
        assert await settled_total() == (100_000, 100_000)
        # a settled period is not settled twice on the upgraded database
        assert (await settle_due_periods(T0 + timedelta(days=40))).periods == 0
    finally:
        await db.close()
