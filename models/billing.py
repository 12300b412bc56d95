"""Plans, payments, subscriptions, accounting periods, metering and the ledger.

All money is integer kopecks (`*_kopecks`). LLM cost is metered finer than a kopeck, so usage rows
keep micro-units (`mj_micro`: millionths of an mJ, `cost_ukop`: millionths of a kopeck); a period's
token cost is their sum rounded to kopecks once, at settlement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import (
    AccountKind,
    Collector,
    EntryKind,
    FraudReason,
    PaymentProvider,
    PayoutStatus,
    PeriodStatus,
    PlanKind,
    Role,
    SourceType,
    SubscriptionStatus,
    enum_column,
)

if TYPE_CHECKING:
    from models.platform import Tracker, User


class Plan(Model):
    """A tracker's price for one plan kind. No row, or `on_sale=False`, means not on sale."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    tracker: fields.ForeignKeyRelation[Tracker] = fields.ForeignKeyField("models.Tracker", related_name="plans")
    kind = enum_column(PlanKind, max_length=16)
    price_kopecks = fields.BigIntField()
    on_sale = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField(auto_now=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        tracker_id: int

    class Meta:
        table = "plans"
        unique_together = (("tracker", "kind"),)


class Payment(Model):
    """One successful charge. (provider, external_id) is unique: a duplicate update is a no-op."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    tracker: fields.ForeignKeyRelation[Tracker] = fields.ForeignKeyField(
        "models.Tracker", related_name="payments", on_delete=fields.RESTRICT
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="payments", on_delete=fields.RESTRICT
    )
    provider = enum_column(PaymentProvider, max_length=16)
    external_id = fields.CharField(max_length=255)
    plan_kind = enum_column(PlanKind, max_length=16)
    currency = fields.CharField(max_length=8)
    amount_minor = fields.BigIntField()            # as charged: kopecks for RUB, stars for XTR
    amount_kopecks = fields.BigIntField()          # its value in RUB kopecks (the plan price)
    # Who holds the money (Stars and the author's own shop: the author).
    collector = enum_column(Collector, default=Collector.PLATFORM, db_default=Collector.PLATFORM.value, max_length=16)
    refunded = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        tracker_id: int
        user_id: int

    class Meta:
        table = "payments"
        unique_together = (("provider", "external_id"),)
        # Covering: "has this user paid here" and a partner's revenue per link (referral.stats).
        indexes = (("tracker_id", "user_id", "refunded", "amount_kopecks"),)


class Subscription(Model):
    _no_comments = True
    id = fields.IntField(primary_key=True)
    tracker: fields.ForeignKeyRelation[Tracker] = fields.ForeignKeyField(
        "models.Tracker", related_name="subscriptions", on_delete=fields.RESTRICT
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="subscriptions", on_delete=fields.RESTRICT
    )
    payment: fields.OneToOneNullableRelation[Payment] = fields.OneToOneField(
        "models.Payment", related_name="subscription", null=True, on_delete=fields.RESTRICT
    )
    plan_kind = enum_column(PlanKind, max_length=16)
    price_kopecks = fields.BigIntField()
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    status = enum_column(SubscriptionStatus, default=SubscriptionStatus.ACTIVE, max_length=16)
    auto_renew = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        tracker_id: int
        user_id: int
        payment_id: int | None

    class Meta:
        table = "subscriptions"
        # Index tuples name the db columns (`tracker_id`): tortoise does not map a relation's
        # name to its column in an index, and SQLite silently indexes the string "tracker".
        # The other two: the dashboard's count of subscriptions that start or end between its
        # running totals' last hour and the moment it is asked (billing.dashboard).
        indexes = (
            ("tracker_id", "user_id", "ends_at"),
            ("tracker_id", "status", "ends_at", "user_id"),
            ("tracker_id", "status", "starts_at"),
        )


class AccountingPeriod(Model):
    """One accounting period of a paid subscription, settled once when `ends_at` has passed.

    `tracker_id` and `user_id` are copied from the subscription so that settlement and the
    token-cost window need no join through it. `l1`..`l3` are copied from the membership's
    locked chain when the period is created, so a partner's forecast is one index range.
    `l4`..`l6` carry the chain further, as locked, whatever the schedule now in force: the
    schedule in force at the period's end (billing.commission) decides how many levels are paid,
    and a deeper one dated before that end must find its holders here.
    """
    _no_comments = True

    id = fields.IntField(primary_key=True)
    subscription: fields.ForeignKeyRelation[Subscription] = fields.ForeignKeyField(
        "models.Subscription", related_name="periods", on_delete=fields.RESTRICT
    )
    tracker: fields.ForeignKeyRelation[Tracker] = fields.ForeignKeyField(
        "models.Tracker", related_name="periods", on_delete=fields.RESTRICT
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="periods", on_delete=fields.RESTRICT
    )
    seq = fields.IntField()
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    revenue_kopecks = fields.BigIntField()
    status = enum_column(PeriodStatus, default=PeriodStatus.OPEN, max_length=16)
    token_cost_kopecks = fields.BigIntField(null=True)
    margin_kopecks = fields.BigIntField(null=True)
    settled_at = fields.DatetimeField(null=True)
    # Copied from the payment: settlement debits the author with the money they collected.
    collector = enum_column(Collector, default=Collector.PLATFORM, db_default=Collector.PLATFORM.value, max_length=16)
    l1: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="l1_periods", null=True, on_delete=fields.RESTRICT
    )
    l2: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="l2_periods", null=True, on_delete=fields.RESTRICT
    )
    l3: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="l3_periods", null=True, on_delete=fields.RESTRICT
    )
    l4: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="l4_periods", null=True, on_delete=fields.RESTRICT
    )
    l5: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="l5_periods", null=True, on_delete=fields.RESTRICT
    )
    l6: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="l6_periods", null=True, on_delete=fields.RESTRICT
    )

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        subscription_id: int
        tracker_id: int
        user_id: int
        l1_id: int | None
        l2_id: int | None
        l3_id: int | None
        l4_id: int | None
        l5_id: int | None
        l6_id: int | None

    class Meta:
        table = "accounting_periods"
        unique_together = (("subscription", "seq"),)
        # Settlement walks open periods in primary-key order (status, id): in end-date order the
        # same work was 1.5-2x slower (ARCHITECTURE.md). Forecasts and the token-cost window
        # look periods up by subscriber. No index by l1..l6: the cabinet reads a partner's open
        # periods from the summaries (models/summaries.py), and each index holding `status` is
        # rewritten for every period settled (three of them cost settlement 15%, migration 0019).
        indexes = (
            ("status", "id"),
            ("tracker_id", "user_id", "starts_at"),
            ("tracker_id", "user_id", "status", "revenue_kopecks"),
        )


class AuthorRepayment(Model):
    """Money an author paid the platform against what they owe for payments they collected,
    recorded by an admin; its ledger entry (kind `repaid`) names this row."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    author: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="repayments", on_delete=fields.RESTRICT
    )
    amount_kopecks = fields.BigIntField()
    recorded_by = fields.BigIntField()                 # the admin's Telegram id
    note = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        author_id: int

    class Meta:
        table = "author_repayments"


