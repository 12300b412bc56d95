from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_dashboard_rollup')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AccountingPeriod',
            name='l4',
            field=fields.ForeignKeyField('models.User', source_field='l4_id', null=True, db_constraint=True, to_field='id', related_name='l4_periods', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='AccountingPeriod',
            name='l5',
            field=fields.ForeignKeyField('models.User', source_field='l5_id', null=True, db_constraint=True, to_field='id', related_name='l5_periods', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='AccountingPeriod',
            name='l6',
            field=fields.ForeignKeyField('models.User', source_field='l6_id', null=True, db_constraint=True, to_field='id', related_name='l6_periods', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='CommissionRate',
            name='l4',
            field=fields.DecimalField(null=True, max_digits=6, decimal_places=3),
        ),
        ops.AddField(
            model_name='CommissionRate',
            name='l5',
            field=fields.DecimalField(null=True, max_digits=6, decimal_places=3),
        ),
        ops.AddField(
            model_name='CommissionRate',
            name='l6',
            field=fields.DecimalField(null=True, max_digits=6, decimal_places=3),
        ),
        ops.AddField(
            model_name='CommissionRate',
            name='levels',
            field=fields.SmallIntField(default=3, db_default=3),
        ),
        ops.AddField(
            model_name='Membership',
            name='l4',
            field=fields.ForeignKeyField('models.User', source_field='l4_id', null=True, db_constraint=True, to_field='id', related_name='l4_members', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Membership',
            name='l5',
            field=fields.ForeignKeyField('models.User', source_field='l5_id', null=True, db_constraint=True, to_field='id', related_name='l5_members', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Membership',
            name='l6',
            field=fields.ForeignKeyField('models.User', source_field='l6_id', null=True, db_constraint=True, to_field='id', related_name='l6_members', on_delete=OnDelete.CASCADE),
        ),
    ]

