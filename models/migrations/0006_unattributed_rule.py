from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_update_claims')]

    initial = False

    operations = [
        ops.AddField(
            model_name='CommissionRate',
            name='unattributed',
            field=fields.CharField(default='platform', max_length=16),
        ),
    ]

