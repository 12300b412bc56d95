from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_api_tokens')]

    initial = False

    operations = [
        ops.CreateModel(
            name='UpdateClaim',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('bot_id', fields.BigIntField()),
                ('update_id', fields.BigIntField()),
                ('holder', fields.CharField(max_length=128)),
                ('claimed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'update_claims', 'app': 'models', 'unique_together': (('bot_id', 'update_id'),), 'indexes': [Index(fields=['claimed_at'])], 'pk_attr': 'id', 'table_description': 'A Telegram update taken for handling, so a redelivered one is handled once (see bot.updates).'},
            bases=['Model'],
        ),
    ]

