"""A person's payout card: what YooKassa's payout widget gave back (the card synonym and its mask),
kept encrypted, one per person. The card number itself never reaches the platform."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError

from billing.payouts.common import SecretBoxLike
from billing.payouts.destinations import CARD, Destination
from models import Account, PayoutCard, PayoutRequest, User

log = logging.getLogger("billing.payouts")


async def save_card(box: SecretBoxLike, user_id: int, *, token: str, first6: str, last4: str,
                    issuer: str = "") -> Destination:
    """Keep the card the widget returned as this person's payout card (replacing the one before).
    PayoutError("payouts-card-invalid") when what was sent is not a card synonym and its mask."""
    card = Destination.card(token, first6, last4, issuer)
    await User.get_or_create(id=user_id)
    encrypted = box.encrypt(card.to_json())
    updated = await PayoutCard.filter(user_id=user_id).update(destination_encrypted=encrypted,
                                                              updated_at=datetime.now(UTC))
    if not updated:
        try:
            await PayoutCard.create(user_id=user_id, destination_encrypted=encrypted)
        except IntegrityError:  # the same person's other tab saved one a moment ago: this one wins
            await PayoutCard.filter(user_id=user_id).update(destination_encrypted=encrypted,
                                                            updated_at=datetime.now(UTC))
    return card


async def current_card(box: SecretBoxLike, user_id: int) -> Destination | None:
    """The person's payout card, or None when they have not added one through the widget."""
    row = await PayoutCard.get_or_none(user_id=user_id)
    if row is None:
        return None
    try:
        card = Destination.from_json(box.decrypt(row.destination_encrypted))
    except (ValueError, KeyError, TypeError):
        log.error("payout card of %s cannot be read (SECRET_KEY changed?): it must be added again", user_id)
        return None
    return card if card.method == CARD and card.token else None


async def forget_card(account_id: int) -> None:
    """YooKassa refused the account owner's card synonym: they add the card again before the next
    payout."""
    account = await Account.get_or_none(id=account_id)
    if account is not None and account.user_id is not None:
        await PayoutCard.filter(user_id=account.user_id).delete()


async def scrub_card_numbers(box: SecretBoxLike) -> int:
    """Requests written before the widget kept the card's full number (encrypted): rewrite each to
    its first six and last four digits, so no card number stays at rest. Such a request is then
    what `Destination.needs_new_card` says: shown masked, never paid to. Idempotent and safe to
    run from several workers at once (each rewrite is conditional on the ciphertext it read).
    Returns how many rows it rewrote."""
    scrubbed = 0
    for row in await PayoutRequest.filter(method=CARD).only("id", "destination_encrypted"):
        try:
            data = json.loads(box.decrypt(row.destination_encrypted))
        except (ValueError, TypeError):
            continue  # another key's row: read_destination reports it where it is shown
        if not isinstance(data, dict) or "number" not in data:
            continue
        number = str(data["number"])
        masked = json.dumps({"method": CARD, "first6": number[:6], "last4": number[-4:]}, separators=(",", ":"))
        scrubbed += await PayoutRequest.filter(id=row.id, destination_encrypted=row.destination_encrypted).update(
            destination_encrypted=box.encrypt(masked))
    if scrubbed:
        log.warning("%d payout request(s) kept a full card number: rewritten to the card's mask", scrubbed)
    return scrubbed
