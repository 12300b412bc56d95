"""The referral fraud alert: tell a tracker's author, once, when one partner's referrals refund
unusually often (`referral.refund_rate_by_partner`).

The job takes plain values and reaches the runtime through a module-level host, as the meeting jobs
do (`scheduler.meetings`): the runtime installs itself at start and removes itself at stop; with no
host the job does nothing. Each alert is claimed in `alerts_sent` (a unique key per tracker and
partner) before it is sent, so it goes out at most once even when two runs overlap.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Protocol

from tortoise.exceptions import IntegrityError

import referral
from i18n.catalog import for_user
from models import AlertSent, Tracker, TrackerStatus
from scheduler.base import Scheduler

log = logging.getLogger(__name__)

REFUND_ALERTS_JOB_ID = "referral-refund-alerts"


class AlertHost(Protocol):
    async def notify(self, user_id: int, text: str, **kwargs: Any) -> bool:
        """A message from the platform bot."""


_host: AlertHost | None = None


def install_host(host: AlertHost | None) -> None:
    global _host
    _host = host


def alert_key(tracker_id: int, partner_id: int) -> str:
    return f"referral-refunds:{tracker_id}:{partner_id}"


async def _claim(key: str) -> bool:
    try:
        await AlertSent.create(key=key, sent_at=datetime.now(UTC))
    except IntegrityError:
        return False
    return True


async def refund_alerts() -> int:
    """Check every tracker; returns how many alerts were sent."""
    host = _host
    if host is None:
        return 0
    sent = 0
    trackers = await Tracker.filter(status__in=[TrackerStatus.ACTIVE, TrackerStatus.PAUSED]).prefetch_related("author")
    for tracker in trackers:
        try:
            alerts = await referral.refund_rate_by_partner(tracker.id)
        except Exception:
            log.exception("refund alerts of tracker %s", tracker.id)
            continue
        for alert in alerts:
            if not await _claim(alert_key(tracker.id, alert.partner_id)):
                continue
            i18n = for_user(tracker.author.language_code)
            text = i18n("partner-refund-alert", name=tracker.name, username=tracker.username,
                        partner=alert.first_name or str(alert.partner_id), refunded=alert.refunded,
                        payments=alert.payments, percent=int(alert.rate * 100))
            if await host.notify(tracker.author_id, text):
                sent += 1
    return sent


def install_referral_jobs(scheduler: Scheduler, host: AlertHost, *, minutes: int = 60) -> None:
    install_host(host)
    scheduler.add_interval_job(f"{__name__}:refund_alerts", job_id=REFUND_ALERTS_JOB_ID, seconds=minutes * 60,
                               first_run_at=datetime.now(UTC))
