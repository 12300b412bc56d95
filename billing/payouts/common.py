"""What every payout module shares: the statuses of the admin's queue, the error with its locale
key, the secret box the destinations are encrypted with, and one step of a request's life (a
conditional move with its ledger step and its notification, in one transaction)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models import PayoutRequest
from models.enums import PayoutStatus
from notify import events

PENDING = (PayoutStatus.REQUESTED, PayoutStatus.APPROVED)  # the admin's queue
REFERENCE_MAX = 255
REASON_MAX = 500
# A failure YooKassa gave a reason code for is kept as this prefix and the code, so every screen
# can say it in its reader's language (`reason_text`).
YOOKASSA_REASON = "yookassa:"


def reason_text(t: Callable[..., str], reason: str) -> str:
    """A failure reason as a sentence in `t`'s language: YooKassa's codes through the locales
    (payouts-yookassa-reason), an admin's own words as they wrote them."""
    if reason.startswith(YOOKASSA_REASON):
        return t("payouts-yookassa-reason", reason=reason[len(YOOKASSA_REASON):])
    return reason


class SecretBoxLike(Protocol):
    def encrypt(self, plaintext: str) -> str: ...
    def decrypt(self, ciphertext: str) -> str: ...


class PayoutError(Exception):
    """A request or a step that cannot be done; `code` is a locale key, `params` its arguments."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class Outcome:
    payout: PayoutRequest
    changed: bool  # False: it was so already (a repeat, or another admin was first)


async def notify_changed(conn: BaseDBAsyncClient, payout_id: int) -> None:
    await events.payout_changed(conn, payout_id)  # the requester hears it iff the step commits


def clean(text: str | None) -> str:
    return " ".join((text or "").split())


LedgerStep = Callable[[int], Awaitable[Any]]


async def move(payout_id: int, frm: Sequence[PayoutStatus], to: PayoutStatus, *, ledger_step: LedgerStep | None = None,
                **fields: Any) -> Outcome:
    """Move the request from one of `frm` to `to` (with `fields`) and take the ledger step, all in
    one transaction, if and only if it is in `frm` now."""
    async with in_transaction() as conn:
        moved = await PayoutRequest.filter(id=payout_id, status__in=list(frm)).using_db(conn).update(
            status=to, updated_at=datetime.now(UTC), **fields)
        if moved:
            if ledger_step is not None:
                await ledger_step(payout_id)
            await notify_changed(conn, payout_id)
        payout = await PayoutRequest.get_or_none(id=payout_id, using_db=conn)
    if payout is None:
        raise PayoutError("payouts-not-found")
    return Outcome(payout, bool(moved))
