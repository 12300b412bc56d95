"""Daily Stars reconciliation: what Telegram's own record of a tracker bot's Stars says, against
what the platform recorded (issue 19).

A Stars subscription renewal whose `successful_payment` never reached the platform (the bot was
down past Telegram's retries, an update lost) still put Stars in the author's bot; a refund made
outside the platform whose `refunded_payment` was lost still took them back. Both are found in
`getStarTransactions` and recorded through the usual paths, which are idempotent by charge id, so a
transaction seen again on the next day's run changes nothing.

Each bot's history is read once: a `StarsCursor` keeps how many of its transactions are recorded
and which was the last, and the next run reads only what came after (services.stars_reconcile).

Domain code: the service layer reads the Bot API and hands over plain `StarTransaction`s.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from billing.payments.invoices import XTR, InvalidPayload, Signer, decode_payload
from billing.payments.recording import record_telegram_payment, refund_recorded
from models import Membership, Payment, PaymentProvider, StarsCursor, Tracker

log = logging.getLogger("billing.payments")


@dataclass(frozen=True, slots=True)
class StarTransaction:
    """One invoice payment by a user (incoming) or its refund to them (outgoing). A refund's id is
    the id of the payment it returns, which is the payment's `telegram_payment_charge_id`."""

    id: str
    amount: int
    date: datetime
    incoming: bool
    user_id: int
    invoice_payload: str | None = None
    subscription_period: int | None = None


@dataclass(slots=True)
class ReconcileReport:
    charges: int = 0     # payments recorded now that the platform had missed
    refunds: int = 0     # refunds recorded now that the platform had missed
    foreign: int = 0     # transactions with a payload that is not ours (not this platform's invoice)
    read: int = 0        # transactions read from Telegram (new ones, and the one each run re-checks)
    rescans: int = 0     # bots whose history no longer lined up with the cursor, read again from the start

    def add(self, other: ReconcileReport) -> None:
        self.charges += other.charges
        self.refunds += other.refunds
        self.foreign += other.foreign
        self.read += other.read
        self.rescans += other.rescans


@dataclass(frozen=True, slots=True)
class Cursor:
    """How far a bot's history is recorded: `read` transactions, the last of them named `last_key`."""

    read: int = 0
    last_key: str = ""


async def cursor_for(tracker_id: int) -> Cursor:
    row = await StarsCursor.get_or_none(tracker_id=tracker_id)
    return Cursor(row.read, row.last_key) if row is not None else Cursor()


async def advance(tracker_id: int, cursor: Cursor) -> None:
    """Called only after the transactions up to `cursor` are recorded: a run that stops earlier
    leaves the cursor behind them, and the next one reads them again (recording is idempotent)."""
    updated = await StarsCursor.filter(tracker_id=tracker_id).update(read=cursor.read, last_key=cursor.last_key)
    if not updated:
        await StarsCursor.update_or_create(defaults={"read": cursor.read, "last_key": cursor.last_key},
                                           tracker_id=tracker_id)


async def reconcile_stars(signer: Signer, tracker: Tracker, transactions: list[StarTransaction], *,
                          tz: str | ZoneInfo | None = None) -> ReconcileReport:
    """Records the charges and refunds in `transactions` (oldest first) that the platform missed."""
    report = ReconcileReport()
    for tx in transactions:
        if tx.incoming:
            await _charge(signer, tracker, tx, report, tz)
        else:
            await _refund(tracker, tx, report)
    return report


async def _charge(signer: Signer, tracker: Tracker, tx: StarTransaction, report: ReconcileReport,
                  tz: str | ZoneInfo | None) -> None:
    if await Payment.filter(provider=PaymentProvider.STARS, external_id=tx.id).exists():
        return
    try:
        terms = decode_payload(signer, tracker.bot_id, tx.invoice_payload)
    except InvalidPayload:
        terms = None
    if terms is None or terms.tracker_id != tracker.id or terms.user_id != tx.user_id \
            or terms.provider != PaymentProvider.STARS:
        report.foreign += 1
        log.warning("Stars transaction %s on tracker %s: not an invoice of ours", tx.id, tracker.id)
        return
    recurring = bool(tx.subscription_period)
    renewal = recurring and await Payment.filter(
        tracker_id=tracker.id, user_id=tx.user_id, provider=PaymentProvider.STARS).exists()
    await Membership.get_or_create(tracker_id=tracker.id, user_id=tx.user_id)
    outcome = await record_telegram_payment(terms, tx.id, XTR, tx.amount, paid_at=tx.date, tz=tz,
                                            recurring=recurring, renewal=renewal)
    if outcome.created:
        report.charges += 1
        log.warning("Stars charge %s of user %s on tracker %s had not reached the platform: recorded",
                    tx.id, tx.user_id, tracker.id)


async def _refund(tracker: Tracker, tx: StarTransaction, report: ReconcileReport) -> None:
    payment = await Payment.get_or_none(tracker_id=tracker.id, provider=PaymentProvider.STARS, external_id=tx.id)
    if payment is None or payment.refunded:
        return
    # The same key as the `refunded_payment` message: whichever comes first records it.
    outcome = await refund_recorded(payment, key=f"telegram:{tx.id}")
    if not outcome.already:
        report.refunds += 1
        log.warning("Stars refund of payment %s on tracker %s had not reached the platform: recorded",
                    payment.id, tracker.id)
