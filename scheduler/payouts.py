"""The payout polling job: approved YooKassa payouts that were still `pending` (or whose creation
got no answer) are asked about again until they are paid or failed (`billing.payouts.Payouts.poll`).
One whose creation got no answer for ~23 h is no longer retried (YooKassa's idempotence key
expires); the admin's payout card then offers to close it by hand (`Payouts.stuck_reason`).

Like the renewal jobs, the job takes plain values; the runtime binds its payout desk here at start
(`install_payout_jobs`) and unbinds it at stop. With nothing bound, or YooKassa payouts off, the
job does nothing. Each step is idempotent through the database, so overlapping runs are harmless.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scheduler.base import Scheduler

log = logging.getLogger(__name__)

POLL_JOB_ID = "payouts-poll"
POLL_SECONDS = 60

_payouts: Any = None  # billing.payouts.Payouts, bound by the runtime


def bind(payouts: Any) -> None:
    global _payouts
    _payouts = payouts


async def poll_payouts() -> int:
    """Returns how many payouts reached a final status in this run."""
    payouts = _payouts
    if payouts is None or payouts.gateway is None:
        return 0
    return await payouts.poll()


def install_payout_jobs(scheduler: Scheduler, payouts: Any, *, seconds: float = POLL_SECONDS) -> None:
    bind(payouts)
    if payouts.gateway is None:
        return
    scheduler.add_interval_job(f"{__name__}:poll_payouts", job_id=POLL_JOB_ID, seconds=seconds,
                               first_run_at=datetime.now(UTC))
