"""The admin's decisions by hand: refuse a request (the reservation comes back) or mark it paid
outside the platform with a reference. The same two steps close a stuck approved request
(`Payouts.close_failed` / `close_paid`, which check first that it is stuck)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from billing import ledger
from billing.payouts.common import REASON_MAX, REFERENCE_MAX, Outcome, PayoutError, clean, move
from models.enums import PayoutStatus

Check = Callable[[], Awaitable[None]]


async def refuse(payout_id: int, admin_id: int, reason: str, *, frm: PayoutStatus, to: PayoutStatus,
                 check: Check | None = None) -> Outcome:
    """From `frm` to `to` (rejected or failed) with the admin's reason; the reservation is released."""
    reason = clean(reason)
    if not reason:
        raise PayoutError("payouts-reason-empty")
    if check is not None:
        await check()
    return await move(payout_id, [frm], to, ledger_step=ledger.release_payout,
                      failure_reason=reason[:REASON_MAX], decided_by=admin_id, decided_at=datetime.now(UTC))


async def paid_by_hand(payout_id: int, admin_id: int, reference: str, *, frm: PayoutStatus,
                       check: Check | None = None) -> Outcome:
    """From `frm` to paid; `reference` says where to find the payment made outside the platform."""
    reference = clean(reference)
    if not reference:
        raise PayoutError("payouts-reference-empty")
    if check is not None:
        await check()
    return await move(payout_id, [frm], PayoutStatus.PAID, ledger_step=ledger.mark_payout_paid,
                      reference=reference[:REFERENCE_MAX], decided_by=admin_id, decided_at=datetime.now(UTC))


async def reject(payout_id: int, admin_id: int, reason: str) -> Outcome:
    """Refuse a request that is not yet decided; its reservation goes back to the balance."""
    return await refuse(payout_id, admin_id, reason, frm=PayoutStatus.REQUESTED, to=PayoutStatus.REJECTED)


async def mark_paid(payout_id: int, admin_id: int, reference: str) -> Outcome:
    """The admin paid it outside the platform; `reference` says where to find that payment."""
    return await paid_by_hand(payout_id, admin_id, reference, frm=PayoutStatus.REQUESTED)