class MjRate(Model):
    """RUB per mJ from `valid_from` on. Rates are added, never edited (the past stays as billed)."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    valid_from = fields.DatetimeField(unique=True)
    rub_per_mj = fields.DecimalField(max_digits=14, decimal_places=6)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mj_rates"


class CommissionRate(Model):
    """A commission schedule in force from `valid_from` (percent per role, adding up to 100).

    Dated like the mJ rate: the admin adds a new row, never edits a past one. A period is split
    by the schedule in force at its end. Without any row, the configured schedule applies.
    `levels` is how many referral levels it has (0..6): l1..l<levels> are its percents; the
    columns past it hold 0 (l1..l3) or nothing (l4..l6). Rows from before depth was part of the
    schedule have three.
    """
    _no_comments = True

    id = fields.IntField(primary_key=True)
    valid_from = fields.DatetimeField(unique=True)
    platform = fields.DecimalField(max_digits=6, decimal_places=3)
    author = fields.DecimalField(max_digits=6, decimal_places=3)
    l1 = fields.DecimalField(max_digits=6, decimal_places=3)
    l2 = fields.DecimalField(max_digits=6, decimal_places=3)
    l3 = fields.DecimalField(max_digits=6, decimal_places=3)
    l4 = fields.DecimalField(max_digits=6, decimal_places=3, null=True)
    l5 = fields.DecimalField(max_digits=6, decimal_places=3, null=True)
    l6 = fields.DecimalField(max_digits=6, decimal_places=3, null=True)
    levels = fields.SmallIntField(default=3, db_default=3)
    # Who takes the first level of a client nobody invited (they came without any invite link):
    # "platform" (DESIGN.md's rule: a level nobody holds is the platform's) or "author".
    unattributed = fields.CharField(max_length=16, default="platform")
    created_by = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "commission_rates"


class ModelPrice(Model):
    """What a model costs in mJ per 1K input and per 1K output tokens (set by the admin)."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    model = fields.CharField(max_length=128, unique=True)
    mj_per_1k_input = fields.DecimalField(max_digits=14, decimal_places=6)
    mj_per_1k_output = fields.DecimalField(max_digits=14, decimal_places=6)
    active = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "model_prices"


