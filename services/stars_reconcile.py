"""Reads each live tracker bot's `getStarTransactions` and hands them to the domain's
reconciliation (billing.payments.stars_reconcile); the daily job (scheduler.stars_reconcile) runs it
in the leader.

Only what is new is read. The Bot API lists a bot's transactions in chronological order, `offset`
counting from the oldest and `limit` at most 100 a call; a bot's cursor (`StarsCursor`) keeps how
many are recorded and which was the last. Each run asks from one before the cursor: the first
transaction it gets must be the one it stopped at, which proves the count still points at the same
place in the history. If it is not (the history is not what the cursor remembers: Telegram changed
its order, or dropped something), the bot's whole history is read again once, which records nothing
twice, and the cursor starts over from what that run read. The cursor moves after each page is
recorded, so a run that stops half way resumes at the page it was on.
"""

from __future__ import annotations

import logging
from datetime import UTC
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError

from billing.payments.stars_reconcile import (
    Cursor,
    ReconcileReport,
    StarTransaction,
    advance,
    cursor_for,
    reconcile_stars,
)
from models import Tracker, TrackerStatus

log = logging.getLogger(__name__)

PAGE = 100  # the most Telegram returns at once


def _user_partner(partner: Any) -> Any | None:
    """A TransactionPartnerUser paying an invoice (not a gift, paid media or a business transfer)."""
    if partner is None or getattr(partner, "type", None) != "user":
        return None
    if getattr(partner, "transaction_type", None) not in (None, "invoice_payment"):
        return None
    return partner


def _plain(tx: Any) -> StarTransaction | None:
    incoming = tx.source is not None
    partner = _user_partner(tx.source if incoming else tx.receiver)
    if partner is None:
        return None
    return StarTransaction(id=tx.id, amount=tx.amount, date=tx.date.astimezone(UTC), incoming=incoming,
                           user_id=partner.user.id, invoice_payload=partner.invoice_payload,
                           subscription_period=partner.subscription_period)


def transaction_key(tx: Any) -> str:
    """Names one transaction of the history (a refund has its payment's id, so the direction and
    the date are part of the name)."""
    direction = "in" if tx.source is not None else "out"
    return f"{direction}:{tx.id}:{int(tx.date.timestamp())}"


async def reconcile_bot(payments: Any, tracker: Tracker, bot: Bot) -> ReconcileReport:
    """Reads the bot's transactions after its cursor, page by page, and records what the platform
    missed; the cursor follows each recorded page."""
    report = ReconcileReport()
    cursor = await cursor_for(tracker.id)
    check = cursor.read > 0 and bool(cursor.last_key)
    offset = cursor.read - 1 if check else 0
    while True:
        page = list((await bot.get_star_transactions(offset=offset, limit=PAGE)).transactions)
        report.read += len(page)
        fresh = page
        if check:
            check = False
            if not page or transaction_key(page[0]) != cursor.last_key:
                log.warning("tracker %s: its Stars history no longer lines up with the %d transactions read "
                            "before; reading it again from the start", tracker.id, cursor.read)
                report.rescans += 1
                offset = 0
                continue
            fresh = page[1:]  # the transaction the last run stopped at, recorded then
        found = [tx for tx in map(_plain, fresh) if tx is not None]
        if found:
            report.add(await reconcile_stars(payments.box, tracker, found, tz=payments.tz))
        if page:
            offset += len(page)
            await advance(tracker.id, Cursor(offset, transaction_key(page[-1])))
        if len(page) < PAGE:
            return report


async def reconcile_all(payments: Any) -> ReconcileReport:
    """`payments` is services.payments.PaymentService (its bots, secret box and time zone). A tracker
    whose bot cannot be asked today is left for tomorrow's run."""
    total = ReconcileReport()
    trackers = await Tracker.filter(status__in=[TrackerStatus.ACTIVE, TrackerStatus.PAUSED]).exclude(
        token_encrypted="").order_by("id")
    for tracker in trackers:
        bot = await payments.bot_for(tracker)
        if bot is None:
            continue
        try:
            total.add(await reconcile_bot(payments, tracker, bot))
        except (TelegramAPIError, TelegramNetworkError) as exc:
            # The pages recorded so far moved the cursor; the next run goes on from there.
            log.warning("Stars transactions of tracker %s: %s; going on at the next run", tracker.id, exc)
        except Exception:  # one bot's bad day must not keep the others unreconciled
            log.exception("Stars reconciliation of tracker %s; going on at the next run", tracker.id)
    if total.charges or total.refunds:
        log.warning("Stars reconciliation recorded %d missed charges and %d missed refunds",
                    total.charges, total.refunds)
    return total
