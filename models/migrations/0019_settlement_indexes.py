"""Indexes that settlement pays for on every period, chosen again with the cabinet's queries
(issue 20, benchmarks/README.md "settlement"):

- the ledger's covering index gains the id before the amount, so a new entry lands at the end of
  its (account, kind, role) run instead of at a random place among the amounts: the balance sums
  stay index-only, and settlement's inserts write the index's last pages;
- the periods' indexes by l1, l2 and l3 go: the cabinet reads a partner's open periods from the
  summaries since 0017, nothing else looks periods up by holder, and each of them held `status`,
  so every period settled rewrote all three.

The new index is made before the old one goes: no query loses its index in between.
"""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0018_summaries_settle_fast')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='LedgerEntry',
            index=Index(fields=['account_id', 'kind', 'role', 'id', 'amount_kopecks']),
        ),
        ops.RemoveIndex(
            model_name='LedgerEntry',
            name=None,
            fields=['account_id', 'kind', 'role', 'amount_kopecks'],
        ),
        ops.RemoveIndex(
            model_name='AccountingPeriod',
            name=None,
            fields=['l1_id', 'status', 'tracker_id', 'revenue_kopecks'],
        ),
        ops.RemoveIndex(
            model_name='AccountingPeriod',
            name=None,
            fields=['l2_id', 'status', 'tracker_id', 'revenue_kopecks'],
        ),
        ops.RemoveIndex(
            model_name='AccountingPeriod',
            name=None,
            fields=['l3_id', 'status', 'tracker_id', 'revenue_kopecks'],
        ),
    ]
