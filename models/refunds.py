"""Refunds as records: each refund of a payment, and what it took back from settled periods.

A refund returns part or all of a payment. Its unsettled part cancels or shortens periods that
have not accrued yet; its settled part is clawed back (`Clawback`, one per settled period it
reaches) with reversing ledger entries (kind `clawback`), never an edit (billing.refunds).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.billing import AccountingPeriod, Payment


class Refund(Model):
    """One refund of a payment, named by its key at its source (a YooKassa refund id, a Stars charge
    id, "full" for the admin's record of a whole refund): the same refund recorded twice is one row."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    payment: fields.ForeignKeyRelation[Payment] = fields.ForeignKeyField(
        "models.Payment", related_name="refunds", on_delete=fields.RESTRICT
    )
    key = fields.CharField(max_length=128)
    amount_kopecks = fields.BigIntField()        # what this refund returned (capped at what was left)
    unsettled_kopecks = fields.BigIntField()     # of it, taken from periods not settled yet
    settled_kopecks = fields.BigIntField()       # of it, clawed back from settled periods
    ended_subscription = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    if TYPE_CHECKING:
        payment_id: int

    class Meta:
        table = "refunds"
        unique_together = (("payment", "key"),)


class Clawback(Model):
    """The revenue a refund took back from one settled period, whose ledger entries have source
    (`clawback`, this id). The period's net margin is its settled margin minus its clawbacks."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    refund: fields.ForeignKeyRelation[Refund] = fields.ForeignKeyField(
        "models.Refund", related_name="clawbacks", on_delete=fields.RESTRICT
    )
    period: fields.ForeignKeyRelation[AccountingPeriod] = fields.ForeignKeyField(
        "models.AccountingPeriod", related_name="clawbacks", on_delete=fields.RESTRICT
    )
    revenue_kopecks = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    if TYPE_CHECKING:
        refund_id: int
        period_id: int

    class Meta:
        table = "clawbacks"
        unique_together = (("refund", "period"),)
