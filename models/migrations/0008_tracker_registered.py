from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_partner_growth')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Tracker',
            name='registered',
            field=fields.CharField(default='', max_length=64),
        ),
    ]

