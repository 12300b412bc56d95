"""The platform's LLM cost policy: admin settings with defaults, stored in `platform_settings`.

Each setting has a default here; a row in `PlatformSetting` exists only once the admin changed
it (the admin dialog, `set_setting`). The policy is read on every answer, so it is cached in
process for POLICY_CACHE_SECONDS; a change made through `set_setting` takes effect in this
process at once, one made by another worker within that time.

The settings and why their defaults:
- `max_tokens` (1024): sent with every call as the answer's limit. A Telegram message holds 4,096
  characters; 1,024 tokens is about that much English and a bit less Russian, and it bounds
  what one answer can cost, so a budget check can reserve it before the call.
- `max_free_messages` (50): the most free messages an author may give each client; the platform
  pays for them. Enforced when the author sets it and again on every message (trackers set
  higher before the cap keep working up to the cap).
- `allow_unsafe_limits` (no): whether an author's per-client mJ limit may cost more than the
  plan's period revenue net of `platform_cost_percent`; without it such a limit is refused and
  never applied beyond that amount.
- `platform_cost_percent` (0): the share of a plan's price held back from the token budget
  (acquiring fees, a safety margin). Margin is revenue minus token cost (DESIGN.md), so 0 keeps
  exactly "margin >= 0".
- `author_free_mj_per_day` (5): the author's own use (chats with their tracker, the test chat)
  that is free each day (UTC); the rest is charged to the author's account (billing.author_usage).
- `tracker_concurrency` (4) and `global_concurrency` (32): model calls in flight at once per
  tracker and in all (per worker process): more wait their turn in a queue (llm.limits).
- Fraud holds (billing.fraud), here so that the admin can tune them like the rest:
  `fraud_fast_chain_minutes` (10) and `fraud_fast_chain_links` (3): a chain whose members each
  joined within that many minutes of their inviter, that many links in a row up from a payer, is
  flagged (a friend joining right after another is common; the whole A→B→C→D chain, four accounts
  each within ten minutes of the last, is the self-referral the check is for);
  `fraud_refund_percent` (50) and `fraud_refund_min_count` (5): a partner whose referrals' payments
  were refunded at least that often, once they made at least that many, is flagged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from models import PlatformSetting
from models.sql import default_connection

POLICY_CACHE_SECONDS = 30
MAX_DECIMAL = Decimal(10) ** 8


@dataclass(frozen=True, slots=True)
class CostPolicy:
    max_tokens: int = 1024
    max_free_messages: int = 50
    allow_unsafe_limits: bool = False
    platform_cost_percent: Decimal = Decimal(0)
    author_free_mj_per_day: Decimal = Decimal(5)
    tracker_concurrency: int = 4
    global_concurrency: int = 32
    fraud_fast_chain_minutes: int = 10
    fraud_fast_chain_links: int = 3
    fraud_refund_percent: int = 50
    fraud_refund_min_count: int = 5

    def net_revenue_kopecks(self, revenue_kopecks: int) -> int:
        """A period's revenue less the platform's costs, rounded down: what tokens may cost."""
        kept = Decimal(revenue_kopecks) * (100 - self.platform_cost_percent) / 100
        return max(0, int(kept))


DEFAULTS = CostPolicy()
# Bounds of each number the admin may type: (least, most).
_INT_BOUNDS = {
    "max_tokens": (16, 100_000),
    "max_free_messages": (0, 100_000),
    "tracker_concurrency": (1, 1_000),
    "global_concurrency": (1, 10_000),
    "fraud_fast_chain_minutes": (0, 10_080),  # 0 turns the check off; at most a week
    "fraud_fast_chain_links": (1, 3),  # a chain is three levels deep
    "fraud_refund_percent": (1, 100),
    "fraud_refund_min_count": (1, 100_000),
}
_DECIMAL_BOUNDS = {
    "platform_cost_percent": (Decimal(0), Decimal(99)),
    "author_free_mj_per_day": (Decimal(0), MAX_DECIMAL),
}
_YES = {"yes", "y", "on", "true", "1", "да", "вкл"}
_NO = {"no", "n", "off", "false", "0", "нет", "выкл"}
NAMES = tuple(f.name for f in fields(CostPolicy))


class SettingError(ValueError):
    """A value the admin cannot set; `key` and `params` name a locale message."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def parse_value(name: str, text: str) -> Any:
    """The typed value of setting `name` from what the admin typed, or SettingError."""
    text = text.strip().lower()
    if name not in NAMES:
        raise SettingError("costs-unknown-setting", name=name)
    if name == "allow_unsafe_limits":
        if text in _YES:
            return True
        if text in _NO:
            return False
        raise SettingError("costs-bad-yes-no", value=text)
    if name in _INT_BOUNDS:
        low, high = _INT_BOUNDS[name]
        if not text.isdigit() or not low <= int(text) <= high:
            raise SettingError("costs-bad-range", value=text, low=low, high=high)
        return int(text)
    low_d, high_d = _DECIMAL_BOUNDS[name]
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise SettingError("costs-bad-range", value=text, low=str(low_d), high=str(high_d)) from None
    if not value.is_finite() or not low_d <= value <= high_d or value != value.quantize(Decimal("0.001")):
        raise SettingError("costs-bad-range", value=text, low=str(low_d), high=str(high_d))
    return value


def _stored(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# (connection, monotonic expiry, policy): a cache never outlives its database.
_cache: tuple[object, float, CostPolicy] | None = None


def clear_cache() -> None:
    global _cache
    _cache = None


async def load_policy() -> CostPolicy:
    """The policy in force: the defaults with every stored setting applied (cached)."""
    global _cache
    conn = default_connection()
    now = time.monotonic()
    if _cache is not None and _cache[0] is conn and now < _cache[1]:
        return _cache[2]
    changes: dict[str, Any] = {}
    for row in await PlatformSetting.filter(key__in=list(NAMES)):
        try:
            changes[row.key] = parse_value(row.key, row.value)
        except SettingError:
            continue  # a value written by hand that no longer parses: the default stands
    policy = replace(DEFAULTS, **changes)
    _cache = (conn, now + POLICY_CACHE_SECONDS, policy)
    return policy


async def set_setting(name: str, text: str, *, admin_id: int | None = None) -> CostPolicy:
    """Parse, store and apply one setting; returns the new policy."""
    value = parse_value(name, text)
    await PlatformSetting.update_or_create(key=name, defaults={"value": _stored(value), "updated_by": admin_id})
    clear_cache()
    return await load_policy()


def describe(policy: CostPolicy) -> list[tuple[str, str, bool]]:
    """(name, value as stored, changed from the default) for each setting, in order."""
    return [(n, _stored(getattr(policy, n)), getattr(policy, n) != getattr(DEFAULTS, n)) for n in NAMES]
