from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_money_guards')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AutoRenewal',
            name='agreed_price_kopecks',
            field=fields.BigIntField(null=True),
        ),
    ]
