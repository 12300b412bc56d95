"""Fraud flags: which partners' new referral shares are held (issue 19, self-referral).

One person with accounts chained A→B→C→D who pays as D gets the L1, L2 and L3 shares (60% of the
margin) of their own purchase back. Three signs raise a `FraudFlag` on a partner of a tracker:

- **shared card** (at payment time): the payer paid with the same card as a partner up their
  chain did (any tracker). Every partner from the payer up to that one is flagged: the accounts in
  between are the same person's too. Only a YooKassa payment shows its card (first six and last
  four digits and the expiry, billing.yookassa_api's `card_fingerprint`); Telegram Payments hand the bot only charge ids
  (`telegram_payment_charge_id`, `provider_payment_charge_id`), which name the charge, not the
  card, and Stars no card at all: those payments carry no fingerprint and cannot match.
- **fast chain** (at payment time): from the payer up, each member joined the tracker within
  `fraud_fast_chain_minutes` of their inviter, `fraud_fast_chain_links` links in a row; the
  partners on those links are flagged.
- **refund rate** (a daily job): of the payments made by a partner's direct referrals on a
  tracker, at least `fraud_refund_min_count`, at least `fraud_refund_percent` % had money given
  back.

The thresholds are the admin's settings (billing.policy). A flag is one row per (partner, tracker,
reason), written with ON CONFLICT DO NOTHING: evaluating the same facts again, or twice at once,
writes nothing new. A flag only holds shares settled after it (billing.settlement writes them as
`held`); billing.holds releases or forfeits them and clears the flags.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient

from billing.policy import CostPolicy, load_policy
from models import FraudReason, Membership, PayerCard, Payment
from models.sql import conn_or_default, marks, parse_ts, rows, sql, ts

log = logging.getLogger(__name__)

_FLAG = (
    "INSERT INTO fraud_flags (user_id, tracker_id, reason, detail, created_at) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (user_id, tracker_id, reason) DO NOTHING"
)


async def _flag(conn: BaseDBAsyncClient, user_ids: list[int], tracker_id: int, reason: FraudReason,
                detail: str) -> None:
    now = ts(conn, datetime.now(UTC))
    await conn.execute_many(sql(conn, _FLAG), [[uid, tracker_id, reason.value, detail[:255], now] for uid in user_ids])
    log.warning("fraud flag %s on tracker %d for users %s: %s", reason.value, tracker_id, user_ids, detail)


async def check_payment(conn: BaseDBAsyncClient, payment: Payment, fingerprint: str | None = None,
                        policy: CostPolicy | None = None) -> list[int]:
    """The chain checks for one new payment, inside its transaction (after the inviter is locked);
    `fingerprint` (the card that paid, if the provider showed it) is kept beside the payment.
    Returns the partners flagged (again or for the first time). Cheap: the payer's chain is one row
    (at most six inviters, however many levels the schedule pays), read by the unique (tracker, user) key."""
    policy = policy or await load_policy()
    if fingerprint:
        await PayerCard.get_or_create(payment_id=payment.id, defaults={"fingerprint": fingerprint}, using_db=conn)
    member = await Membership.get_or_none(tracker_id=payment.tracker_id, user_id=payment.user_id, using_db=conn)
    if member is None:
        return []
    chain = [uid for uid in (member.l1_id, member.l2_id, member.l3_id, member.l4_id, member.l5_id, member.l6_id)
             if uid is not None]
    if not chain:
        return []
    flagged: list[int] = []
    if fingerprint:
        found = await rows(
            conn,
            "SELECT DISTINCT p.user_id FROM payer_cards c JOIN payments p ON p.id = c.payment_id "
            f"WHERE c.fingerprint = ? AND p.user_id IN ({marks(len(chain))})",
            [fingerprint, *chain],
        )
        sharing = {int(r[0]) for r in found}
        if sharing:
            deepest = max(chain.index(uid) for uid in sharing)
            up_to = chain[: deepest + 1]
            await _flag(conn, up_to, payment.tracker_id, FraudReason.SHARED_CARD,
                        f"payment {payment.id}: the card of user(s) {sorted(sharing)}")
            flagged += up_to
    fast = await _fast_links(conn, payment.tracker_id, payment.user_id, member.created_at, chain, policy)
    if fast:
        await _flag(conn, fast, payment.tracker_id, FraudReason.FAST_CHAIN,
                    f"payment {payment.id}: {len(fast)} link(s) within {policy.fraud_fast_chain_minutes} min")
        flagged += fast
    return sorted(set(flagged))


async def _fast_links(conn: BaseDBAsyncClient, tracker_id: int, payer_id: int, joined: datetime,
                      chain: list[int], policy: CostPolicy) -> list[int]:
    """The partners up the chain on consecutive links made within the window, if there are at least
    `fraud_fast_chain_links` of them from the payer up; [] otherwise."""
    window = timedelta(minutes=policy.fraud_fast_chain_minutes)
    if not window:
        return []
    found = await rows(
        conn,
        f"SELECT user_id, created_at FROM memberships WHERE tracker_id = ? AND user_id IN ({marks(len(chain))})",
        [tracker_id, *chain],
    )
    joined_at = {int(uid): parse_ts(at) for uid, at in found}
    run: list[int] = []
    below = parse_ts(joined)
    for uid in chain:
        above = joined_at.get(uid)
        if above is None or not timedelta(0) <= below - above <= window:
            break
        run.append(uid)
        below = above
    return run if len(run) >= policy.fraud_fast_chain_links else []


# Per partner and tracker: the payments of their direct referrals there, and how many of those
# had money given back (a recorded refund, whole or partial, or marked refunded).
_REFUND_RATES = """
SELECT m.l1_id, m.tracker_id, COUNT(*),
       SUM(CASE WHEN p.refunded OR EXISTS (SELECT 1 FROM refunds r WHERE r.payment_id = p.id) THEN 1 ELSE 0 END)
FROM payments p
JOIN memberships m ON m.tracker_id = p.tracker_id AND m.user_id = p.user_id
WHERE m.l1_id IS NOT NULL
GROUP BY m.l1_id, m.tracker_id
"""


async def evaluate_refund_rates(policy: CostPolicy | None = None, using_db: BaseDBAsyncClient | None = None) -> int:
    """The daily check: flag the partners whose referrals refund too often. Returns how many
    (partner, tracker) pairs are over the threshold; rerunning it writes nothing new."""
    policy = policy or await load_policy()
    conn = conn_or_default(using_db)
    over = 0
    for partner, tracker_id, count, refunded in await rows(conn, _REFUND_RATES, []):
        count, refunded = int(count), int(refunded or 0)
        if count >= policy.fraud_refund_min_count and refunded * 100 >= policy.fraud_refund_percent * count:
            await _flag(conn, [int(partner)], int(tracker_id), FraudReason.REFUND_RATE,
                        f"{refunded} of {count} referral payments refunded")
            over += 1
    return over


async def flagged_users(conn: BaseDBAsyncClient | None = None) -> set[int]:
    """Partners with a flag not cleared: settlement holds their new referral shares."""
    found = await rows(conn_or_default(conn), "SELECT DISTINCT user_id FROM fraud_flags WHERE cleared_at IS NULL", [])
    return {int(r[0]) for r in found}
