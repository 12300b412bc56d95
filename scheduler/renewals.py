"""Renewal jobs: reminders 3 days and 1 day before the end of paid time, YooKassa auto-renewal
through a saved method, and a failed renewal told to the client once.

Jobs are referenced by text and take plain values only. What they need at run time (the YooKassa
shop, the platform's zone) is the payment service the runtime binds here at start
(`install_renewal_jobs`). Every job is idempotent through the database: a reminder is claimed in
`sent_notices` in the transaction that writes it to the outbox, and a renewal charge is keyed by
the subscription it extends.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from billing.payments import (
    REMIND_1D,
    RENEW_PRICE_KEY,
    RENEWAL_FAILED,
    RENEWAL_PRICE,
    due_reminders,
    due_yookassa_renewals,
    notify_once,
    renewal_failed,
    renewal_terms,
    stars_renewal_amount,
)
from billing.yookassa_gateway import GatewayError
from models import PaymentProvider
from scheduler.base import Scheduler

log = logging.getLogger(__name__)

RENEWALS_JOB_ID = "payments-renewals"
STARS_REMINDER_KEY = "renew-reminder-auto-stars"

_service: Any = None  # services.payments.PaymentService, bound by the runtime


def bind(service: Any) -> None:
    global _service
    _service = service


def _now(now_iso: str | None) -> datetime:
    return datetime.fromisoformat(now_iso) if now_iso else datetime.now(UTC)


async def send_reminders(now_iso: str | None = None) -> int:
    """Remind every client whose paid time ends within 3 days (and again within 1 day), once each."""
    if _service is None:
        return 0
    sent = 0
    for reminder in await due_reminders(_now(now_iso)):
        renewal = reminder.auto_renewal
        automatic = renewal is not None and not await renewal_failed(
            reminder.tracker_id, reminder.user_id, reminder.ends_at)
        params: dict[str, Any] = {"days": 1 if reminder.kind == REMIND_1D else 3}
        key = "renew-reminder"
        if automatic and renewal is not None and renewal.provider == PaymentProvider.YOOKASSA:
            terms = await renewal_terms(renewal)
            if terms.needs_confirmation and terms.current is not None:
                # Ask now rather than a day before: the client has time to agree or not.
                sent += await ask_to_confirm_price(reminder.tracker_id, reminder.user_id, reminder.ends_at,
                                                   terms.current, terms.agreed)
                continue
            key, params["amount"] = "renew-reminder-auto-amount", terms.charge
        elif automatic and renewal is not None:
            # Stars: Telegram charges the subscription's own price, in Stars, whatever the plan says now.
            stars = await stars_renewal_amount(renewal)
            if stars:
                key, params["stars"] = STARS_REMINDER_KEY, stars
            else:
                key = "renew-reminder-auto"
        if await notify_once(reminder.tracker_id, reminder.user_id, reminder.kind, reminder.ends_at, key,
                             params, tz=_service.tz):
            sent += 1
    return sent


async def ask_to_confirm_price(tracker_id: int, user_id: int, ends_at: datetime, price: int, agreed: int) -> bool:
    """"The price went up from <agreed> to <price>: nothing is charged until you agree" with a
    button (services.outbox.markup), once per paid time that ends at `ends_at`."""
    return await notify_once(tracker_id, user_id, RENEWAL_PRICE, ends_at, RENEW_PRICE_KEY,
                             {"amount": price, "old_amount": agreed}, tz=_service.tz)


async def charge_renewals(now_iso: str | None = None) -> int:
    """Charge the saved YooKassa method of every opted-in client whose paid time ends within a day.
    A timeout leaves the attempt open and the next run retries it with the same idempotence key."""
    if _service is None or _service.yookassa is None:
        return 0
    renewed = 0
    now = _now(now_iso)
    try:
        renewed += await _service.yookassa.poll_pending_renewals()
    except GatewayError as exc:
        log.warning("pending renewals: YooKassa did not answer (%s); asking again next run", exc)
    for renewal in await due_yookassa_renewals(now):
        try:
            result = await _service.yookassa.renew(renewal, now)
        except GatewayError as exc:
            log.warning("renewal of user %s on tracker %s: YooKassa did not answer (%s); retrying next run",
                        renewal.user_id, renewal.tracker_id, exc)
            continue
        if result.status == "renewed" and result.outcome is not None and result.outcome.created:
            renewed += 1  # the client's "renewed until" was written with the payment
        elif result.status == "confirm" and result.ends_at is not None and result.price is not None:
            terms = await renewal_terms(renewal)
            await ask_to_confirm_price(renewal.tracker_id, renewal.user_id, result.ends_at, result.price, terms.agreed)
        elif result.status == "failed" and result.ends_at is not None:
            await notify_once(renewal.tracker_id, renewal.user_id, RENEWAL_FAILED, result.ends_at, "renew-failed",
                              tz=_service.tz)
    return renewed


async def run_renewals(now_iso: str | None = None) -> None:
    """Renew first, so a client who was just renewed is not reminded of the old end."""
    await charge_renewals(now_iso)
    await send_reminders(now_iso)


def install_renewal_jobs(scheduler: Scheduler, service: Any, *, minutes: int = 15) -> None:
    bind(service)
    scheduler.add_interval_job(f"{__name__}:run_renewals", job_id=RENEWALS_JOB_ID, seconds=minutes * 60,
                               first_run_at=datetime.now(UTC))
