"""The running totals behind the author's dashboard (billing.dashboard, billing.dashboard_rollup).

Kept by the code that writes the money and the usage, in the same transactions, so a dashboard
read is a handful of index reads however many subscribers a tracker has. Derived data: a
tracker's rows can be dropped and rebuilt from the raw tables at any time (billing.dashboard_rollup
does so when they are missing or were cut in another time zone).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class DashboardState(Model):
    """One tracker's rollup: the zone its hours and months were cut in and the open periods'
    estimated margins (millionths of a kopeck) for the forecast, in all and where the author holds
    level 1, 2 or 3."""
    _no_comments = True

    tracker_id = fields.IntField(primary_key=True, generated=False)
    timezone = fields.CharField(max_length=64)
    author_id = fields.BigIntField()
    open_all_ukop = fields.BigIntField(default=0)
    open_l1_ukop = fields.BigIntField(default=0)
    open_l2_ukop = fields.BigIntField(default=0)
    open_l3_ukop = fields.BigIntField(default=0)
    built_at = fields.DatetimeField()

    class Meta:
        table = "dashboard_states"


class DashboardHour(Model):
    """One local hour of a tracker (`hour`: its start in UTC): subscriptions that start and end in
    it, subscribers whose first start and last end fall in it, the revenue of the periods that
    start in it and the token cost metered in it (charged to subscriptions, millionths of a kopeck)."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    tracker_id = fields.IntField()
    hour = fields.DatetimeField()
    started = fields.IntField(default=0)
    ended = fields.IntField(default=0)
    firsts = fields.IntField(default=0)
    lasts = fields.IntField(default=0)
    revenue_kopecks = fields.BigIntField(default=0)
    cost_ukop = fields.BigIntField(default=0)

    class Meta:
        table = "dashboard_hours"
        unique_together = (("tracker_id", "hour"),)


class DashboardClientMonth(Model):
    """What one client's answers cost in one month ("YYYY-MM" in the state's zone). The index on
    (tracker, month, cost) holds the month's clients in cost order: a percentile is a walk along it
    to its rank from the nearer end, the top clients its last few entries."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    tracker_id = fields.IntField()
    month = fields.CharField(max_length=7)
    user_id = fields.BigIntField()
    cost_ukop = fields.BigIntField(default=0)

    class Meta:
        table = "dashboard_client_months"
        unique_together = (("tracker_id", "month", "user_id"),)
        indexes = (("tracker_id", "month", "cost_ukop", "user_id"),)


class DashboardPeriod(Model):
    """An open accounting period's metered cost so far, as counted in its tracker's forecast
    (`levels`: bit 1, 2, 4 when the author holds its level 1, 2, 3). Gone once settled or cancelled."""
    _no_comments = True

    period_id = fields.IntField(primary_key=True, generated=False)
    tracker_id = fields.IntField()
    revenue_kopecks = fields.BigIntField()
    cost_ukop = fields.BigIntField(default=0)
    levels = fields.IntField(default=0)

    class Meta:
        table = "dashboard_periods"
        indexes = (("tracker_id",),)
