"""Tortoise ORM models. Money is integer kopecks everywhere; rates are Decimal.

Note: tortoise turns the first line of a model docstring into a table comment and its SQLite
migration runner splits statements on ";", so keep semicolons out of those first lines.

The tortoise app is called "models"; `MODEL_MODULES` lists the modules it loads.
"""

from models.ai import (
    AlertSent,
    ChatMessage,
    Meeting,
    MeetingEnd,
    PlannedMeeting,
    PlannedStatus,
    Scenario,
    ScenarioTrigger,
)
from models.billing import (
    Account,
    AccountingPeriod,
    AuthorRepayment,
    CommissionRate,
    LedgerEntry,
    MjRate,
    ModelPrice,
    Payment,
    PayoutRequest,
    Plan,
    Subscription,
    UsageRecord,
)
from models.enums import (
    AccountKind,
    ChannelStatus,
    CheckoutStatus,
    Collector,
    EntryKind,
    OutboxStatus,
    PaymentProvider,
    PayoutStatus,
    PeriodStatus,
    PlanKind,
    Role,
    SourceType,
    SubscriptionStatus,
    TrackerStatus,
)
from models.notify import Lease, OutboxEvent, PartnerChannel, PrivateEvents
from models.payments import AutoRenewal, Checkout, SentNotice
from models.platform import FsmRecord, Membership, Tracker, User
from models.referral import InviteClick, InviteLink

MODEL_MODULES = [
    "models.platform",
    "models.billing",
    "models.referral",
    "models.ai",
    "models.payments",
    "models.notify",
]

__all__ = [
    "MODEL_MODULES",
    "Account",
    "AlertSent",
    "ChatMessage",
    "Meeting",
    "MeetingEnd",
    "PlannedMeeting",
    "PlannedStatus",
    "Scenario",
    "ScenarioTrigger",
    "AccountKind",
    "Collector",
    "AccountingPeriod",
    "AuthorRepayment",
    "ChannelStatus",
    "CommissionRate",
    "Lease",
    "OutboxEvent",
    "OutboxStatus",
    "PartnerChannel",
    "PrivateEvents",
    "AutoRenewal",
    "Checkout",
    "CheckoutStatus",
    "SentNotice",
    "EntryKind",
    "FsmRecord",
    "InviteClick",
    "InviteLink",
    "LedgerEntry",
    "Membership",
    "MjRate",
    "ModelPrice",
    "Payment",
    "PaymentProvider",
    "PayoutRequest",
    "PayoutStatus",
    "PeriodStatus",
    "Plan",
    "PlanKind",
    "Role",
    "SourceType",
    "Subscription",
    "SubscriptionStatus",
    "Tracker",
    "TrackerStatus",
    "UsageRecord",
    "User",
]
