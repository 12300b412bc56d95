"""Job functions (referenced by text, plain arguments) and the platform's default jobs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from billing import settlement
from scheduler.base import Scheduler

log = logging.getLogger(__name__)

SETTLE_JOB_ID = "settle-due-periods"


async def settle_due_periods(commission: dict[str, str] | None = None, batch_size: int = settlement.BATCH_SIZE) -> int:
    """Settle every period that has ended. Returns how many were settled."""
    result = await settlement.settle_due_periods(schedule=commission, batch_size=batch_size)
    return result.periods


def install_default_jobs(scheduler: Scheduler, settings: Any) -> None:
    """The jobs every platform process runs. `settings` is `bot.config.Settings` (or
    `DatabaseSettings`): the commission schedule and `settle_interval_minutes` come from it.

    Settlement runs at once (catching up after downtime) and then every interval.
    """
    commission = {role: str(percent) for role, percent in settings.commission.as_dict().items()}
    minutes = getattr(settings, "settle_interval_minutes", 10)
    scheduler.add_interval_job(
        f"{__name__}:settle_due_periods",
        job_id=SETTLE_JOB_ID,
        seconds=minutes * 60,
        kwargs={"commission": commission},
        first_run_at=datetime.now(UTC),
    )
