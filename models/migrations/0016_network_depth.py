from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0015_referral_depth')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Membership',
            index=Index(fields=['l4_id', 'tracker_id', 'locked_at', 'user_id']),
        ),
        ops.AddIndex(
            model_name='Membership',
            index=Index(fields=['l5_id', 'tracker_id', 'locked_at', 'user_id']),
        ),
        ops.AddIndex(
            model_name='Membership',
            index=Index(fields=['l6_id', 'tracker_id', 'locked_at', 'user_id']),
        ),
    ]
