from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0012_stars_field')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PayoutCard',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='payout_card', on_delete=OnDelete.CASCADE)),
                ('destination_encrypted', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'payout_cards', 'app': 'models', 'pk_attr': 'id', 'table_description': "A person's card for payouts, as YooKassa's payout widget gave it: the card synonym"},
            bases=['Model'],
        ),
    ]
