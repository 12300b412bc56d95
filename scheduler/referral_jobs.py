"""The referral fraud alert: tell a tracker's author, once, when one partner's referrals refund
unusually often (`referral.refund_rate_by_partner`). And the daily fraud-hold check: flag the
partners over the admin's refund-rate threshold, whose new shares are then held (billing.fraud).

Each alert is claimed in `alerts_sent` (a unique key per tracker and partner) in the transaction
that writes it to the outbox (`billing.alerts.raise_alert`), so it goes out exactly once even when
two runs overlap or the worker dies right after the claim.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import referral
from billing import fraud
from billing.alerts import raise_alert
from models import Tracker, TrackerStatus
from scheduler.base import Scheduler

log = logging.getLogger(__name__)

REFUND_ALERTS_JOB_ID = "referral-refund-alerts"
FRAUD_FLAGS_JOB_ID = "fraud-refund-flags"


def alert_key(tracker_id: int, partner_id: int) -> str:
    return f"referral-refunds:{tracker_id}:{partner_id}"


async def refund_alerts() -> int:
    """Check every tracker; returns how many alerts were raised."""
    raised = 0
    for tracker in await Tracker.filter(status__in=[TrackerStatus.ACTIVE, TrackerStatus.PAUSED]):
        try:
            alerts = await referral.refund_rate_by_partner(tracker.id)
        except Exception:
            log.exception("refund alerts of tracker %s", tracker.id)
            continue
        for alert in alerts:
            params = {"name": tracker.name, "username": tracker.username,
                      "partner": alert.first_name or str(alert.partner_id), "refunded": alert.refunded,
                      "payments": alert.payments, "percent": int(alert.rate * 100)}
            if await raise_alert(alert_key(tracker.id, alert.partner_id), [tracker.author_id],
                                 "partner-refund-alert", params):
                raised += 1
    return raised


async def fraud_refund_flags() -> int:
    """The daily refund-rate check (billing.fraud): idempotent, so an overlap or a rerun is harmless."""
    over = await fraud.evaluate_refund_rates()
    if over:
        log.info("%d partner(s) over the refund-rate threshold", over)
    return over


def install_referral_jobs(scheduler: Scheduler, *, minutes: int = 60) -> None:
    scheduler.add_interval_job(f"{__name__}:refund_alerts", job_id=REFUND_ALERTS_JOB_ID, seconds=minutes * 60,
                               first_run_at=datetime.now(UTC))
    scheduler.add_interval_job(f"{__name__}:fraud_refund_flags", job_id=FRAUD_FLAGS_JOB_ID, seconds=24 * 3600,
                               first_run_at=datetime.now(UTC) + timedelta(minutes=15))
