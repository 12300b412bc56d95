"""Payouts: a partner or an author takes money out of their balance (issue 7).

The life of a request, each step one short transaction that also writes the requester's
notification (`notify.events.payout_changed`):

    requested --approve--> approved --YooKassa succeeded--> paid
        |                      |----YooKassa canceled/refused--> failed (reservation released)
        |                      `----stuck: the admin closes it by hand--> failed or paid
        |--mark paid by hand (with a reference)--> paid
        `--reject (with a reason)--> rejected (reservation released)

- Asking reserves the amount in the ledger in the same transaction that writes the request, and
  the request's `request_key` (made when the cabinet's form opens) is unique: a double tap, or two
  workers sending the same form, make one row and one reservation.
- Every decision is a conditional UPDATE on the current status, so of two admins pressing at once
  exactly one moves the request; the other gets `changed=False` and the state as it is now.
  Repeating a step is a no-op for the same reason, and the ledger's unique key backs it up.
- YooKassa is called only between transactions. Its idempotence key is derived from the request's
  id, so a retry after a timeout (by the admin or by the polling job) finds the same payout instead
  of paying twice. A payout YooKassa keeps `pending` stays `approved` until `poll_payouts` sees it
  final.

Destinations are kept encrypted (the secret box of `bot.crypto`, passed in: no `bot` import here);
screens show them masked, the admin's payout card shows them in full to pay by hand. An SBP payout
through YooKassa needs the bank's SBP id, which people do not know, so SBP requests are paid by hand.

A request can get stuck in `approved`: YooKassa never answered its creation and the retry window
is over, YooKassa says it has no payout under our id, or YooKassa payouts were switched off since.
Only then (`Payouts.stuck_reason`, asked again right before the step) may the admin close it by
hand: failed (the reservation comes back) or paid with a reference. While YooKassa reports the
payout pending, or cannot be reached, nothing is offered: the money may still be on its way.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from tortoise.transactions import in_transaction

from billing import ledger
from billing.accounts import user_account_id
from models.sql import default_connection, sql, ts
from billing.yookassa_gateway import GatewayError, GatewayRejected, PayoutInfo, YooKassaGateway
from models import Account, PayoutRequest, User
from models.enums import PayoutStatus
from notify import events

log = logging.getLogger(__name__)

CARD = "card"
SBP = "sbp"
YOOMONEY = "yoomoney"
METHODS = (CARD, SBP, YOOMONEY)

PENDING = (PayoutStatus.REQUESTED, PayoutStatus.APPROVED)  # the admin's queue
# YooKassa keeps an idempotence key for 24 hours: after that a retry could create a second payout,
# so an approved request whose creation never got an answer is left to the admin instead.
RETRY_CREATE_FOR = timedelta(hours=23)
REFERENCE_MAX = 255
REASON_MAX = 500

# Why an approved request may be closed by hand (the suffix of a locale key the card shows).
STUCK_NO_GATEWAY = "no-gateway"  # YooKassa payouts are off: nothing will ever finish it
STUCK_NO_ANSWER = "no-answer"  # creation never answered and the retry window is over
STUCK_NOT_FOUND = "not-found"  # YooKassa has no payout under the id it gave us


class SecretBoxLike(Protocol):
    def encrypt(self, plaintext: str) -> str: ...
    def decrypt(self, ciphertext: str) -> str: ...


class PayoutError(Exception):
    """A request or a step that cannot be done; `code` is a locale key, `params` its arguments."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


# --- destinations --------------------------------------------------------------------------------

_JUNK = re.compile(r"[\s()+\-.]")


def _digits(text: str) -> str:
    return _JUNK.sub("", text or "")


def luhn_ok(number: str) -> bool:
    if not number.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def parse_card(text: str) -> str:
    number = _digits(text)
    if not number.isdigit() or not 13 <= len(number) <= 19 or not luhn_ok(number):
        raise PayoutError("payouts-bad-card")
    return number


def parse_phone(text: str) -> str:
    """A Russian phone number (SBP is Russian) as 11 digits starting with 7."""
    number = _digits(text)
    if len(number) == 11 and number[0] == "8":
        number = "7" + number[1:]
    elif len(number) == 10 and number[0] == "9":
        number = "7" + number
    if not (number.isdigit() and len(number) == 11 and number[0] == "7"):
        raise PayoutError("payouts-bad-phone")
    return number


def parse_wallet(text: str) -> str:
    number = _digits(text)
    if not (number.isdigit() and 11 <= len(number) <= 20 and number.startswith("4100")):
        raise PayoutError("payouts-bad-wallet")
    return number


