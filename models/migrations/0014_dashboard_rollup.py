from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0013_payout_cards')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DashboardClientMonth',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tracker_id', fields.IntField()),
                ('month', fields.CharField(max_length=7)),
                ('user_id', fields.BigIntField()),
                ('cost_ukop', fields.BigIntField(default=0)),
            ],
            options={'table': 'dashboard_client_months', 'app': 'models', 'unique_together': (('tracker_id', 'month', 'user_id'),), 'indexes': [Index(fields=['tracker_id', 'month', 'cost_ukop', 'user_id'])], 'pk_attr': 'id', 'table_description': 'What one client\'s answers cost in one month ("YYYY-MM" in the state\'s zone). The index on'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DashboardHour',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tracker_id', fields.IntField()),
                ('hour', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('started', fields.IntField(default=0)),
                ('ended', fields.IntField(default=0)),
                ('firsts', fields.IntField(default=0)),
                ('lasts', fields.IntField(default=0)),
                ('revenue_kopecks', fields.BigIntField(default=0)),
                ('cost_ukop', fields.BigIntField(default=0)),
            ],
            options={'table': 'dashboard_hours', 'app': 'models', 'unique_together': (('tracker_id', 'hour'),), 'pk_attr': 'id', 'table_description': 'One local hour of a tracker (`hour`: its start in UTC): subscriptions that start and end in'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DashboardPeriod',
            fields=[
                ('period_id', fields.IntField(generated=False, primary_key=True, unique=True, db_index=True)),
                ('tracker_id', fields.IntField()),
                ('revenue_kopecks', fields.BigIntField()),
                ('cost_ukop', fields.BigIntField(default=0)),
                ('levels', fields.IntField(default=0)),
            ],
            options={'table': 'dashboard_periods', 'app': 'models', 'indexes': [Index(fields=['tracker_id'])], 'pk_attr': 'period_id', 'table_description': "An open accounting period's metered cost so far, as counted in its tracker's forecast"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DashboardState',
            fields=[
                ('tracker_id', fields.IntField(generated=False, primary_key=True, unique=True, db_index=True)),
                ('timezone', fields.CharField(max_length=64)),
                ('author_id', fields.BigIntField()),
                ('open_all_ukop', fields.BigIntField(default=0)),
                ('open_l1_ukop', fields.BigIntField(default=0)),
                ('open_l2_ukop', fields.BigIntField(default=0)),
                ('open_l3_ukop', fields.BigIntField(default=0)),
                ('built_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'dashboard_states', 'app': 'models', 'pk_attr': 'tracker_id', 'table_description': "One tracker's rollup: the zone its hours and months were cut in and the open periods'"},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='Subscription',
            index=Index(fields=['tracker_id', 'status', 'ends_at', 'user_id']),
        ),
        ops.AddIndex(
            model_name='Subscription',
            index=Index(fields=['tracker_id', 'status', 'starts_at']),
        ),
    ]

