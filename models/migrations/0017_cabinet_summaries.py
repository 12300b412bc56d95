"""The partner cabinet's summaries: link funnels, network counts by level, the open periods behind
the forecast, level-1 refunds and the author's partners roster, kept by triggers in the same
transaction as the rows they sum (models/summaries.py).

The tables are filled from the existing rows (the same aggregates the cabinet used to compute on
every view) before the triggers are installed, in the migration's one transaction, so the first
view after the upgrade reads totals that are already there.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

from models import summaries


async def _fill_and_install(apps, schema_editor) -> None:
    await summaries.backfill(schema_editor.client)
    await summaries.install(schema_editor.client, as_in_0017=True)  # 0018 changes the periods' trigger


async def _remove(apps, schema_editor) -> None:
    await summaries.remove(schema_editor.client)


class Migration(migrations.Migration):
    dependencies = [("models", "0016_network_depth")]

    initial = False

    operations = [
        ops.CreateModel(
            name="LinkTotals",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("link_id", fields.IntField(unique=True)),
                ("clicks", fields.IntField(default=0)),
                ("starts", fields.IntField(default=0)),
                ("paying", fields.IntField(default=0)),
                ("revenue_kopecks", fields.BigIntField(default=0)),
            ],
            options={
                "table": "link_totals",
                "app": "models",
                "pk_attr": "id",
                "table_description": "One invite link's funnel over all time: its clicks, starts, paying members and their revenue.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="NetworkTotals",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("holder_id", fields.BigIntField()),
                ("level", fields.IntField()),
                ("tracker_id", fields.IntField()),
                ("people", fields.IntField(default=0)),
                ("paying", fields.IntField(default=0)),
            ],
            options={
                "table": "network_totals",
                "app": "models",
                "unique_together": (("holder_id", "level", "tracker_id"),),
                "pk_attr": "id",
                "table_description": "How many people a holder has at one level of their chain on a tracker, and how many paid.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OpenPeriodTotals",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("holder_id", fields.BigIntField()),
                ("level", fields.IntField()),
                ("tracker_id", fields.IntField()),
                ("revenue_kopecks", fields.BigIntField()),
                ("periods", fields.IntField(default=0)),
            ],
            options={
                "table": "open_period_totals",
                "app": "models",
                "unique_together": (("holder_id", "level", "tracker_id", "revenue_kopecks"),),
                "pk_attr": "id",
                "table_description": "Open accounting periods counted by the holder at one level of their chain and by revenue.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PartnerRoster",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("tracker_id", fields.IntField()),
                ("user_id", fields.BigIntField()),
                ("links", fields.IntField(default=0)),
                ("named", fields.IntField(default=0)),
            ],
            options={
                "table": "partner_roster",
                "app": "models",
                "unique_together": (("tracker_id", "user_id"),),
                "pk_attr": "id",
                "table_description": "Who the author's partners page lists: link owners and named partners of a tracker.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RefundTotals",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("tracker_id", fields.IntField()),
                ("partner_id", fields.BigIntField()),
                ("payments", fields.IntField(default=0)),
                ("refunded", fields.IntField(default=0)),
            ],
            options={
                "table": "refund_totals",
                "app": "models",
                "unique_together": (("tracker_id", "partner_id"),),
                "indexes": [Index(fields=["tracker_id", "refunded"])],
                "pk_attr": "id",
                "table_description": "The payments of a partner's level-1 referrals on a tracker, and how many were refunded.",
            },
            bases=["Model"],
        ),
        ops.RunPython(_fill_and_install, _remove),
    ]
