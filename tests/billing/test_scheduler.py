"""The scheduler interface, its APScheduler implementation and the settlement job."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from billing.subscriptions import create_subscription
from bot.config import DatabaseSettings
from models import AccountingPeriod
from models.enums import PeriodStatus
from scheduler import jobs
from scheduler.aps import APSScheduler
from scheduler.base import Scheduler, check_job
from tests.billing.helpers import MSK, join, make_tracker
from tests.waiting import eventually

CALLS: list[int] = []
DONE = asyncio.Event()


async def record_call(tracker_id: int) -> None:
    CALLS.append(tracker_id)
    DONE.set()


def test_jobs_are_text_references_with_plain_arguments():
    assert check_job("scheduler.jobs:settle_due_periods", {"commission": {"l1": "30"}, "ids": [1, 2]})
    with pytest.raises(ValueError):
        check_job("scheduler.jobs.settle_due_periods", None)
    with pytest.raises(TypeError):
        check_job("scheduler.jobs:settle_due_periods", {"bot": object()})


async def test_aps_runs_a_job_by_reference():
    CALLS.clear()
    DONE.clear()
    scheduler = APSScheduler(timezone=MSK)
    assert isinstance(scheduler, Scheduler)
    scheduler.add_date_job(f"{__name__}:record_call", job_id="once",
                           run_at=datetime.now(UTC) + timedelta(milliseconds=50), kwargs={"tracker_id": 7})
    scheduler.start()
    try:
        await asyncio.wait_for(DONE.wait(), 5)
    finally:
        scheduler.shutdown()
    assert CALLS == [7]


async def test_default_jobs_settle_due_periods(database):
    tracker = await make_tracker(author_id=1)
    await join(tracker, 5, inviter=1)
    long_ago = datetime.now(UTC) - timedelta(days=100)
    await create_subscription(tracker.id, 5, "month", 100_000, long_ago, tz=MSK)

    scheduler = APSScheduler(timezone=MSK)
    jobs.install_default_jobs(scheduler, DatabaseSettings(_env_file=None))
    assert sorted(scheduler.job_ids()) == sorted([jobs.SETTLE_JOB_ID, jobs.AUTHOR_USAGE_JOB_ID])
    scheduler.start()  # the settle job runs at once, then every interval
    try:
        await eventually(AccountingPeriod.filter(status=PeriodStatus.SETTLED).exists, "the settle job's first run")
    finally:
        scheduler.shutdown()
    assert await AccountingPeriod.filter(status=PeriodStatus.SETTLED).count() == 1
    assert await jobs.settle_due_periods() == 0  # idempotent: nothing left


async def test_the_settle_job_folds_the_new_accruals_so_no_cabinet_view_waits(database):
    from billing.accounts import user_account_id
    from models import LedgerEntry
    from models.enums import EntryKind
    from models.referral import EarningsCursor, EarningsRollup

    tracker = await make_tracker(author_id=1)
    await join(tracker, 5, inviter=1)
    long_ago = datetime.now(UTC) - timedelta(days=100)
    await create_subscription(tracker.id, 5, "month", 100_000, long_ago, tz=MSK)
    assert await jobs.settle_due_periods(timezone="Asia/Tokyo") == 1
    # The author's accruals are folded already, in the platform's zone: a view finds nothing to do.
    account = await user_account_id(1)
    newest = await LedgerEntry.filter(account_id=account, kind=EntryKind.ACCRUAL).order_by("-id").first()
    cursor = await EarningsCursor.get(account_id=account)
    assert newest is not None and (cursor.last_entry_id, cursor.timezone) == (newest.id, "Asia/Tokyo")
    folded = sum(r.amount_kopecks for r in await EarningsRollup.filter(account_id=account))
    accrued = sum(e.amount_kopecks for e in await LedgerEntry.filter(account_id=account, kind=EntryKind.ACCRUAL))
    assert folded == accrued > 0
