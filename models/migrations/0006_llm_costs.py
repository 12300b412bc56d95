from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import EntryKind, SourceType
from tortoise import fields
from tortoise.indexes import Index

class DescriptionOnly(ops.AlterField):
    """An AlterField that changes the migration state only. The fields altered below are VARCHAR
    columns whose enum gained a member: nothing changes in the database. Tortoise's SQLite
    `alter_field` rebuilds the whole table for it and the rebuilt ledger_entries had lost its
    unique key and indexes (the ledger's idempotence), so the database is left alone."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None):
        return None


class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PlatformSetting',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('value', fields.CharField(max_length=255)),
                ('updated_by', fields.BigIntField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'platform_settings', 'app': 'models', 'pk_attr': 'key', 'table_description': 'One admin setting of the platform (billing.policy names them and holds their defaults).'},
            bases=['Model'],
        ),
        DescriptionOnly(
            model_name='LedgerEntry',
            name='kind',
            field=fields.CharEnumField(description='ACCRUAL: accrual\nLOSS: loss\nRESERVE: reserve\nRELEASE: release\nPAYOUT: payout\nADJUSTMENT: adjustment\nUSAGE: usage', enum_type=EntryKind, max_length=16),
        ),
        DescriptionOnly(
            model_name='LedgerEntry',
            name='source_type',
            field=fields.CharEnumField(description='PERIOD: period\nPAYOUT: payout\nREFUND: refund\nADJUSTMENT: adjustment\nAUTHOR_USAGE: author_usage', enum_type=SourceType, max_length=16),
        ),
        ops.AddIndex(
            model_name='UsageRecord',
            index=Index(fields=['charged_to', 'created_at', 'user_id', 'mj_micro', 'cost_ukop']),
        ),
    ]
