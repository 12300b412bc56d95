from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import FraudReason
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0009_money_guards')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FraudFlag',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='fraud_flags', on_delete=OnDelete.RESTRICT)),
                ('tracker', fields.ForeignKeyField('models.Tracker', source_field='tracker_id', db_constraint=True, to_field='id', related_name='fraud_flags', on_delete=OnDelete.RESTRICT)),
                ('reason', fields.CharEnumField(description='one of FraudReason', enum_type=FraudReason, max_length=16)),
                ('detail', fields.CharField(default='', max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('cleared_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cleared_by', fields.BigIntField(null=True)),
            ],
            options={'table': 'fraud_flags', 'app': 'models', 'unique_together': (('user', 'tracker', 'reason'),), 'indexes': [Index(fields=['cleared_at', 'user_id'])], 'pk_attr': 'id', 'table_description': "A reason to hold a partner's new referral shares (billing.fraud). One row per (user,"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PayerCard',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('payment', fields.OneToOneField('models.Payment', source_field='payment_id', db_constraint=True, to_field='id', related_name='payer_card', on_delete=OnDelete.RESTRICT)),
                ('fingerprint', fields.CharField(db_index=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'payer_cards', 'app': 'models', 'pk_attr': 'id', 'table_description': "What tells one payer's card from another's, where the provider shows it (billing.fraud): a"},
            bases=['Model'],
        ),
    ]

