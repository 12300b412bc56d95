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


SOURCES = ("payout_token", "payout_destination_data")


class PayoutsAPI(YooKassaClient):

    async def create_payout(self, amount_kopecks: int, source: Mapping[str, Any], description: str,
                            idempotence_key: str, metadata: Mapping[str, str] | None = None) -> PayoutInfo:
        """``source`` says where to pay, exactly one of YooKassa's ways: ``{"payout_token": ...}``
        (a card synonym from the payout widget; the platform never sees a card number) or
        ``{"payout_destination_data": {"type": "yoo_money", "account_number": "4100..."}}``."""
        keys = [k for k in SOURCES if source.get(k)] if isinstance(source, Mapping) else []
        if len(keys) != 1 or len(source) != 1:
            raise ValueError(f"source needs exactly one of {', '.join(SOURCES)}")
        body: dict[str, Any] = {
            "amount": v.amount(amount_kopecks),
            keys[0]: source[keys[0]] if keys[0] == "payout_token" else dict(source[keys[0]]),
            "description": v.clip(description),
            "metadata": v.metadata(metadata),
        }
        data = await self._post("/payouts", body, idempotence_key)
        return v.parse("payout", _payout_info, data)

    async def get_payout(self, payout_id: str) -> PayoutInfo:
        data = await self._get(f"/payouts/{v.object_id(payout_id)}")
        return v.parse("payout", _payout_info, data)

