"""Meeting jobs: open a planned meeting, and the sweep that plans new ones.

Jobs take plain ids. What they need at run time (the bot of a tracker, the conversation service,
the translations) lives in the process's runtime, which jobs reach through a module-level host:
the runtime installs itself here when it starts (`install_host`) and removes itself when it stops.
The scheduler interface stays free of live objects (jobs are still plain "module:function" + ids,
storable in any job store), and domain code never imports the composition root. A job that runs
with no host (the runtime is stopping) does nothing: its planned row stays `planned` and is
rebuilt at the next start.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Protocol

from scheduler.base import Scheduler

log = logging.getLogger(__name__)

SWEEP_JOB_ID = "meetings-sweep"
OPEN_JOB = f"{__name__}:open_planned_meeting"


class MeetingHost(Protocol):
    async def open_planned(self, planned_id: int) -> bool:
        """Open the planned meeting (send the tracker's first message); False if it was not opened."""

    async def sweep(self) -> int:
        """Plan what is missing, schedule it, end idle meetings; returns how many were planned."""


_host: MeetingHost | None = None


def install_host(host: MeetingHost | None) -> None:
    global _host
    _host = host


def current_host() -> MeetingHost | None:
    return _host


def job_id(planned_id: int) -> str:
    return f"meeting-{planned_id}"


def schedule_open(scheduler: Scheduler, planned_id: int, due_at: datetime) -> None:
    """A date job for one planned meeting; one already due runs at once (catch-up after downtime)."""
    run_at = max(due_at, datetime.now(UTC))
    scheduler.add_date_job(OPEN_JOB, job_id=job_id(planned_id), run_at=run_at, kwargs={"planned_id": planned_id})


async def open_planned_meeting(planned_id: int) -> bool:
    host = current_host()
    if host is None:
        log.info("planned meeting %s: no runtime, left for the next start", planned_id)
        return False
    return await host.open_planned(planned_id)


async def sweep_meetings() -> int:
    host = current_host()
    return 0 if host is None else await host.sweep()


def install_sweep(scheduler: Scheduler, seconds: float) -> None:
    scheduler.add_interval_job(f"{__name__}:sweep_meetings", job_id=SWEEP_JOB_ID, seconds=seconds)
