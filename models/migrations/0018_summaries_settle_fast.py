"""Settlement without the periods' trigger, and no indexes nobody reads.

The periods' summary trigger stops watching `status`: settlement marks thousands of periods a
batch, and SQLite entered the trigger for each row only to skip it. The code that closes periods
(settlement, refunds) reports them to the open totals itself (models.summaries.periods_closed).
The triggers are installed again with the new column list; the totals themselves do not change.

The chain indexes of levels 4-6 on memberships go: the cabinet reads network_totals, and every
start paid for three indexes no query used.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from models import summaries


async def _reinstall(apps, schema_editor) -> None:
    await summaries.remove(schema_editor.client)
    await summaries.install(schema_editor.client)


async def _as_before(apps, schema_editor) -> None:
    await summaries.remove(schema_editor.client)
    await summaries.install(schema_editor.client, as_in_0017=True)


class Migration(migrations.Migration):
    dependencies = [("models", "0017_cabinet_summaries")]

    initial = False

    operations = [
        ops.RunPython(_reinstall, _as_before),
        ops.RemoveIndex(model_name="Membership", fields=["l4_id", "tracker_id", "locked_at", "user_id"]),
        ops.RemoveIndex(model_name="Membership", fields=["l5_id", "tracker_id", "locked_at", "user_id"]),
        ops.RemoveIndex(model_name="Membership", fields=["l6_id", "tracker_id", "locked_at", "user_id"]),
    ]
