"""A person's payout card: what YooKassa's payout widget gave back (the card synonym and its mask),
kept encrypted, one per person. The card number itself never reaches the platform."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from billing.payouts.common import SecretBoxLike
from billing.payouts.destinations import CARD, Destination
from models import Account, PayoutCard, User

log = logging.getLogger("billing.payouts")


async def save_card(box: SecretBoxLike, user_id: int, *, token: str, first6: str, last4: str,
                    issuer: str = "") -> Destination:
    """Keep the card the widget returned as this person's payout card (replacing the one before).
    PayoutError("payouts-card-invalid") when what was sent is not a card synonym and its mask."""
    card = Destination.card(token, first6, last4, issuer)
    await User.get_or_create(id=user_id)
    encrypted = box.encrypt(card.to_json())
    row, created = await PayoutCard.get_or_create(user_id=user_id, defaults={"destination_encrypted": encrypted})
    if not created:
        await PayoutCard.filter(id=row.id).update(destination_encrypted=encrypted, updated_at=datetime.now(UTC))
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
