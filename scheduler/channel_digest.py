"""The daily digest of accruals for partner channels that chose it over one post per accrual.

The job runs every hour and writes yesterday's digest (a day in the platform's time zone); the
outbox's dedupe key carries the date, so only the first run of a day writes anything, and a
platform that was down at midnight catches up at its next run.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from notify.events import daily_digest
from scheduler.base import Scheduler

DIGEST_JOB_ID = "channel-accrual-digest"


def yesterday(tz: str, now: datetime | None = None) -> date:
    return ((now or datetime.now(UTC)).astimezone(ZoneInfo(tz)) - timedelta(days=1)).date()


async def write_digests(timezone: str) -> int:
    """Yesterday's digests; returns how many were written (0 when they exist already)."""
    return await daily_digest(yesterday(timezone), timezone)


def install_digest_job(scheduler: Scheduler, settings: Any, *, minutes: int = 60) -> None:
    scheduler.add_interval_job(
        f"{__name__}:write_digests",
        job_id=DIGEST_JOB_ID,
        seconds=minutes * 60,
        kwargs={"timezone": str(settings.timezone)},
        first_run_at=datetime.now(UTC) + timedelta(seconds=30),
    )
