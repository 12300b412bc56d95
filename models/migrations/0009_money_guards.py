"""Money history can no longer be deleted by accident, and the ledger is append-only in the database.

1. Every foreign key of the money tables (payments, subscriptions, accounting periods, usage,
   accounts, ledger entries, payout requests, checkouts) becomes ON DELETE RESTRICT: deleting a
   tracker or a user with money history used to cascade into the ledger. A tracker is archived
   (status `deleted`), never deleted, so nothing the bot does is refused.
2. Triggers refuse UPDATE and DELETE (and, on PostgreSQL, TRUNCATE) of `ledger_entries`
   (models/ledger_guard.py): a correction is a new, reversing entry.

Why not tortoise's own AlterField for (1): on SQLite it rebuilds the table, which drops the
table's indexes and, with foreign keys on, its DROP TABLE deletes every row first and cascades
into the tables below (subscriptions -> periods); on PostgreSQL it leaves the constraint as it
was. `RestrictOnDelete` changes the state the same way and the database in place instead: on
SQLite by SQLite's documented procedure for a constraint change that leaves the stored rows as
they are (https://www.sqlite.org/lang_altertable.html, "otheralter"), on PostgreSQL by replacing
the constraint.
"""

from __future__ import annotations

import re

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from models import ledger_guard
from models.enums import EntryKind, SourceType

ACTIONS = "CASCADE|RESTRICT|SET NULL|SET DEFAULT|NO ACTION"


class RestrictOnDelete(ops.AlterField):
    """AlterField for a foreign key whose ON DELETE action is all that changes."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is not None:
            await self._apply(state_editor, new_state.apps.get_model(f"{app_label}.{self.model_name}"))

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        # tortoise passes the state being returned to as `new_state` when unapplying
        if state_editor is not None:
            await self._apply(state_editor, new_state.apps.get_model(f"{app_label}.{self.model_name}"))

    async def _apply(self, editor, model) -> None:
        field = model._meta.fields_map[self.name]
        table = model._meta.db_table
        column = field.source_field or f"{self.name}_id"
        action = str(OnDelete(field.on_delete).value)
        client = editor.client
        if client.capabilities.dialect == "postgres":
            target = field.related_model._meta.db_table
            to_column = field.to_field_instance.source_field or field.to_field_instance.model_field_name
            found = await client.execute_query_dict(
                "SELECT c.conname AS name FROM pg_constraint c"
                " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
                " WHERE c.contype = 'f' AND c.conrelid = to_regclass($1) AND a.attname = $2"
                " AND cardinality(c.conkey) = 1",
                [f'"{table}"', column],
            )
            if len(found) != 1:
                raise RuntimeError(f"expected one foreign key on {table}.{column}, found {len(found)}")
            name = found[0]["name"]
            await client.execute_script(
                f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}", ADD CONSTRAINT "{name}" FOREIGN KEY ("{column}")'
                f' REFERENCES "{target}" ("{to_column}") ON DELETE {action}'
            )
            return
        if client.capabilities.dialect != "sqlite":
            raise RuntimeError(f"no ON DELETE change written for {client.capabilities.dialect}")
        _, result = await client.execute_query("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table])
        table_sql = result[0][0]
        # tortoise writes one column per line: `"tracker_id" INT NOT NULL REFERENCES ... ON DELETE CASCADE`
        pattern = re.compile(rf'^(\s*"{re.escape(column)}" [^\n]* REFERENCES [^\n]* ON DELETE )({ACTIONS})', re.M)
        new_sql, count = pattern.subn(lambda m: m.group(1) + action, table_sql)
        if count != 1:
            raise RuntimeError(f"expected one foreign key on {table}.{column} in its schema, found {count}")
        _, result = await client.execute_query("PRAGMA schema_version")
        version = int(result[0][0])
        await client.execute_script("PRAGMA writable_schema=ON")
        try:
            await client.execute_query(
                "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", [new_sql, table]
            )
            # a new schema version makes every connection, this one included, re-read the schema
            await client.execute_script(f"PRAGMA schema_version={version + 1}")
        finally:
            await client.execute_script("PRAGMA writable_schema=OFF")


class DescribeEnum(ops.AlterField):
    """A CharEnumField whose enum gained a value: only its description (the column comment) changes,
    so the state follows and the table is left alone (tortoise would rebuild it on SQLite)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


async def _install_ledger_guard(apps, schema_editor) -> None:
    await ledger_guard.install(schema_editor.client)


async def _remove_ledger_guard(apps, schema_editor) -> None:
    await ledger_guard.remove(schema_editor.client)


