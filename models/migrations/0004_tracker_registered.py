from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Tracker',
            name='registered',
            field=fields.CharField(default='', max_length=64),
        ),
    ]
