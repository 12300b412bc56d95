"""Reads each live tracker bot's `getStarTransactions` and hands them to the domain's
reconciliation (billing.payments.stars_reconcile); the daily job (scheduler.stars_reconcile) runs it
in the leader."""

from __future__ import annotations

import logging
from datetime import UTC
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError

from billing.payments.stars_reconcile import ReconcileReport, StarTransaction, reconcile_stars
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


async def star_transactions(bot: Bot) -> list[StarTransaction]:
    """All of the bot's invoice payments and their refunds, oldest first, page by page."""
    found: list[StarTransaction] = []
    offset = 0
    while True:
        page = await bot.get_star_transactions(offset=offset, limit=PAGE)
        found.extend(tx for tx in map(_plain, page.transactions) if tx is not None)
        if len(page.transactions) < PAGE:
            return found
        offset += len(page.transactions)


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
            transactions = await star_transactions(bot)
        except (TelegramAPIError, TelegramNetworkError) as exc:
            log.warning("Stars transactions of tracker %s: %s; retrying at the next run", tracker.id, exc)
            continue
        total.add(await reconcile_stars(payments.box, tracker, transactions, tz=payments.tz))
    if total.charges or total.refunds:
        log.warning("Stars reconciliation recorded %d missed charges and %d missed refunds",
                    total.charges, total.refunds)
    return total
