from enum import StrEnum
from typing import Any

from tortoise import fields


class TrackerStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"          # by the author
    REVOKED = "revoked"        # Telegram rejected the token; waits for a new one
    DELETED = "deleted"        # kept for the money history, token wiped


class PlanKind(StrEnum):
    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    REFUNDED = "refunded"


class PeriodStatus(StrEnum):
    OPEN = "open"
    SETTLED = "settled"
    CANCELLED = "cancelled"    # refunded before it was settled


class PaymentProvider(StrEnum):
    TELEGRAM = "telegram"      # Telegram Payments with a provider token (YooKassa), RUB
    STARS = "stars"            # Telegram Stars, XTR
    YOOKASSA = "yookassa"      # YooKassa payment link + webhook
    SIMULATION = "simulation"  # `gptitor simulate`, never in production data


class Collector(StrEnum):
    """Who holds a payment's money: the platform (its YooKassa shop, through the API or a provider
    connection it owns) or the author (Stars land in their bot; a provider token of their own shop)."""

    PLATFORM = "platform"
    AUTHOR = "author"


class AccountKind(StrEnum):
    PLATFORM = "platform"
    USER = "user"


class Role(StrEnum):
    PLATFORM = "platform"
    AUTHOR = "author"
    L1 = "l1"
    L2 = "l2"
    L3 = "l3"
    L4 = "l4"                  # levels 4..6 exist only under a schedule that deep (billing.split)
    L5 = "l5"
    L6 = "l6"
    NONE = "none"              # entries that are not a share of a margin (payouts, reservations)


class EntryKind(StrEnum):
    ACCRUAL = "accrual"        # a share of a settled period's margin
    LOSS = "loss"              # a period whose margin was <= 0: the platform bears it (negative)
    RESERVE = "reserve"        # a payout request holds money (negative)
    RELEASE = "release"        # a rejected or failed payout gives it back (positive)
    PAYOUT = "payout"          # money left the platform (reserve turned into paid; amount 0 on balance)
    ADJUSTMENT = "adjustment"
    COLLECTED = "collected"    # money an author collected for a settled period: what they owe (negative)
    REPAID = "repaid"          # an author paid the platform what they owed (positive)
    USAGE = "usage"            # the author's own LLM use of a day, charged to them (negative)
    CLAWBACK = "clawback"      # a refund took back part of a settled period's shares (usually negative)
    HELD = "held"              # a flagged partner's share of a settled period, kept out of `available`
    UNHELD = "unheld"          # an admin ended a hold (released or forfeited): the held share's negative


class SourceType(StrEnum):
    PERIOD = "period"
    PAYOUT = "payout"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"
    COLLECTION = "collection"  # the period an author collected the money of (source_id: the period)
    REPAYMENT = "repayment"    # an author's repayment (source_id: author_repayments.id)
    AUTHOR_USAGE = "author_usage"  # source_id: the day's ordinal (date.toordinal), UTC
    CLAWBACK = "clawback"      # source_id: a Clawback row (models.refunds)


class FraudReason(StrEnum):
    """Why a partner's new referral shares are held (billing.fraud)."""

    SHARED_CARD = "shared_card"    # a payer down their chain paid with the same card as they did
    FAST_CHAIN = "fast_chain"      # their chain was built within minutes, link after link
    REFUND_RATE = "refund_rate"    # their referrals' payments are refunded unusually often


class PayoutStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    PAID = "paid"
    REJECTED = "rejected"
    FAILED = "failed"


class CheckoutStatus(StrEnum):
    OPEN = "open"              # asked for, not paid (yet)
    PAID = "paid"
    CANCELED = "canceled"      # YooKassa canceled it (declined, expired)


class ChannelStatus(StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"  # the bot was removed or lost the right to post


class OutboxStatus(StrEnum):
    PENDING = "pending"        # waits for delivery (or a retry at next_attempt_at)
    SENT = "sent"
    DEAD = "dead"              # gave up after retries: kept for the admin
    SKIPPED = "skipped"        # its channel was disconnected or the event turned off before delivery


class StarsCancelStatus(StrEnum):
    PENDING = "pending"        # editUserStarSubscription not yet accepted
    CANCELLED = "cancelled"    # Telegram accepted it; the client is still to be told
    DONE = "done"              # cancelled and told (or the client blocked the bot)
    FAILED = "failed"          # not cancelled: Telegram refused it, or the token was revoked


def enum_column(enum_type: type[StrEnum], **kwargs: Any) -> Any:
    """A `CharEnumField` whose description names its enum instead of listing the members, as
    tortoise does by default. Listed, a new member changes the description, which the migration
    autodetector turns into an AlterField, and on SQLite an AlterField rebuilds the table without its
    unique constraints and indexes: the ledger once lost the key that makes every money step
    idempotent that way."""
    return fields.CharEnumField(enum_type, description=f"one of {enum_type.__name__}", **kwargs)
