"""What an author may set that the platform pays for: free messages and the per-client mJ limit.

Checked when the author sets them (a refusal names the most they can set), and applied again on
every message whatever was set before (billing.access caps the free messages, billing.budget the
limit), so a rule that tightens later, a cheaper plan or a higher rate still holds.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from billing.budget import safe_limit_micro
from billing.periods import PERIODS_PER_PLAN
from billing.plans import plans_on_sale
from billing.policy import CostPolicy
from billing.rates import MICRO, mj_to_kopecks
from models import MjRate


class CostRuleError(ValueError):
    """A value the author cannot set; `key` and `params` name a locale message (kopecks as
    integers, mJ as text: the dialog formats them)."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def check_free_messages(value: int, policy: CostPolicy) -> None:
    if value > policy.max_free_messages:
        raise CostRuleError("costs-free-over-cap", cap=policy.max_free_messages)


async def least_period_revenue(tracker_id: int) -> int | None:
    """The smallest revenue of one accounting period among the plans on sale (a plan's price
    split over its periods, rounded down as the first periods take the odd kopecks); None
    without a plan on sale."""
    revenues = [p.price_kopecks // PERIODS_PER_PLAN[p.kind] for p in await plans_on_sale(tracker_id)]
    return min(revenues) if revenues else None


def limit_refusal(
    limit_mj: Decimal, least_revenue: int | None, rub_per_mj: Decimal | None, policy: CostPolicy
) -> CostRuleError | None:
    """The rule, given the facts: a per-client limit whose cost at today's rate exceeds what the
    cheapest period brings net of the platform's costs is refused, unless the admin allows it.
    Without a plan on sale or a rate there is nothing to compare with: the limit is kept, and
    capped when a period is paid (billing.budget)."""
    if policy.allow_unsafe_limits or limit_mj <= 0 or rub_per_mj is None or least_revenue is None:
        return None
    safe_micro = safe_limit_micro(least_revenue, rub_per_mj, policy)
    if int(limit_mj * MICRO) <= safe_micro:
        return None
    most = (Decimal(safe_micro) / MICRO).quantize(Decimal("0.001"), rounding=ROUND_FLOOR)
    return CostRuleError(
        "costs-limit-over-margin",
        limit=f"{limit_mj.normalize():f}", cost=mj_to_kopecks(limit_mj, rub_per_mj),
        revenue=policy.net_revenue_kopecks(least_revenue), most=f"{most.normalize():f}",
    )


async def check_limit(tracker_id: int, limit_mj: Decimal, policy: CostPolicy, rate: MjRate | None) -> None:
    """`limit_refusal` for the tracker's plans on sale and the rate in force; raises it."""
    refusal = limit_refusal(
        limit_mj, await least_period_revenue(tracker_id), rate.rub_per_mj if rate is not None else None, policy
    )
    if refusal is not None:
        raise refusal
