from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_payment_collectors')]

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
        ops.AddIndex(
            model_name='UsageRecord',
            index=Index(fields=['charged_to', 'created_at', 'user_id', 'mj_micro', 'cost_ukop']),
        ),
    ]