def _restrict(model: str, name: str, field) -> RestrictOnDelete:
    return RestrictOnDelete(model_name=model, name=name, field=field)


def _fk(to: str, column: str, related_name: str, *, null: bool = False):
    return fields.ForeignKeyField(
        to, source_field=column, null=null, db_constraint=True, to_field="id",
        related_name=related_name, on_delete=OnDelete.RESTRICT,
    )


def _one_to_one(to: str, column: str, related_name: str):
    return fields.OneToOneField(
        to, source_field=column, null=True, db_constraint=True, to_field="id",
        related_name=related_name, on_delete=OnDelete.RESTRICT,
    )


class Migration(migrations.Migration):
    dependencies = [("models", "0008_tracker_registered")]

    initial = False

    operations = [
        _restrict("Account", "user", _one_to_one("models.User", "user_id", "account")),
        _restrict("AccountingPeriod", "l1", _fk("models.User", "l1_id", "l1_periods", null=True)),
        _restrict("AccountingPeriod", "l2", _fk("models.User", "l2_id", "l2_periods", null=True)),
        _restrict("AccountingPeriod", "l3", _fk("models.User", "l3_id", "l3_periods", null=True)),
        _restrict("AccountingPeriod", "subscription", _fk("models.Subscription", "subscription_id", "periods")),
        _restrict("AccountingPeriod", "tracker", _fk("models.Tracker", "tracker_id", "periods")),
        _restrict("AccountingPeriod", "user", _fk("models.User", "user_id", "periods")),
        _restrict("Checkout", "tracker", _fk("models.Tracker", "tracker_id", "checkouts")),
        _restrict("Checkout", "user", _fk("models.User", "user_id", "checkouts")),
        _restrict("LedgerEntry", "account", _fk("models.Account", "account_id", "entries")),
        _restrict("LedgerEntry", "tracker", _fk("models.Tracker", "tracker_id", "ledger", null=True)),
        _restrict("Payment", "tracker", _fk("models.Tracker", "tracker_id", "payments")),
        _restrict("Payment", "user", _fk("models.User", "user_id", "payments")),
        _restrict("PayoutRequest", "account", _fk("models.Account", "account_id", "payouts")),
        _restrict("PayoutRequest", "tracker", _fk("models.Tracker", "tracker_id", "payout_requests", null=True)),
        _restrict("Subscription", "payment", _one_to_one("models.Payment", "payment_id", "subscription")),
        _restrict("Subscription", "tracker", _fk("models.Tracker", "tracker_id", "subscriptions")),
        _restrict("Subscription", "user", _fk("models.User", "user_id", "subscriptions")),
        _restrict("UsageRecord", "rate", _fk("models.MjRate", "rate_id", "usage", null=True)),
        _restrict("UsageRecord", "subscription", _fk("models.Subscription", "subscription_id", "usage", null=True)),
        _restrict("UsageRecord", "tracker", _fk("models.Tracker", "tracker_id", "usage")),
        _restrict("UsageRecord", "user", _fk("models.User", "user_id", "usage")),
        # 3. refunds after settlement (billing.refunds): the refunds and what they clawed back
        ops.CreateModel(
            name="Refund",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("payment", fields.ForeignKeyField("models.Payment", source_field="payment_id", db_constraint=True,
                                                   to_field="id", related_name="refunds", on_delete=OnDelete.RESTRICT)),
                ("key", fields.CharField(max_length=128)),
                ("amount_kopecks", fields.BigIntField()),
                ("unsettled_kopecks", fields.BigIntField()),
                ("settled_kopecks", fields.BigIntField()),
                ("ended_subscription", fields.BooleanField(default=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "refunds", "app": "models", "unique_together": (("payment", "key"),), "pk_attr": "id",
                     "table_description": "One refund of a payment, named by its key at its source (a YooKassa refund id, a Stars charge"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Clawback",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("refund", fields.ForeignKeyField("models.Refund", source_field="refund_id", db_constraint=True,
                                                  to_field="id", related_name="clawbacks", on_delete=OnDelete.RESTRICT)),
                ("period", fields.ForeignKeyField("models.AccountingPeriod", source_field="period_id",
                                                  db_constraint=True, to_field="id", related_name="clawbacks",
                                                  on_delete=OnDelete.RESTRICT)),
                ("revenue_kopecks", fields.BigIntField()),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "clawbacks", "app": "models", "unique_together": (("refund", "period"),), "pk_attr": "id",
                     "table_description": "The revenue a refund took back from one settled period, whose ledger entries have source"},
            bases=["Model"],
        ),
        # after the foreign keys: the triggers belong to the table as it finally is
        ops.RunPython(_install_ledger_guard, _remove_ledger_guard),
    ]
