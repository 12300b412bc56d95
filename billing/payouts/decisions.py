"""The admin's decisions on a request that is not yet decided: refuse it (the reservation comes
back) or mark it paid by hand with a reference."""

from __future__ import annotations

from datetime import UTC, datetime

from billing import ledger
from billing.payouts.common import REASON_MAX, REFERENCE_MAX, Outcome, PayoutError, clean, move
from models.enums import PayoutStatus


async def reject(payout_id: int, admin_id: int, reason: str) -> Outcome:
    """Refuse a request that is not yet decided; its reservation goes back to the balance."""
    reason = clean(reason)
    if not reason:
        raise PayoutError("payouts-reason-empty")
    return await move(payout_id, [PayoutStatus.REQUESTED], PayoutStatus.REJECTED, ledger_step=ledger.release_payout,
                       failure_reason=reason[:REASON_MAX], decided_by=admin_id, decided_at=datetime.now(UTC))


async def mark_paid(payout_id: int, admin_id: int, reference: str) -> Outcome:
    """The admin paid it outside the platform; `reference` says where to find that payment."""
    reference = clean(reference)
    if not reference:
        raise PayoutError("payouts-reference-empty")
    return await move(payout_id, [PayoutStatus.REQUESTED], PayoutStatus.PAID, ledger_step=ledger.mark_payout_paid,
                       reference=reference[:REFERENCE_MAX], decided_by=admin_id, decided_at=datetime.now(UTC))