class UsageRecord(Model):
    """One metered LLM call. `charged_to` says who bears it: a subscription's margin, the author
    (test chat) or the platform (free allowance)."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    tracker: fields.ForeignKeyRelation[Tracker] = fields.ForeignKeyField(
        "models.Tracker", related_name="usage", on_delete=fields.RESTRICT
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="usage", on_delete=fields.RESTRICT
    )
    subscription: fields.ForeignKeyNullableRelation[Subscription] = fields.ForeignKeyField(
        "models.Subscription", related_name="usage", null=True, on_delete=fields.RESTRICT
    )
    meeting_id = fields.IntField(null=True)
    charged_to = fields.CharField(max_length=16, default="subscription")
    model = fields.CharField(max_length=128)
    input_tokens = fields.IntField()
    output_tokens = fields.IntField()
    mj_micro = fields.BigIntField()
    cost_ukop = fields.BigIntField()
    rate: fields.ForeignKeyNullableRelation[MjRate] = fields.ForeignKeyField(
        "models.MjRate", related_name="usage", null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField()

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        tracker_id: int
        user_id: int
        subscription_id: int | None
        rate_id: int | None

    class Meta:
        table = "usage_records"
        # The first covers a period's token-cost sum (tracker, user, time window, charged_to, cost);
        # the second a day's use charged to the authors (billing.author_usage), index-only.
        indexes = (
            ("tracker_id", "user_id", "created_at", "charged_to", "cost_ukop"),
            ("charged_to", "created_at", "user_id", "mj_micro", "cost_ukop"),
        )


class PlatformSetting(Model):
    """One admin setting of the platform (billing.policy names them and holds their defaults).

    A row exists only for a setting the admin changed. The value is text, parsed by its setting.
    """
    _no_comments = True

    key = fields.CharField(max_length=64, primary_key=True)
    value = fields.CharField(max_length=255)
    updated_by = fields.BigIntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "platform_settings"


class Account(Model):
    """A balance holder: the platform (key "platform") or a user (key "user:<telegram id>")."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=64, unique=True)
    kind = enum_column(AccountKind, max_length=16)
    user: fields.OneToOneNullableRelation[User] = fields.OneToOneField(
        "models.User", related_name="account", null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        user_id: int | None

    class Meta:
        table = "accounts"


class LedgerEntry(Model):
    """Append-only. A balance is a sum of entries. The unique key makes every money step
    idempotent: the same (source, account, role, kind) can be written once."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="entries", on_delete=fields.RESTRICT
    )
    kind = enum_column(EntryKind, max_length=16)
    role = enum_column(Role, max_length=16)
    amount_kopecks = fields.BigIntField()
    source_type = enum_column(SourceType, max_length=16)
    source_id = fields.BigIntField()
    tracker: fields.ForeignKeyNullableRelation[Tracker] = fields.ForeignKeyField(
        "models.Tracker", related_name="ledger", null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        account_id: int
        tracker_id: int | None

    class Meta:
        table = "ledger_entries"
        unique_together = (("source_type", "source_id", "account", "role", "kind"),)
        # Covering index: a balance is an index-only sum per account (ARCHITECTURE.md). The id
        # before the amount makes a new entry land at the end of its (account, kind, role) run
        # rather than at a random place among the amounts: settlement's inserts touch the index's
        # last pages only (benchmarks/README.md, "settlement").
        # The second: an account's entries after a given id, for the partner cabinet's running
        # totals (billing.partner.totals folds only what is new).
        # The third: an account's accruals without a tracker, which the running totals do not
        # fold (billing.ledger.balance adds them directly; settlement never writes one).
        indexes = (
            ("account_id", "kind", "role", "id", "amount_kopecks"),
            ("account_id", "kind", "id"),
            ("account_id", "tracker_id", "kind"),
        )


class PayoutRequest(Model):
    """A partner's or author's withdrawal: reserved in the ledger at once, then paid or released.

    `request_key` comes from the cabinet's form, so a request sent twice (a double tap, two
    workers) is one row and one reservation. `external_id` is the YooKassa payout id. `tracker`
    is the bot the request came from, which tells the requester each step (None: the platform bot).
    """
    _no_comments = True

    id = fields.IntField(primary_key=True)
    request_key = fields.CharField(max_length=64, unique=True, null=True)
    tracker: fields.ForeignKeyNullableRelation[Tracker] = fields.ForeignKeyField(
        "models.Tracker", related_name="payout_requests", null=True, on_delete=fields.RESTRICT
    )
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="payouts", on_delete=fields.RESTRICT
    )
    amount_kopecks = fields.BigIntField()
    method = fields.CharField(max_length=32)
    destination_encrypted = fields.TextField()
    status = enum_column(PayoutStatus, default=PayoutStatus.REQUESTED, max_length=16)
    reference = fields.CharField(max_length=255, null=True)
    decided_by = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    decided_at = fields.DatetimeField(null=True)
    external_id = fields.CharField(max_length=64, null=True)
    failure_reason = fields.TextField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        tracker_id: int | None
        account_id: int

    class Meta:
        table = "payout_requests"
        indexes = (("status", "id"), ("account_id", "id"))


class PayoutCard(Model):
    """A person's card for payouts, as YooKassa's payout widget gave it: the card synonym
    (`payout_token`) and its mask, encrypted together (`billing.payouts.cards`). Never a card
    number: the widget keeps that at YooKassa. One per person; adding a card replaces it."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="payout_card", on_delete=fields.CASCADE
    )
    destination_encrypted = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        user_id: int

    class Meta:
        table = "payout_cards"


