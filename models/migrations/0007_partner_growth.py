from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_unattributed_rule')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PrivateEvents',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tracker', fields.ForeignKeyField('models.Tracker', source_field='tracker_id', db_constraint=True, to_field='id', related_name='private_events', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='private_events', on_delete=OnDelete.CASCADE)),
                ('events', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('accrual_digest', fields.BooleanField(default=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'private_events', 'app': 'models', 'unique_together': (('tracker', 'user'),), 'pk_attr': 'id', 'table_description': 'What a partner or author hears from a tracker bot in their private chat, while they have no channel.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Tracker',
            name='partners_recruit',
            field=fields.BooleanField(default=True, db_default=True),
        ),
    ]

