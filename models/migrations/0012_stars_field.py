from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import StarsCancelStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0011_agreed_renewal_price')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StarsCancellation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tracker', fields.ForeignKeyField('models.Tracker', source_field='tracker_id', db_constraint=True, to_field='id', related_name='stars_cancellations', on_delete=OnDelete.RESTRICT)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='stars_cancellations', on_delete=OnDelete.RESTRICT)),
                ('charge_id', fields.CharField(max_length=255)),
                ('reason', fields.CharField(max_length=16)),
                ('status', fields.CharEnumField(default=StarsCancelStatus.PENDING, description='one of StarsCancelStatus', enum_type=StarsCancelStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_by', fields.CharField(null=True, max_length=64)),
                ('claimed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'stars_cancellations', 'app': 'models', 'unique_together': (('tracker', 'charge_id'),), 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': "One client's Stars subscription to cancel because its tracker was deleted or paused."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StarsCursor',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tracker', fields.OneToOneField('models.Tracker', source_field='tracker_id', db_constraint=True, to_field='id', related_name='stars_cursor', on_delete=OnDelete.RESTRICT)),
                ('read', fields.IntField(default=0)),
                ('last_key', fields.CharField(default='', max_length=300)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'stars_cursors', 'app': 'models', 'pk_attr': 'id', 'table_description': "How far the daily Stars reconciliation has read a tracker bot's getStarTransactions."},
            bases=['Model'],
        ),
    ]

