"""Tortoise ORM models. Money is integer kopecks everywhere; rates are Decimal.

Note: tortoise turns the first line of a model docstring into a table comment and its SQLite
migration runner splits statements on ";", so keep semicolons out of those first lines.

The tortoise app is called "models"; `MODEL_MODULES` lists the modules it loads.

Every model sets `_no_comments = True`: tortoise otherwise reads each model's source file and
parses it for `#:` field comments (none here), about 4 ms a model, a sixth of a second of every
start-up. A model that wants `#:` comments as field descriptions drops the flag.
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
from models.api import ApiToken
from models.billing import (
    Account,
    AccountingPeriod,
    AuthorRepayment,
    CommissionRate,
    FraudFlag,
    LedgerEntry,
    MjRate,
    ModelPrice,
    PayerCard,
    Payment,
    PayoutCard,
    PayoutRequest,
    Plan,
    PlatformSetting,
    Subscription,
    UsageRecord,
)
from models.dashboard import DashboardClientMonth, DashboardHour, DashboardPeriod, DashboardState
from models.enums import (
    AccountKind,
    ChannelStatus,
    CheckoutStatus,
    Collector,
    EntryKind,
    FraudReason,
    OutboxStatus,
    PaymentProvider,
    PayoutStatus,
    PeriodStatus,
    PlanKind,
    Role,
    SourceType,
    StarsCancelStatus,
    SubscriptionStatus,
    TrackerStatus,
)
from models.notify import Lease, OutboxEvent, PartnerChannel, PrivateEvents
from models.payments import AutoRenewal, Checkout, SentNotice, StarsCancellation, StarsCursor
from models.platform import FsmRecord, Membership, Tracker, UpdateClaim, User
from models.referral import InviteClick, InviteLink
from models.refunds import Clawback, Refund

MODEL_MODULES = [
    "models.platform",
    "models.billing",
    "models.referral",
    "models.ai",
    "models.payments",
    "models.notify",
    "models.api",
    "models.refunds",
    "models.dashboard",
]

__all__ = [
    "MODEL_MODULES",
    "Account",
    "ApiToken",
    "AlertSent",
    "ChatMessage",
    "Clawback",
    "DashboardClientMonth",
    "DashboardHour",
    "DashboardPeriod",
    "DashboardState",
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
    "PlatformSetting",
    "PrivateEvents",
    "AutoRenewal",
    "Checkout",
    "CheckoutStatus",
    "SentNotice",
    "EntryKind",
    "FraudFlag",
    "FraudReason",
    "FsmRecord",
    "InviteClick",
    "InviteLink",
    "LedgerEntry",
    "Membership",
    "MjRate",
    "ModelPrice",
    "PayerCard",
    "Payment",
    "PaymentProvider",
    "PayoutCard",
    "PayoutRequest",
    "PayoutStatus",
    "PeriodStatus",
    "Plan",
    "Refund",
    "PlanKind",
    "Role",
    "SourceType",
    "StarsCancelStatus",
    "StarsCancellation",
    "StarsCursor",
    "Subscription",
    "SubscriptionStatus",
    "Tracker",
    "TrackerStatus",
    "UpdateClaim",
    "UsageRecord",
    "User",
]
