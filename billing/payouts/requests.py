"""A partner's or an author's payout requests: asking (the amount reserved in the same
transaction), and the request as screens show it (the destination masked, or in full on the
admin's card)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from billing import ledger
from billing.accounts import user_account_id
from billing.payouts.common import PENDING, Outcome, PayoutError, SecretBoxLike, notify_changed
from billing.payouts.destinations import Destination
from models import Account, PayoutRequest, User
from models.enums import PayoutStatus
from models.sql import default_connection, sql, ts
from notify import events

log = logging.getLogger("billing.payouts")


# --- what screens show ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PayoutView:
    id: int
    amount_kopecks: int
    status: str
    method: str
    masked: str
    created_at: datetime
    user_id: int
    first_name: str = ""
    username: str | None = None
    tracker_id: int | None = None
    reference: str | None = None
    failure_reason: str | None = None
    external_id: str | None = None
    decided_by: int | None = None
    needs_new_card: bool = False  # a card kept as a number before the widget: not payable through YooKassa
    full: str = field(default="", repr=False)  # filled only for the admin's card


def read_destination(box: SecretBoxLike, payout: PayoutRequest) -> Destination | None:
    try:
        return Destination.from_json(box.decrypt(payout.destination_encrypted))
    except (ValueError, KeyError, TypeError):
        log.error("payout %s: its destination cannot be read (SECRET_KEY changed?)", payout.id)
        return None


async def _views(box: SecretBoxLike, payouts: Sequence[PayoutRequest], *, full: bool = False) -> list[PayoutView]:
    accounts = {a.id: a.user_id for a in await Account.filter(id__in={p.account_id for p in payouts})}
    users = {u.id: u for u in await User.filter(id__in={uid for uid in accounts.values() if uid is not None})}
    out = []
    for p in payouts:
        dest = read_destination(box, p)
        uid = accounts.get(p.account_id) or 0
        user = users.get(uid)
        out.append(PayoutView(
            id=p.id, amount_kopecks=int(p.amount_kopecks), status=PayoutStatus(p.status).value, method=p.method,
            masked=dest.masked if dest else "?", created_at=p.created_at, user_id=int(uid),
            first_name=(user.first_name if user else "") or "", username=user.username if user else None,
            tracker_id=p.tracker_id, reference=p.reference, failure_reason=p.failure_reason,
            external_id=p.external_id, decided_by=p.decided_by,
            needs_new_card=bool(dest and dest.needs_new_card), full=(dest.full if dest and full else ""),
        ))
    return out


async def my_payouts(
    box: SecretBoxLike, user_id: int, *, limit: int = 10, before: int | None = None
) -> list[PayoutView]:
    """The person's own requests, newest first (those with an id below `before`, for the next
    page). Reading never creates an account."""
    account = await Account.get_or_none(user_id=user_id)
    if account is None:
        return []
    query = PayoutRequest.filter(account_id=account.id)
    if before is not None:
        query = query.filter(id__lt=before)
    rows = await query.order_by("-id").limit(limit)
    return await _views(box, rows)


async def pending_payouts(box: SecretBoxLike, *, limit: int = 30) -> tuple[list[PayoutView], int]:
    """The admin's queue, oldest first, and how many there are in all."""
    query = PayoutRequest.filter(status__in=list(PENDING))
    rows = await query.order_by("id").limit(limit)
    return await _views(box, rows), await query.count()


async def payout_card(box: SecretBoxLike, payout_id: int) -> PayoutView | None:
    """One request with its destination in full (the admin pays by hand from it); of a card, only
    its mask."""
    payout = await PayoutRequest.get_or_none(id=payout_id)
    return (await _views(box, [payout], full=True))[0] if payout else None


# --- asking ------------------------------------------------------------------------------------


_INSERT = (
    "INSERT INTO payout_requests (request_key, tracker_id, account_id, amount_kopecks, method,"
    " destination_encrypted, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (request_key) DO NOTHING"
)


async def request_payout(
    box: SecretBoxLike,
    *,
    user_id: int,
    amount_kopecks: int,
    destination: Destination,
    request_key: str,
    min_kopecks: int,
    tracker_id: int | None = None,
    admin_ids: Sequence[int] = (),
) -> Outcome:
    """Ask for a payout of `amount_kopecks` to `destination`; reserves the amount at once.

    The same `request_key` again returns the first request (changed=False) and reserves nothing
    more, whatever it asks. Raises PayoutError("payouts-below-minimum") under the minimum and
    PayoutError("payouts-not-enough") above the available balance. Each of `admin_ids` is told
    of the new request, in the same transaction.
    """
    if not request_key or len(request_key) > 64:
        raise ValueError("request_key must be 1..64 characters")
    existing = await PayoutRequest.get_or_none(request_key=request_key)
    if existing is not None:
        return Outcome(existing, False)
    if amount_kopecks < min_kopecks:
        raise PayoutError("payouts-below-minimum", minimum=min_kopecks)
    if destination.needs_new_card:  # a card number from before the widget is never paid to again
        raise PayoutError("payouts-card-add-again")
    encrypted = box.encrypt(destination.to_json())
    account_id = await user_account_id(user_id)
    async with in_transaction() as conn:
        now = ts(conn, datetime.now(UTC))
        await conn.execute_query(sql(conn, _INSERT), [
            request_key, tracker_id, account_id, amount_kopecks, destination.method, encrypted,
            PayoutStatus.REQUESTED.value, now, now])
        payout = await PayoutRequest.get(request_key=request_key, using_db=conn)
        # The row is ours only if it carries our ciphertext (Fernet never encrypts the same way
        # twice); otherwise the same form was sent twice at once and the first one stands.
        if payout.destination_encrypted != encrypted:
            return Outcome(payout, False)
        try:
            await ledger.reserve_payout(payout.id, account_id, amount_kopecks)
        except ledger.InsufficientFunds:
            available = (await ledger.balance(account_id, conn)).available
            raise PayoutError("payouts-not-enough", available=max(available, 0)) from None
        await notify_changed(conn, payout.id)
        await events.payout_requested(conn, payout.id, admin_ids)
    return Outcome(payout, True)


async def reserved_total(conn: BaseDBAsyncClient | None = None) -> int:
    """Sum of what open requests hold (for checks and tests): reserve entries not yet released or paid."""
    conn = conn or default_connection()
    _, rows = await conn.execute_query(sql(conn, "SELECT COALESCE(SUM(amount_kopecks), 0) FROM payout_requests"
                                                 " WHERE status IN (?, ?)"),
                                       [PayoutStatus.REQUESTED.value, PayoutStatus.APPROVED.value])
    return int(rows[0][0])