class PayerCard(Model):
    """What tells one payer's card from another's, where the provider shows it (billing.fraud): a
    YooKassa card as "first6:last4:MM/YYYY", never a card number. Telegram Payments and Stars show
    no card, so their payments have no row. Beside the payment, not on it: fraud data of its own."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    payment: fields.OneToOneRelation[Payment] = fields.OneToOneField(
        "models.Payment", related_name="payer_card", on_delete=fields.RESTRICT
    )
    fingerprint = fields.CharField(max_length=64, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        payment_id: int

    class Meta:
        table = "payer_cards"


class FraudFlag(Model):
    """A reason to hold a partner's new referral shares (billing.fraud). One row per (user,
    tracker, reason): evaluating again finds it and writes nothing. An admin who releases the
    partner's held money clears their flags (`cleared_at`); a cleared flag is not raised again
    for the same reason on the same tracker."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="fraud_flags", on_delete=fields.RESTRICT
    )
    tracker: fields.ForeignKeyRelation[Tracker] = fields.ForeignKeyField(
        "models.Tracker", related_name="fraud_flags", on_delete=fields.RESTRICT
    )
    reason = enum_column(FraudReason, max_length=16)
    detail = fields.CharField(max_length=255, default="")  # the evidence: ids of payments or members
    created_at = fields.DatetimeField(auto_now_add=True)
    cleared_at = fields.DatetimeField(null=True)
    cleared_by = fields.BigIntField(null=True)  # the admin's Telegram id

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        user_id: int
        tracker_id: int

    class Meta:
        table = "fraud_flags"
        unique_together = (("user", "tracker", "reason"),)
        indexes = (("cleared_at", "user_id"),)