def parse_bank(text: str) -> str:
    bank = " ".join((text or "").split())
    if not 2 <= len(bank) <= 64:
        raise PayoutError("payouts-bad-bank")
    return bank


@dataclass(frozen=True, slots=True)
class Destination:
    """Where to pay: a card number, an SBP phone and bank, or a YooMoney wallet."""

    method: str
    number: str  # the card number, the phone (7XXXXXXXXXX) or the wallet
    bank: str = ""  # SBP only

    @classmethod
    def parse(cls, method: str, text: str, bank: str = "") -> Destination:
        if method == CARD:
            return cls(CARD, parse_card(text))
        if method == SBP:
            return cls(SBP, parse_phone(text), parse_bank(bank))
        if method == YOOMONEY:
            return cls(YOOMONEY, parse_wallet(text))
        raise PayoutError("payouts-bad-method")

    def to_json(self) -> str:
        data = {"method": self.method, "number": self.number}
        if self.bank:
            data["bank"] = self.bank
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Destination:
        data = json.loads(text)
        return cls(str(data["method"]), str(data["number"]), str(data.get("bank", "")))

    @property
    def masked(self) -> str:
        """What a list may show: the last four digits only."""
        tail = self.number[-4:]
        if self.method == CARD:
            return f"•••• {tail}"
        if self.method == SBP:
            return f"+7 ••• •••-{tail[:2]}-{tail[2:]}, {self.bank}"
        return f"{self.number[:4]} •••• {tail}"

    @property
    def full(self) -> str:
        """What the admin needs to pay by hand."""
        if self.method == CARD:
            return " ".join(self.number[i:i + 4] for i in range(0, len(self.number), 4))
        if self.method == SBP:
            return f"+{self.number}, {self.bank}"
        return self.number

    def yookassa(self) -> dict[str, Any] | None:
        """YooKassa's `payout_destination_data`, or None when YooKassa cannot pay it (SBP)."""
        if self.method == CARD:
            return {"type": "bank_card", "card": {"number": self.number}}
        if self.method == YOOMONEY:
            return {"type": "yoo_money", "account_number": self.number}
        return None


