"""The daily Stars reconciliation job (issue 19): charges and refunds Telegram made in tracker bots
that never reached the platform are found in `getStarTransactions` and recorded.

Like the other jobs it takes plain values; the runtime binds the reconciler (a coroutine function,
services.stars_reconcile.reconcile_all over its payment service) at start. It runs in the leader
only (the scheduler is paused elsewhere); every record is idempotent by charge id, so a run that
overlaps another, or repeats after a restart, records nothing twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduler.base import Scheduler

RECONCILE_JOB_ID = "stars-reconcile"
DAY_SECONDS = 24 * 3600

_reconcile: Callable[[], Awaitable[Any]] | None = None


def bind(reconcile: Callable[[], Awaitable[Any]] | None) -> None:
    global _reconcile
    _reconcile = reconcile


async def reconcile_stars() -> Any:
    if _reconcile is None:
        return None
    return await _reconcile()


def install_stars_reconcile_job(scheduler: Scheduler, reconcile: Callable[[], Awaitable[Any]], *,
                                seconds: float = DAY_SECONDS) -> None:
    bind(reconcile)
    # A few minutes after start, so a restart storm does not read every bot's history at once.
    scheduler.add_interval_job(f"{__name__}:reconcile_stars", job_id=RECONCILE_JOB_ID, seconds=seconds,
                               first_run_at=datetime.now(UTC) + timedelta(minutes=5))
