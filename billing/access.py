"""Who may talk to a tracker right now, and who bears the cost of that talk.

A client talks on an active paid subscription, or on the tracker's free allowance (N messages,
the platform's cost, never more than the platform's cap `CostPolicy.max_free_messages`); the
author always may (the author's cost, their own use: billing.author_usage charges it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from billing.plans import PriceTag, on_sale_subquery, read_price_tags
from billing.policy import DEFAULTS, CostPolicy, load_policy
from models import Membership, Subscription, SubscriptionStatus, Tracker
from models.sql import default_connection, execute_count, parse_ts, rows, ts, utc
from referral.attribution import invites_allowed


class Payer(StrEnum):
    SUBSCRIPTION = "subscription"
    PLATFORM = "platform"      # the free allowance
    AUTHOR = "author"          # the author's own use and the test chat


@dataclass(frozen=True)
class Access:
    payer: Payer | None                 # None: no access, show the paywall
    subscription: Subscription | None = None  # the row, when the caller loaded it
    free_left: int = 0
    free_total: int = 0  # the free messages this client has in all (the tracker's, capped)
    subscription_id: int | None = None  # set whenever the payer is the subscription

    @property
    def allowed(self) -> bool:
        return self.payer is not None


async def active_subscription(tracker_id: int, user_id: int, at: datetime | None = None) -> Subscription | None:
    at = utc(at or datetime.now(UTC))
    return await (
        Subscription.filter(
            tracker_id=tracker_id, user_id=user_id, status=SubscriptionStatus.ACTIVE,
            starts_at__lte=at, ends_at__gt=at,
        )
        .order_by("starts_at")
        .first()
    )


def free_allowance(tracker: Tracker, policy: CostPolicy = DEFAULTS) -> int:
    """The free messages per client: the author's number within the platform's cap."""
    return max(0, min(tracker.free_messages, policy.max_free_messages))


def decide_access(
    tracker: Tracker, user_id: int, subscription_id: int | None, messages_used: int,
    subscription: Subscription | None = None, policy: CostPolicy = DEFAULTS,
) -> Access:
    """The rule, given the facts: the active subscription's id (None: none in force) and the free
    messages used. Callers that read the facts their own way (the conversation pipeline reads them
    in one statement with the rest of what an answer needs) decide through here too."""
    if user_id == tracker.author_id:
        return Access(Payer.AUTHOR)
    if subscription_id is not None:
        return Access(Payer.SUBSCRIPTION, subscription, subscription_id=subscription_id)
    total = free_allowance(tracker, policy)
    left = max(total - messages_used, 0)
    return Access(Payer.PLATFORM, free_left=left, free_total=total) if left > 0 else Access(None, free_total=total)


async def access_for(tracker: Tracker, user_id: int, at: datetime | None = None) -> Access:
    if user_id == tracker.author_id:
        return Access(Payer.AUTHOR)
    subscription = await active_subscription(tracker.id, user_id, at)
    if subscription is not None:
        return decide_access(tracker, user_id, subscription.id, 0, subscription)
    membership = await Membership.get_or_none(tracker_id=tracker.id, user_id=user_id)
    return decide_access(tracker, user_id, None, membership.messages_used if membership else 0,
                         policy=await load_policy())


async def take_free_message(tracker: Tracker, user_id: int, policy: CostPolicy | None = None) -> bool:
    """Spends one free message; False when none is left. One UPDATE, so two messages at once
    cannot both take the last one."""
    total = free_allowance(tracker, policy or await load_policy())
    conn = default_connection()
    # Raw: it runs before every free answer, and building the ORM's UPDATE cost more than running it.
    return await execute_count(conn, _TAKE_FREE, [tracker.id, user_id, total]) == 1


_TAKE_FREE = (
    "UPDATE memberships SET messages_used = messages_used + 1"
    " WHERE tracker_id = ? AND user_id = ? AND messages_used < ?"
)


# Everything a client's first screen needs to know of them, in one statement (issue 20): the
# subscription in force, the free messages used, and what `referral.can_invite` asks.
_CLIENT_FACTS = """
SELECT
  (SELECT s.id FROM subscriptions s WHERE s.tracker_id = ? AND s.user_id = ? AND s.status = ?
     AND s.starts_at <= ? AND s.ends_at > ? ORDER BY s.starts_at LIMIT 1),
  (SELECT s.ends_at FROM subscriptions s WHERE s.tracker_id = ? AND s.user_id = ? AND s.status = ?
     AND s.starts_at <= ? AND s.ends_at > ? ORDER BY s.starts_at LIMIT 1),
  (SELECT m.messages_used FROM memberships m WHERE m.tracker_id = ? AND m.user_id = ?),
  EXISTS (SELECT 1 FROM memberships m WHERE m.tracker_id = ? AND m.user_id = ? AND m.is_partner),
  EXISTS (SELECT 1 FROM payments p WHERE p.tracker_id = ? AND p.user_id = ? AND NOT p.refunded),
  EXISTS (SELECT 1 FROM subscriptions s WHERE s.tracker_id = ? AND s.user_id = ? AND s.status = ?),
  {plans},
  EXISTS (SELECT 1 FROM memberships m WHERE m.tracker_id = ? AND m.user_id = ?)
"""


@dataclass(frozen=True)
class ClientFacts:
    access: Access
    subscription_ends_at: datetime | None  # of the subscription in force
    may_invite: bool                       # referral.can_invite's answer
    plans: list[PriceTag]                  # the tracker's plans on sale, in PLAN_ORDER
    member: bool                           # has a membership of the tracker (started it before)


async def client_facts(tracker: Tracker, user_id: int, at: datetime | None = None) -> ClientFacts:
    """Access, the subscription's end, whether the client may invite, the plans on sale and
    whether they are a member yet: one round trip."""
    conn = default_connection()
    moment = ts(conn, utc(at or datetime.now(UTC)))
    active = SubscriptionStatus.ACTIVE.value
    subscription = [tracker.id, user_id, active, moment, moment]
    pair = [tracker.id, user_id]
    query = _CLIENT_FACTS.format(plans=on_sale_subquery(conn))
    params = [*subscription, *subscription, *pair, *pair, *pair, *pair, active, tracker.id, *pair]
    sub_id, ends_at, used, partner, paid, subscribed, plans, member = (await rows(conn, query, params))[0]
    access = decide_access(tracker, user_id, sub_id, used or 0, policy=await load_policy())
    is_author = user_id == tracker.author_id
    return ClientFacts(access, parse_ts(ends_at) if sub_id is not None else None,
                       invites_allowed(is_author=is_author, is_partner=bool(partner), paid=bool(paid),
                                       subscribed=bool(subscribed)),
                       read_price_tags(plans), bool(member))
