"""Job functions (referenced by text, plain arguments) and the platform's default jobs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from billing import author_usage, partner, settlement
from scheduler.base import Scheduler

log = logging.getLogger(__name__)

SETTLE_JOB_ID = "settle-due-periods"
AUTHOR_USAGE_JOB_ID = "charge-author-usage"


async def settle_due_periods(
    commission: dict[str, str] | None = None, batch_size: int = settlement.BATCH_SIZE, timezone: str | None = None
) -> int:
    """Settle every period that has ended, then fold the new accruals into the partners' running
    totals (in the platform's zone, as the cabinet reads them), so that no cabinet view waits
    for a fold. The job's first run at start-up folds what an upgrade or a bulk load left.
    Returns how many periods were settled."""
    result = await settlement.settle_due_periods(schedule=commission, batch_size=batch_size)
    await partner.refresh_all_earnings(tz=timezone)
    return result.periods


async def charge_author_usage() -> int:
    """Charge the authors' own use of every closed day (billing.author_usage). Returns kopecks."""
    return await author_usage.charge_closed_days()


def install_default_jobs(scheduler: Scheduler, settings: Any) -> None:
    """The jobs every platform process runs. `settings` is `bot.config.Settings` (or
    `DatabaseSettings`): the commission schedule and `settle_interval_minutes` come from it.

    Settlement runs at once (catching up after downtime) and then every interval, and so does
    the charge of the authors' own use of the days that ended.
    """
    commission = {role: str(percent) for role, percent in settings.commission.as_dict().items()}
    minutes = getattr(settings, "settle_interval_minutes", 10)
    scheduler.add_interval_job(
        f"{__name__}:settle_due_periods",
        job_id=SETTLE_JOB_ID,
        seconds=minutes * 60,
        kwargs={"commission": commission, "timezone": getattr(settings, "timezone", None)},
        first_run_at=datetime.now(UTC),
    )
    scheduler.add_interval_job(
        f"{__name__}:charge_author_usage",
        job_id=AUTHOR_USAGE_JOB_ID,
        seconds=minutes * 60,
        first_run_at=datetime.now(UTC),
    )
