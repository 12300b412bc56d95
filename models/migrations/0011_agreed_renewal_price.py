from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_fraud_holds')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AutoRenewal',
            name='agreed_price_kopecks',
            field=fields.BigIntField(null=True),
        ),
    ]
