"""YooKassa payouts (the payout account, not the shop): create one, fetch its state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from billing.yookassa_api import values as v
from billing.yookassa_api.client import YooKassaClient


@dataclass(frozen=True, slots=True)
class PayoutInfo:
    id: str
    status: str  # pending | succeeded | canceled
    amount_kopecks: int
    currency: str
    metadata: Mapping[str, str] = field(default_factory=dict, hash=False)
    cancellation_reason: str | None = None


def _payout_info(data: Mapping[str, Any]) -> PayoutInfo:
    return PayoutInfo(
        id=str(data["id"]),
        status=str(data["status"]),
        amount_kopecks=v.value_to_kopecks(data["amount"]["value"]),
        currency=str(data["amount"]["currency"]),
        metadata=dict(data.get("metadata") or {}),
        cancellation_reason=(data.get("cancellation_details") or {}).get("reason"),
    )



class PayoutsAPI(YooKassaClient):

    async def create_payout(self, amount_kopecks: int, destination: Mapping[str, Any],
                            description: str, idempotence_key: str,
                            metadata: Mapping[str, str] | None = None) -> PayoutInfo:
        """``destination`` is YooKassa's ``payout_destination_data``, e.g.
        ``{"type": "yoo_money", "account_number": "4100..."}`` or
        ``{"type": "bank_card", "card": {"number": "5555..."}}``."""
        if not isinstance(destination, Mapping) or not destination.get("type"):
            raise ValueError("destination needs a 'type'")
        body: dict[str, Any] = {
            "amount": v.amount(amount_kopecks),
            "payout_destination_data": dict(destination),
            "description": v.clip(description),
            "metadata": v.metadata(metadata),
        }
        data = await self._post("/payouts", body, idempotence_key)
        return v.parse("payout", _payout_info, data)

    async def get_payout(self, payout_id: str) -> PayoutInfo:
        data = await self._get(f"/payouts/{v.object_id(payout_id)}")
        return v.parse("payout", _payout_info, data)

