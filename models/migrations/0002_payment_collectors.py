from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import Collector
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuthorRepayment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', db_constraint=True, to_field='id', related_name='repayments', on_delete=OnDelete.RESTRICT)),
                ('amount_kopecks', fields.BigIntField()),
                ('recorded_by', fields.BigIntField()),
                ('note', fields.CharField(default='', max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'author_repayments', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Money an author paid the platform against what they owe for payments they collected,'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='AccountingPeriod',
            name='collector',
            field=fields.CharEnumField(default=Collector.PLATFORM, description='one of Collector', db_default='platform', enum_type=Collector, max_length=16),
        ),
        ops.AddField(
            model_name='Payment',
            name='collector',
            field=fields.CharEnumField(default=Collector.PLATFORM, description='one of Collector', db_default='platform', enum_type=Collector, max_length=16),
        ),
        ops.AddField(
            model_name='Tracker',
            name='provider_collector',
            field=fields.CharEnumField(default=Collector.AUTHOR, description='one of Collector', db_default='author', enum_type=Collector, max_length=16),
        ),
        ops.AddField(
            model_name='Tracker',
            name='provider_token_encrypted',
            field=fields.TextField(default='', db_default='', unique=False),
        ),
    ]

