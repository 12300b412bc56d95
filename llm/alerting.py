"""The conversation pipeline's alerts to authors and admins: once per key (per cool-down), through
the outbox (`billing.alerts.raise_alert`)."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

from billing import alerts
from billing.budget import Budget
from billing.rates import MICRO
from i18n.format import fixed
from models import Tracker, User


def fmt_mj(micro: int, lang: str | None = None) -> str:
    """millionths of an mJ as a short number: 12,35 (i18n.format decides how numbers look)."""
    return fixed(Decimal(micro) / MICRO, 2, lang)


class Alerts:
    """Mixed into `ConversationService`, which sets these."""

    admin_ids: list[int]
    alert_cooldown: timedelta
    _alerted: dict[str, float]

    async def _alert(self, key: str, cooldown: timedelta | None, recipients: list[int], message_key: str,
                     params: dict[str, Any]) -> bool:
        """Once per key (per cool-down), to the outbox: memory first, so a storm of failures
        costs no queries; then the database decides across workers and restarts."""
        last = self._alerted.get(key)
        now = time.monotonic()
        if last is not None and (cooldown is None or now - last < cooldown.total_seconds()):
            return False
        self._alerted[key] = now
        return await alerts.raise_alert(key, recipients, message_key, params, cooldown=cooldown)

    async def _budget_alerts(self, tracker: Tracker, user_id: int, budget: Budget, levels: list[int]) -> None:
        if not levels:
            return
        user = await User.get_or_none(id=user_id)
        for level in levels:
            await self._alert(f"budget:{budget.period_id}:{level}", None, [tracker.author_id], "ai-alert-budget", {
                "tracker": tracker.name, "client": (user.first_name if user else "") or str(user_id),
                "percent": level, "limit": fmt_mj(budget.limit_micro), "spent": fmt_mj(budget.spent_micro),
            })

    async def _config_alert(self, tracker: Tracker, model: str, kind: str) -> None:
        params = {"tracker": tracker.name, "model": model, "kind": kind}
        await self._alert(f"llm:{kind}:tracker:{tracker.id}", self.alert_cooldown, [tracker.author_id],
                          "ai-alert-llm-config", params)
        await self._alert_admins_once(f"llm:{kind}", "ai-alert-llm-config", params)

    async def _alert_admins_once(self, key: str, locale_key: str, params: dict[str, Any]) -> None:
        if self.admin_ids:
            await self._alert(key, self.alert_cooldown, self.admin_ids, locale_key, params)
