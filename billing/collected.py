"""Money authors collected themselves, and what they owe the platform for it.

Stars land in the author's own bot, and a card payment through a provider token connected to the
author's shop lands in that shop. Settlement debits such a period's revenue from the author's
account (`billing.settlement`, entry kind `collected`), so the author's balance goes below zero by
what they owe: the platform's share, the partners' shares and the token cost. Partners' balances
are then backed by that debt. When the author pays it (a bank transfer, a Stars withdrawal sent
on), an admin records the repayment here: one `AuthorRepayment` row and its ledger entry (kind
`repaid`), in one transaction, never more than is owed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from tortoise.transactions import in_transaction

from billing.accounts import user_account_id
from billing.amounts import plain_decimal
from billing.ledger import INSERT_ENTRY, balance
from models import AuthorRepayment, Tracker, User
from models.enums import EntryKind, Role, SourceType
from models.sql import is_postgres, sql, ts


class RepaymentError(ValueError):
    """Not recorded; `key` is the locale key that says why, `params` fill it."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key, self.params = key, params


@dataclass(frozen=True, slots=True)
class AuthorDebt:
    author_id: int
    name: str
    owed_kopecks: int       # > 0
    collected_kopecks: int  # everything they collected for settled periods (positive)
    repaid_kopecks: int


def parse_amount(text: str | None) -> int:
    """ "12 345.67" -> kopecks. The amount gate every typed amount passes (billing.amounts), then
    whole kopecks above zero."""
    cleaned = re.sub(r"[\s\u00a0₽]|руб\.?|RUB", "", text or "", flags=re.IGNORECASE)
    amount = plain_decimal(cleaned)
    if amount is None or amount != amount.quantize(Decimal("0.01")):
        raise RepaymentError("debts-amount-not-a-number")
    if amount <= 0:
        raise RepaymentError("debts-amount-not-positive")
    return int(amount.scaleb(2))


async def author_debts() -> list[AuthorDebt]:
    """Every author who owes the platform something, the largest debt first."""
    debts = []
    author_ids = set(await Tracker.all().values_list("author_id", flat=True))
    for author in await User.filter(id__in=author_ids).order_by("id"):
        held = await balance(await user_account_id(author.id))
        if held.owed > 0:
            debts.append(AuthorDebt(author.id, author.first_name, held.owed, -held.collected, held.repaid))
    return sorted(debts, key=lambda d: -d.owed_kopecks)


async def record_repayment(author_id: int, amount_kopecks: int, *, admin_id: int, note: str = "") -> AuthorRepayment:
    """The author paid `amount_kopecks` of their debt. Refused above what they owe now."""
    account = await user_account_id(author_id)
    async with in_transaction() as conn:
        if is_postgres(conn):  # two admins recording at once: one after the other, each seeing the other's
            await conn.execute_query(sql(conn, "SELECT id FROM accounts WHERE id = ? FOR NO KEY UPDATE"), [account])
        owed = (await balance(account, conn)).owed
        if amount_kopecks > owed:
            raise RepaymentError("debts-more-than-owed", owed=owed)
        row = await AuthorRepayment.create(author_id=author_id, amount_kopecks=amount_kopecks, recorded_by=admin_id,
                                           note=note[:255], using_db=conn)
        await conn.execute_query(sql(conn, INSERT_ENTRY), [
            account, EntryKind.REPAID.value, Role.AUTHOR.value, amount_kopecks, SourceType.REPAYMENT.value, row.id,
            None, ts(conn, row.created_at),
        ])
    return row
