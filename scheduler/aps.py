"""The scheduler interface on APScheduler 3.x (AsyncIOScheduler, in-memory job store for now).

APScheduler 3 resolves "module:function" references itself and runs coroutine functions on the
event loop. Every job is coalesced (missed runs collapse into one) with one instance at a time:
our jobs are idempotent through the database, so a late or merged run is always safe.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler.base import JobKwargs, check_job

DEFAULT_TIMEZONE = "Europe/Moscow"


class APSScheduler:
    def __init__(self, timezone: str = DEFAULT_TIMEZONE, misfire_grace_seconds: int = 3600) -> None:
        self._aps = AsyncIOScheduler(
            timezone=ZoneInfo(timezone),
            jobstores={"default": MemoryJobStore()},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": misfire_grace_seconds},
        )

    def add_interval_job(
        self,
        func: str,
        *,
        job_id: str,
        seconds: float,
        kwargs: JobKwargs | None = None,
        first_run_at: datetime | None = None,
    ) -> None:
        extra = {"next_run_time": first_run_at} if first_run_at is not None else {}
        self._aps.add_job(
            func, "interval", seconds=seconds, id=job_id, kwargs=check_job(func, kwargs), replace_existing=True, **extra
        )

    def add_date_job(self, func: str, *, job_id: str, run_at: datetime, kwargs: JobKwargs | None = None) -> None:
        self._aps.add_job(
            func, "date", run_date=run_at, id=job_id, kwargs=check_job(func, kwargs), replace_existing=True
        )

    def remove_job(self, job_id: str) -> None:
        try:
            self._aps.remove_job(job_id)
        except JobLookupError:
            pass

    def job_ids(self) -> list[str]:
        return [job.id for job in self._aps.get_jobs()]

    @property
    def running(self) -> bool:
        return self._aps.running

    def start(self, paused: bool = False) -> None:
        """`paused`: keep the jobs but run none until `resume()` (a worker that is not the leader)."""
        self._aps.start(paused=paused)

    def pause(self) -> None:
        self._aps.pause()

    def resume(self) -> None:
        self._aps.resume()

    def shutdown(self, wait: bool = False) -> None:
        if self._aps.running:
            self._aps.shutdown(wait=wait)
