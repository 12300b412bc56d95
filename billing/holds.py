"""Held referral shares of flagged partners (billing.fraud), and the admin's two ways to end a hold.

Settlement writes a flagged partner's referral share (any level) of a period as a `held` entry (source: the
period) instead of an `accrual`: the period's entries still add up to its margin, and the money
is in no one's available balance. Ending the hold writes, for every share still held, one pair:

    release:  partner `unheld` -X   +  partner  `accrual` +X   (the money becomes available)
    forfeit:  partner `unheld` -X   +  platform `accrual` +X   (the level goes to the platform,
                                                                as a level nobody holds does)

both under the held entry's own source (the period) and role, so the period's entries keep adding
up to its margin, the partner cabinet's running totals fold a release like any accrual, and a later
refund claws back from whoever holds the share then (billing.refunds). The ledger's unique key
(source, account, role, kind) allows one `unheld` per held share: a second release or forfeit of
the same share, or both at once, writes nothing. A release also clears the partner's flags (an
admin judged them honest: their next shares accrue); after a forfeit the flags stand and new shares
keep being held.

A refund of a period whose share is still held claws back from the partner's available balance
(as for any share); a release then makes it whole, and after a forfeit the partner's balance keeps
that negative, recovered from later accruals like any clawback.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from billing.accounts import platform_account_id, user_account_id
from billing.ledger import INSERT_ENTRY
from models import FraudFlag
from models.enums import EntryKind, SourceType
from models.sql import default_connection, is_postgres, marks, rows, sql, ts, write_first

# The shares an account still holds: its `held` entries with no `unheld` beside them.
_STILL_HELD = """
SELECT h.source_id, h.role, h.amount_kopecks, h.tracker_id FROM ledger_entries h
WHERE h.account_id = ? AND h.kind = 'held' AND h.source_type = 'period'
  AND NOT EXISTS (SELECT 1 FROM ledger_entries u WHERE u.source_type = h.source_type
                  AND u.source_id = h.source_id AND u.account_id = h.account_id
                  AND u.role = h.role AND u.kind = 'unheld')
ORDER BY h.id
"""
# Each account's held money: an index-only sum per account on (account_id, kind, role, amount).
_HELD_SUMS = """
SELECT account_id, SUM(amount_kopecks) FROM ledger_entries
WHERE account_id IN ({ids}) AND kind IN ('held', 'unheld') GROUP BY account_id
"""


@dataclass(frozen=True, slots=True)
class FlaggedPartner:
    user_id: int
    name: str  # the first name, or the id when there is none
    reasons: tuple[tuple[str, str, str], ...]  # (reason, tracker username, evidence) per flag
    held_kopecks: int


async def flagged_partners(limit: int = 50) -> list[FlaggedPartner]:
    """Partners with a flag not cleared (a forfeit leaves them so), the newest flag first."""
    flags = await FraudFlag.filter(cleared_at=None).order_by("-id").limit(500).prefetch_related("user", "tracker")
    by_user: dict[int, list[FraudFlag]] = {}
    for flag in flags:
        by_user.setdefault(flag.user_id, []).append(flag)
    users = list(by_user)[:limit]
    held = await held_by_user(users)
    return [
        FlaggedPartner(
            uid, by_user[uid][0].user.first_name or str(uid),
            tuple((f.reason.value, f.tracker.username, f.detail) for f in by_user[uid]), held.get(uid, 0),
        )
        for uid in users
    ]


async def held_by_user(user_ids: list[int]) -> dict[int, int]:
    """{user id: kopecks held} for those of the users who have an account."""
    if not user_ids:
        return {}
    conn = default_connection()
    accounts = await rows(conn, f"SELECT id, user_id FROM accounts WHERE user_id IN ({marks(len(user_ids))})",
                          user_ids)
    user_of = {int(a): int(u) for a, u in accounts}
    if not user_of:
        return {}
    sums = await rows(conn, _HELD_SUMS.format(ids=marks(len(user_of))), list(user_of))
    return {user_of[int(a)]: int(total or 0) for a, total in sums}


@dataclass(frozen=True, slots=True)
class HoldDecision:
    shares: int  # held shares moved now (0: nothing was held any more)
    kopecks: int


async def release(user_id: int, admin_id: int) -> HoldDecision:
    """The partner's held shares become available to them; their flags are cleared."""
    return await _end_hold(user_id, admin_id, forfeit=False)


async def forfeit(user_id: int, admin_id: int) -> HoldDecision:
    """The partner's held shares go to the platform; their flags stand."""
    return await _end_hold(user_id, admin_id, forfeit=True)


async def _end_hold(user_id: int, admin_id: int, *, forfeit: bool) -> HoldDecision:
    async with in_transaction() as conn:
        await write_first(conn, "ledger_entries")
        account = await user_account_id(user_id, conn)
        if is_postgres(conn):  # one decision on an account at a time (a release and a forfeit at once)
            await rows(conn, "SELECT id FROM accounts WHERE id = ? FOR NO KEY UPDATE", [account])
        to = await platform_account_id(conn) if forfeit else account
        now = ts(conn, datetime.now(UTC))
        period, unheld, accrual = SourceType.PERIOD.value, EntryKind.UNHELD.value, EntryKind.ACCRUAL.value
        entries = []
        total = 0
        for period_id, role, amount, tracker_id in await rows(conn, _STILL_HELD, [account]):
            entries.append((account, unheld, role, -int(amount), period, period_id, tracker_id, now))
            entries.append((to, accrual, role, int(amount), period, period_id, tracker_id, now))
            total += int(amount)
        if entries:
            await conn.execute_many(sql(conn, INSERT_ENTRY), entries)  # type: ignore[arg-type]
        if not forfeit:
            await FraudFlag.filter(user_id=user_id, cleared_at=None).using_db(conn).update(
                cleared_at=datetime.now(UTC), cleared_by=admin_id)
    return HoldDecision(len(entries) // 2, total)
