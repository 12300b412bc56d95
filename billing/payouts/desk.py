"""The payout desk of a running platform: the partner's and the admin's steps in one object, and
the YooKassa payout account that pays approved requests, polls them, and tells when one is stuck
and may be closed by hand."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from billing import ledger
from billing.payouts import decisions
from billing.payouts.cards import current_card, forget_card, save_card
from billing.payouts.common import REASON_MAX, YOOKASSA_REASON, Outcome, PayoutError, SecretBoxLike, move
from billing.payouts.destinations import CARD, YOOMONEY, Destination
from billing.payouts.requests import (
    PayoutView,
    my_payouts,
    payout_card,
    pending_payouts,
    read_destination,
    request_payout,
)
from billing.yookassa_gateway import GatewayError, GatewayRejected, PayoutInfo, YooKassaGateway
from models import PayoutRequest
from models.enums import PayoutStatus
from notify.redact import redact

log = logging.getLogger("billing.payouts")

# YooKassa keeps an idempotence key for 24 hours: after that a retry could create a second payout,
# so an approved request whose creation never got an answer is left to the admin instead.
RETRY_CREATE_FOR = timedelta(hours=23)

# Why an approved request may be closed by hand (the suffix of a locale key the card shows).
STUCK_NO_GATEWAY = "no-gateway"  # YooKassa payouts are off: nothing will ever finish it
STUCK_NO_ANSWER = "no-answer"  # creation never answered and the retry window is over
STUCK_NOT_FOUND = "not-found"  # YooKassa has no payout under the id it gave us


def idempotence_key(payout_id: int) -> str:
    return f"gptitor-payout-{payout_id}"


class _Secret(Protocol):
    def get_secret_value(self) -> str: ...


class PayoutAccountSettings(Protocol):
    """What the desk reads of `bot.config.Settings.payments` (billing does not import bot)."""

    @property
    def yookassa_payouts_enabled(self) -> bool: ...
    @property
    def yookassa_payout_agent_id(self) -> str | None: ...
    @property
    def yookassa_payout_secret_key(self) -> _Secret | None: ...
    @property
    def yookassa_api_url(self) -> str: ...
    @property
    def yookassa_timeout(self) -> float: ...


class PayoutSettings(Protocol):
    """What the desk reads of `bot.config.Settings`."""

    @property
    def payments(self) -> PayoutAccountSettings: ...
    @property
    def payout_min_kopecks(self) -> int: ...
    @property
    def admin_ids(self) -> Sequence[int]: ...


class Payouts:
    """The payout desk of a running platform: the secret box, the minimum and, when configured,
    the YooKassa payout account. The dialogs and the polling job use one of these."""

    def __init__(self, box: SecretBoxLike, *, min_kopecks: int, gateway: YooKassaGateway | None = None,
                 admin_ids: Sequence[int] = ()) -> None:
        self.box = box
        self.min_kopecks = min_kopecks
        self.gateway = gateway
        # Kept by reference: the settings' list, so an admin added or removed at run time counts.
        self.admin_ids = admin_ids

    @classmethod
    def from_settings(cls, settings: PayoutSettings, box: SecretBoxLike) -> Payouts:
        """`settings` is `bot.config.Settings`."""
        pay = settings.payments
        gateway = None
        if pay.yookassa_payouts_enabled:
            # Enabled means both are set (bot.config), so neither is None here.
            agent_id, secret = pay.yookassa_payout_agent_id, pay.yookassa_payout_secret_key
            assert agent_id is not None and secret is not None
            gateway = YooKassaGateway(agent_id, secret.get_secret_value(),
                                      api_url=pay.yookassa_api_url, timeout=pay.yookassa_timeout)
        return cls(box, min_kopecks=settings.payout_min_kopecks, gateway=gateway, admin_ids=settings.admin_ids)

    async def close(self) -> None:
        if self.gateway is not None:
            await self.gateway.aclose()

    def can_pay_automatically(self, method: str) -> bool:
        return self.gateway is not None and method in (CARD, YOOMONEY)

    @property
    def cards_enabled(self) -> bool:
        """Cards are offered only with the YooKassa payout account: its widget takes the number
        (the platform never does), and only YooKassa can pay to the synonym it gives."""
        return self.gateway is not None

    async def saved_card(self, user_id: int) -> Destination | None:
        """The person's payout card from the widget, or None: they add one in the Mini App."""
        return await current_card(self.box, user_id)

    async def save_card(self, user_id: int, *, token: str, first6: str, last4: str, issuer: str = "") -> Destination:
        return await save_card(self.box, user_id, token=token, first6=first6, last4=last4, issuer=issuer)

    # -- the partner's side

    async def request(self, *, user_id: int, amount_kopecks: int, destination: Destination, request_key: str,
                      tracker_id: int | None = None) -> Outcome:
        return await request_payout(self.box, user_id=user_id, amount_kopecks=amount_kopecks,
                                    destination=destination, request_key=request_key,
                                    min_kopecks=self.min_kopecks, tracker_id=tracker_id,
                                    admin_ids=list(self.admin_ids))

    async def mine(self, user_id: int, *, limit: int = 10) -> list[PayoutView]:
        return await my_payouts(self.box, user_id, limit=limit)

    # -- the admin's side

    async def queue(self, *, limit: int = 30) -> tuple[list[PayoutView], int]:
        return await pending_payouts(self.box, limit=limit)

    async def card(self, payout_id: int) -> PayoutView | None:
        return await payout_card(self.box, payout_id)

    async def reject(self, payout_id: int, admin_id: int, reason: str) -> Outcome:
        return await decisions.reject(payout_id, admin_id, reason)

    async def mark_paid(self, payout_id: int, admin_id: int, reference: str) -> Outcome:
        return await decisions.mark_paid(payout_id, admin_id, reference)

    async def approve(self, payout_id: int, admin_id: int) -> Outcome:
        """Approve and pay through YooKassa. The result's status is `paid`, `failed`, or
        `approved` while YooKassa is still paying (the polling job finishes it)."""
        payout = await PayoutRequest.get_or_none(id=payout_id)
        if payout is None:
            raise PayoutError("payouts-not-found")
        if not self.can_pay_automatically(payout.method):
            raise PayoutError("payouts-no-yookassa")
        dest = read_destination(self.box, payout)
        if dest is not None and dest.needs_new_card:
            raise PayoutError("admin-payouts-card-add-again")
        claimed = await move(payout_id, [PayoutStatus.REQUESTED], PayoutStatus.APPROVED,
                              decided_by=admin_id, decided_at=datetime.now(UTC))
        if not claimed.changed:
            return claimed
        return Outcome(await self._pay(claimed.payout), True)

    async def _pay(self, payout: PayoutRequest) -> PayoutRequest:
        """Create (or find again, by the idempotence key) the YooKassa payout of an approved
        request and record what YooKassa says. No transaction is open during the call."""
        assert self.gateway is not None
        dest = read_destination(self.box, payout)
        source = dest.yookassa() if dest else None
        if source is None:
            return (await self._failed(payout.id, "destination not payable through YooKassa")).payout
        try:
            info = await self.gateway.create_payout(
                int(payout.amount_kopecks), source, f"GPTitor payout #{payout.id}", idempotence_key(payout.id),
                metadata={"payout_id": str(payout.id)})
        except GatewayRejected as exc:  # YooKassa refused it: nothing was paid
            if exc.parameter == "payout_token":  # YooKassa does not know this card: it must be added again
                await forget_card(payout.account_id)
                return (await self._failed(payout.id, YOOKASSA_REASON + "payout_token")).payout
            return (await self._failed(payout.id, exc.description or str(exc))).payout
        except GatewayError as exc:  # unknown outcome: the polling job asks again with the same key
            log.warning("payout %s: YooKassa did not answer: %s", payout.id, exc)
            return await PayoutRequest.get(id=payout.id)
        return await self._apply(payout.id, info)

    async def _apply(self, payout_id: int, info: PayoutInfo) -> PayoutRequest:
        if info.status == "succeeded":
            return (await move(payout_id, [PayoutStatus.APPROVED], PayoutStatus.PAID,
                                ledger_step=ledger.mark_payout_paid, external_id=info.id, reference=info.id)).payout
        if info.status == "canceled":
            return (await self._failed(payout_id, YOOKASSA_REASON + (info.cancellation_reason or "canceled"),
                                       external_id=info.id)).payout
        await PayoutRequest.filter(id=payout_id, status=PayoutStatus.APPROVED, external_id=None).update(
            external_id=info.id)
        return await PayoutRequest.get(id=payout_id)

    async def notified(self, external_id: str) -> PayoutRequest | None:
        """YooKassa's `payout.succeeded` / `payout.canceled`: the notification is unsigned, so the
        payout is fetched again and only what YooKassa answers counts. Returns the request it
        belongs to as it is now, or None when it is not one of ours. Raises GatewayError when
        YooKassa cannot be asked (the notification comes again). A repeat changes nothing."""
        if self.gateway is None:
            return None
        info = await self.gateway.get_payout(external_id)
        payout = await PayoutRequest.get_or_none(external_id=info.id)
        if payout is None:  # the creation's answer was lost: our id is in its metadata
            raw = info.metadata.get("payout_id", "")
            payout = await PayoutRequest.get_or_none(id=int(raw)) if raw.isdigit() else None
            if payout is None or (payout.external_id and payout.external_id != info.id):
                return None
        if int(payout.amount_kopecks) != info.amount_kopecks:
            log.error("payout %s: YooKassa's payout %s is for %s kopecks, not %s: left to the admin",
                      payout.id, info.id, info.amount_kopecks, payout.amount_kopecks)
            return payout
        return await self._apply(payout.id, info)

    async def _failed(self, payout_id: int, reason: str, **fields: Any) -> Outcome:
        return await move(payout_id, [PayoutStatus.APPROVED], PayoutStatus.FAILED,
                           ledger_step=ledger.release_payout, failure_reason=redact(reason)[:REASON_MAX], **fields)

    async def _poll_one(self, payout: PayoutRequest, now: datetime, settle_after: timedelta) -> PayoutRequest:
        """Ask YooKassa about one approved payout, or create it again (same key) while the key
        still holds. Raises GatewayError when YooKassa cannot be asked."""
        assert self.gateway is not None
        if payout.external_id:
            return await self._apply(payout.id, await self.gateway.get_payout(payout.external_id))
        decided = payout.decided_at or payout.created_at
        if now - decided < settle_after:
            return payout  # the admin's own call may still be on its way
        if now - decided > RETRY_CREATE_FOR:
            log.error("payout %s: approved %s ago and YooKassa never answered; check it by hand",
                      payout.id, now - decided)
            return payout
        return await self._pay(payout)

    async def poll(self, *, now: datetime | None = None, settle_after: timedelta = timedelta(seconds=30)) -> int:
        """Finish approved payouts: ask YooKassa about each one it has, and create again (same key)
        the ones whose creation got no answer. Returns how many reached a final status."""
        if self.gateway is None:
            return 0
        now = now or datetime.now(UTC)
        finished = 0
        for payout in await PayoutRequest.filter(status=PayoutStatus.APPROVED).order_by("id"):
            try:
                result = await self._poll_one(payout, now, settle_after)
            except GatewayError as exc:
                log.warning("payout %s: YooKassa poll failed: %s", payout.id, exc)
                continue
            if result.status in (PayoutStatus.PAID, PayoutStatus.FAILED):
                finished += 1
        return finished

    # -- approved requests that will not finish on their own

    def _stuck_offline(self, payout: PayoutRequest, now: datetime) -> str | None:
        """What can be told without asking YooKassa."""
        if self.gateway is None:
            return STUCK_NO_GATEWAY
        decided = payout.decided_at or payout.created_at
        if not payout.external_id and now - decided > RETRY_CREATE_FOR:
            # A second creation with the same key could now make a second payout: never retried.
            return STUCK_NO_ANSWER
        return None

    async def stuck_reason(self, payout_id: int, *, ask: bool = False, now: datetime | None = None) -> str | None:
        """Why this approved request may be closed by hand (a STUCK_* value), or None: it is not
        approved, or YooKassa may still pay it. `ask=True` also asks YooKassa about a payout it
        has; a final answer is recorded (the request leaves `approved`) and gives None."""
        reason, _, _ = await self._stuck(payout_id, ask=ask, now=now)
        return reason

    async def _stuck(self, payout_id: int, *, ask: bool, now: datetime | None = None
                     ) -> tuple[str | None, PayoutRequest | None, bool]:
        """(why it may be closed by hand or None, the request as it is now, whether YooKassa answered)."""
        now = now or datetime.now(UTC)
        payout = await PayoutRequest.get_or_none(id=payout_id)
        if payout is None or payout.status != PayoutStatus.APPROVED:
            return None, payout, True
        reason = self._stuck_offline(payout, now)
        if reason is not None or not ask or not payout.external_id:
            return reason, payout, True
        assert self.gateway is not None
        try:
            info = await self.gateway.get_payout(payout.external_id)
        except GatewayRejected as exc:
            if exc.status == 404:
                return STUCK_NOT_FOUND, payout, True
            log.warning("payout %s: YooKassa refused the status request: %s", payout.id, exc)
            return None, payout, False
        except GatewayError as exc:  # unknown: the money may be moving, so nothing is offered
            log.warning("payout %s: YooKassa status unknown: %s", payout.id, exc)
            return None, payout, False
        return None, await self._apply(payout.id, info), True

    async def check(self, payout_id: int) -> tuple[PayoutRequest | None, str | None, bool]:
        """The admin's "check status": ask YooKassa about this request now (creating it again with
        the same key if its creation got no answer and the key still holds). Returns the request
        as it is after that, why it may be closed by hand (or None), and whether YooKassa answered."""
        now = datetime.now(UTC)
        payout = await PayoutRequest.get_or_none(id=payout_id)
        if (payout is not None and payout.status == PayoutStatus.APPROVED and self.gateway is not None
                and not payout.external_id):
            try:
                payout = await self._poll_one(payout, now, timedelta(0))
            except GatewayError as exc:
                log.warning("payout %s: YooKassa check failed: %s", payout_id, exc)
            if payout.status == PayoutStatus.APPROVED and not payout.external_id:  # still no answer
                return payout, self._stuck_offline(payout, now), False
        reason, payout, answered = await self._stuck(payout_id, ask=True, now=now)
        return payout, reason, answered

    async def _require_stuck(self, payout_id: int) -> None:
        reason, payout, _ = await self._stuck(payout_id, ask=True)
        if payout is None:
            raise PayoutError("payouts-not-found")
        if payout.status == PayoutStatus.APPROVED and reason is None:
            raise PayoutError("admin-payouts-not-stuck")
        # Not approved (decided meanwhile): the step below changes nothing and says so.

    async def close_failed(self, payout_id: int, admin_id: int, reason: str) -> Outcome:
        """A stuck approved request did not pay: failed, with the admin's reason; the reservation
        goes back to the balance."""
        return await decisions.refuse(payout_id, admin_id, reason, frm=PayoutStatus.APPROVED, to=PayoutStatus.FAILED,
                                      check=lambda: self._require_stuck(payout_id))

    async def close_paid(self, payout_id: int, admin_id: int, reference: str) -> Outcome:
        """A stuck approved request was paid outside YooKassa; `reference` finds that payment."""
        return await decisions.paid_by_hand(payout_id, admin_id, reference, frm=PayoutStatus.APPROVED,
                                            check=lambda: self._require_stuck(payout_id))