def parse_rubles(text: str) -> int:
    """ "1500", "1 500,50", "1500.5 ₽" -> kopecks; a bad or non-positive amount is a PayoutError."""
    cleaned = (text or "").replace("₽", "").replace("руб", "").replace("\u00a0", "").replace(" ", "")
    cleaned = cleaned.replace(",", ".").rstrip(".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise PayoutError("payouts-bad-amount") from None
    kopecks = value * 100
    if not value.is_finite() or value <= 0 or kopecks != kopecks.to_integral_value():
        raise PayoutError("payouts-bad-amount")
    return int(kopecks)


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
    full: str = field(default="", repr=False)  # filled only for the admin's card


def _destination(box: SecretBoxLike, payout: PayoutRequest) -> Destination | None:
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
        dest = _destination(box, p)
        uid = accounts.get(p.account_id) or 0
        user = users.get(uid)
        out.append(PayoutView(
            id=p.id, amount_kopecks=int(p.amount_kopecks), status=PayoutStatus(p.status).value, method=p.method,
            masked=dest.masked if dest else "?", created_at=p.created_at, user_id=int(uid),
            first_name=(user.first_name if user else "") or "", username=user.username if user else None,
            tracker_id=p.tracker_id, reference=p.reference, failure_reason=p.failure_reason,
            external_id=p.external_id, decided_by=p.decided_by, full=(dest.full if dest and full else ""),
        ))
    return out


async def my_payouts(box: SecretBoxLike, user_id: int, *, limit: int = 10) -> list[PayoutView]:
    """The person's own requests, newest first. Reading never creates an account."""
    account = await Account.get_or_none(user_id=user_id)
    if account is None:
        return []
    rows = await PayoutRequest.filter(account_id=account.id).order_by("-id").limit(limit)
    return await _views(box, rows)


async def pending_payouts(box: SecretBoxLike, *, limit: int = 30) -> tuple[list[PayoutView], int]:
    """The admin's queue, oldest first, and how many there are in all."""
    query = PayoutRequest.filter(status__in=list(PENDING))
    rows = await query.order_by("id").limit(limit)
    return await _views(box, rows), await query.count()


async def payout_card(box: SecretBoxLike, payout_id: int) -> PayoutView | None:
    """One request with its destination in full (the admin pays by hand from it)."""
    payout = await PayoutRequest.get_or_none(id=payout_id)
    return (await _views(box, [payout], full=True))[0] if payout else None


# --- asking ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    payout: PayoutRequest
    changed: bool  # False: it was so already (a repeat, or another admin was first)


_INSERT = (
    "INSERT INTO payout_requests (request_key, tracker_id, account_id, amount_kopecks, method,"
    " destination_encrypted, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (request_key) DO NOTHING"
)


async def _notify(conn: Any, payout_id: int) -> None:
    await events.payout_changed(conn, payout_id)  # the requester hears it iff the step commits


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


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
    encrypted = box.encrypt(destination.to_json())
    account_id = await user_account_id(user_id)
    async with in_transaction() as conn:
        now = ts(conn, datetime.now(UTC))
        await conn.execute_query(sql(conn, _INSERT), [
            request_key, tracker_id, account_id, amount_kopecks, destination.method, encrypted,
            PayoutStatus.REQUESTED.value, now, now])
        payout = await PayoutRequest.get(request_key=request_key).using_db(conn)
        # The row is ours only if it carries our ciphertext (Fernet never encrypts the same way
        # twice); otherwise the same form was sent twice at once and the first one stands.
        if payout.destination_encrypted != encrypted:
            return Outcome(payout, False)
        try:
            await ledger.reserve_payout(payout.id, account_id, amount_kopecks)
        except ledger.InsufficientFunds:
            available = (await ledger.balance(account_id, conn)).available
            raise PayoutError("payouts-not-enough", available=max(available, 0)) from None
        await _notify(conn, payout.id)
        await events.payout_requested(conn, payout.id, admin_ids)
    return Outcome(payout, True)


# --- deciding ----------------------------------------------------------------------------------


async def _move(payout_id: int, frm: Sequence[PayoutStatus], to: PayoutStatus, *, ledger_step=None,
                **fields: Any) -> Outcome:
    """Move the request from one of `frm` to `to` (with `fields`) and take the ledger step, all in
    one transaction, if and only if it is in `frm` now."""
    async with in_transaction() as conn:
        moved = await PayoutRequest.filter(id=payout_id, status__in=list(frm)).using_db(conn).update(
            status=to, updated_at=datetime.now(UTC), **fields)
        if moved:
            if ledger_step is not None:
                await ledger_step(payout_id)
            await _notify(conn, payout_id)
        payout = await PayoutRequest.get_or_none(id=payout_id).using_db(conn)
    if payout is None:
        raise PayoutError("payouts-not-found")
    return Outcome(payout, bool(moved))


async def reject(payout_id: int, admin_id: int, reason: str) -> Outcome:
    """Refuse a request that is not yet decided; its reservation goes back to the balance."""
    reason = _clean(reason)
    if not reason:
        raise PayoutError("payouts-reason-empty")
    return await _move(payout_id, [PayoutStatus.REQUESTED], PayoutStatus.REJECTED, ledger_step=ledger.release_payout,
                       failure_reason=reason[:REASON_MAX], decided_by=admin_id, decided_at=datetime.now(UTC))


async def mark_paid(payout_id: int, admin_id: int, reference: str) -> Outcome:
    """The admin paid it outside the platform; `reference` says where to find that payment."""
    reference = _clean(reference)
    if not reference:
        raise PayoutError("payouts-reference-empty")
    return await _move(payout_id, [PayoutStatus.REQUESTED], PayoutStatus.PAID, ledger_step=ledger.mark_payout_paid,
                       reference=reference[:REFERENCE_MAX], decided_by=admin_id, decided_at=datetime.now(UTC))


def idempotence_key(payout_id: int) -> str:
    return f"gptitor-payout-{payout_id}"


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
    def from_settings(cls, settings: Any, box: SecretBoxLike) -> Payouts:
        """`settings` is `bot.config.Settings`."""
        pay = settings.payments
        gateway = None
        if pay.yookassa_payouts_enabled:
            gateway = YooKassaGateway(pay.yookassa_payout_agent_id, pay.yookassa_payout_secret_key.get_secret_value(),
                                      api_url=pay.yookassa_api_url, timeout=pay.yookassa_timeout)
        return cls(box, min_kopecks=settings.payout_min_kopecks, gateway=gateway, admin_ids=settings.admin_ids)

    async def close(self) -> None:
        if self.gateway is not None:
            await self.gateway.aclose()

    def can_pay_automatically(self, method: str) -> bool:
        return self.gateway is not None and method in (CARD, YOOMONEY)

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
        return await reject(payout_id, admin_id, reason)

    async def mark_paid(self, payout_id: int, admin_id: int, reference: str) -> Outcome:
        return await mark_paid(payout_id, admin_id, reference)

    async def approve(self, payout_id: int, admin_id: int) -> Outcome:
        """Approve and pay through YooKassa. The result's status is `paid`, `failed`, or
        `approved` while YooKassa is still paying (the polling job finishes it)."""
        payout = await PayoutRequest.get_or_none(id=payout_id)
        if payout is None:
            raise PayoutError("payouts-not-found")
        if not self.can_pay_automatically(payout.method):
            raise PayoutError("payouts-no-yookassa")
        claimed = await _move(payout_id, [PayoutStatus.REQUESTED], PayoutStatus.APPROVED,
                              decided_by=admin_id, decided_at=datetime.now(UTC))
        if not claimed.changed:
            return claimed
        return Outcome(await self._pay(claimed.payout), True)

    async def _pay(self, payout: PayoutRequest) -> PayoutRequest:
        """Create (or find again, by the idempotence key) the YooKassa payout of an approved
        request and record what YooKassa says. No transaction is open during the call."""
        assert self.gateway is not None
        dest = _destination(self.box, payout)
        data = dest.yookassa() if dest else None
        if data is None:
            return (await self._failed(payout.id, "destination not payable through YooKassa")).payout
        try:
            info = await self.gateway.create_payout(
                int(payout.amount_kopecks), data, f"GPTitor payout #{payout.id}", idempotence_key(payout.id),
                metadata={"payout_id": str(payout.id)})
        except GatewayRejected as exc:  # YooKassa refused it: nothing was paid
            return (await self._failed(payout.id, exc.description or str(exc))).payout
        except GatewayError as exc:  # unknown outcome: the polling job asks again with the same key
            log.warning("payout %s: YooKassa did not answer: %s", payout.id, exc)
            return await PayoutRequest.get(id=payout.id)
        return await self._apply(payout.id, info)

    async def _apply(self, payout_id: int, info: PayoutInfo) -> PayoutRequest:
        if info.status == "succeeded":
            return (await _move(payout_id, [PayoutStatus.APPROVED], PayoutStatus.PAID,
                                ledger_step=ledger.mark_payout_paid, external_id=info.id, reference=info.id)).payout
        if info.status == "canceled":
            return (await self._failed(payout_id, info.cancellation_reason or "canceled", external_id=info.id)).payout
        await PayoutRequest.filter(id=payout_id, status=PayoutStatus.APPROVED, external_id=None).update(
            external_id=info.id)
        return await PayoutRequest.get(id=payout_id)

    async def _failed(self, payout_id: int, reason: str, **fields: Any) -> Outcome:
        return await _move(payout_id, [PayoutStatus.APPROVED], PayoutStatus.FAILED,
                           ledger_step=ledger.release_payout, failure_reason=reason[:REASON_MAX], **fields)

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
        reason = _clean(reason)
        if not reason:
            raise PayoutError("payouts-reason-empty")
        await self._require_stuck(payout_id)
        return await _move(payout_id, [PayoutStatus.APPROVED], PayoutStatus.FAILED, ledger_step=ledger.release_payout,
                           failure_reason=reason[:REASON_MAX], decided_by=admin_id, decided_at=datetime.now(UTC))

    async def close_paid(self, payout_id: int, admin_id: int, reference: str) -> Outcome:
        """A stuck approved request was paid outside YooKassa; `reference` finds that payment."""
        reference = _clean(reference)
        if not reference:
            raise PayoutError("payouts-reference-empty")
        await self._require_stuck(payout_id)
        return await _move(payout_id, [PayoutStatus.APPROVED], PayoutStatus.PAID, ledger_step=ledger.mark_payout_paid,
                           reference=reference[:REFERENCE_MAX], decided_by=admin_id, decided_at=datetime.now(UTC))


async def reserved_total(conn: Any = None) -> int:
    """Sum of what open requests hold (for checks and tests): reserve entries not yet released or paid."""
    conn = conn or default_connection()
    _, rows = await conn.execute_query(sql(conn, "SELECT COALESCE(SUM(amount_kopecks), 0) FROM payout_requests"
                                                 " WHERE status IN (?, ?)"),
                                       [PayoutStatus.REQUESTED.value, PayoutStatus.APPROVED.value])
    return int(rows[0][0])
