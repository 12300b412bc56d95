"""The facts partners and authors hear about, turned into outbox events.

Each function is called inside the transaction that writes its fact (pass that connection), so
an event exists if and only if the fact was committed; its dedupe key makes a repeat (a retried
webhook, a settlement rerun) write nothing. Events carry only what the text needs: a first name,
amounts in kopecks, a level; the text is rendered at delivery in the recipient's language.

A channel gets an event when it is connected, belongs to the recipient on that tracker and lists
the event's kind in `PartnerChannel.events`. Someone with no channel there hears it in the private
chat with the tracker bot instead, as they chose (notify.private).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models import Account, CommissionRate, Membership, PartnerChannel, PayoutRequest, Subscription, Tracker, User
from models.enums import ChannelStatus, PlanKind
from models.sql import execute_count, is_postgres, ts
from notify import kinds, private
from notify.outbox import PLATFORM_BOT, enqueue

# Defined in notify.kinds, which notify.private shares without importing this module; named here,
# where their callers have always found them.
START = kinds.START
SUBSCRIBER = kinds.SUBSCRIBER
RENEWAL = kinds.RENEWAL
REFUND = kinds.REFUND
ACCRUAL = kinds.ACCRUAL
ACCRUAL_DIGEST = kinds.ACCRUAL_DIGEST
PAYOUT = kinds.PAYOUT
PAYOUT_REQUEST = kinds.PAYOUT_REQUEST
TEST = kinds.TEST
CLIENT_NOTICE = kinds.CLIENT_NOTICE
ALERT = kinds.ALERT
CHANNEL_KINDS = kinds.CHANNEL_KINDS

async def _channels(
    conn: BaseDBAsyncClient, tracker_id: int, owner_ids: Iterable[int], kind: str
) -> list[PartnerChannel]:
    owners = {o for o in owner_ids if o is not None}
    if not owners:
        return []
    channels = await PartnerChannel.filter(
        tracker_id=tracker_id, owner_id__in=owners, status=ChannelStatus.CONNECTED
    ).using_db(conn).order_by("id")
    return [c for c in channels if kind in (c.events or [])]


async def _languages(conn: BaseDBAsyncClient, user_ids: Iterable[int]) -> dict[int, str]:
    ids = {u for u in user_ids if u is not None}
    if not ids:
        return {}
    rows = await User.filter(id__in=ids).using_db(conn).values_list("id", "language_code")
    return {uid: (lang or "ru") for uid, lang in rows}


async def _first_name(conn: BaseDBAsyncClient, user_id: int) -> str:
    name = cast(str | None, await User.filter(id=user_id).using_db(conn).first().values_list("first_name", flat=True))
    return (name or "").strip()


async def _to_channels(
    conn: BaseDBAsyncClient,
    *,
    kind: str,
    tracker: Tracker,
    recipients: dict[int, dict[str, Any]],
    key: str,
) -> int:
    """One event per wanting channel of each recipient; `recipients` maps owner id -> params."""
    channels = await _channels(conn, tracker.id, recipients, kind)
    langs = await _languages(conn, (c.owner_id for c in channels))
    written = 0
    for channel in channels:
        params = {"tracker": tracker.name, **recipients[channel.owner_id]}
        written += await enqueue(
            conn,
            kind=kind,
            bot_id=tracker.bot_id,
            chat_id=channel.chat_id,
            dedupe_key=f"{key}:c{channel.id}",
            params=params,
            language=langs.get(channel.owner_id, "ru"),
            tracker_id=tracker.id,
            channel_id=channel.id,
        )
    return written


async def start_via_link(conn: BaseDBAsyncClient, tracker_id: int, link_id: int, owner_id: int, user_id: int) -> int:
    """Someone opened `owner_id`'s invite link for the first time (one event per click), told to
    the link owner's channels and the author's (every start on their tracker)."""
    tracker = await Tracker.get(id=tracker_id, using_db=conn)
    name = await _first_name(conn, user_id)
    recipients = {tracker.author_id: {"name": name, "own": "no"}, owner_id: {"name": name, "own": "yes"}}
    key = f"start:{link_id}:{user_id}"
    written = await _to_channels(conn, kind=START, tracker=tracker, recipients=recipients, key=key)
    return written + await private.send(conn, kind=START, tracker=tracker, recipients=recipients, key=key)


def _beneficiaries(tracker: Tracker, *chain: int | None) -> dict[int, str]:
    """Who earns from this subscriber, with their level; the author last so a partner who is also
    the author (their own link) hears it once, as the author."""
    levels: dict[int, str] = {}
    for n, uid in enumerate(chain, start=1):
        if uid is not None and uid != tracker.author_id:
            levels.setdefault(uid, f"l{n}")
    levels[tracker.author_id] = "author"
    return levels


# The chain as a membership keeps it (referral.attribution): levels 4..6 earn under deeper schedules.
_CHAIN = ("l1_id", "l2_id", "l3_id", "l4_id", "l5_id", "l6_id")


async def _chain(conn: BaseDBAsyncClient, tracker_id: int, user_id: int) -> tuple[int | None, ...]:
    """The member's inviters as far as the commission schedule in force pays: the dated one's
    `levels`, or the configured schedule's three (settings cannot make it deeper)."""
    row = await Membership.filter(tracker_id=tracker_id, user_id=user_id).using_db(conn).values(*_CHAIN)
    if not row:
        return ()
    depths = await CommissionRate.filter(valid_from__lte=datetime.now(UTC)).using_db(conn) \
        .order_by("-valid_from").limit(1).values_list("levels", flat=True)
    depth = int(cast("list[int]", depths)[0]) if depths else 3
    return tuple(row[0][column] for column in _CHAIN[:depth])


async def subscription_paid(conn: BaseDBAsyncClient, subscription: Subscription) -> int:
    """A paid subscription: a new paying subscriber (their first one here) or a renewal, told to
    the channels of everyone in its chain (l1..l6 as locked at the payment, and the author),
    each with their level."""
    renewal = await Subscription.filter(
        tracker_id=subscription.tracker_id, user_id=subscription.user_id, id__lt=subscription.id
    ).using_db(conn).exists()
    tracker = await Tracker.get(id=subscription.tracker_id, using_db=conn)
    name = await _first_name(conn, subscription.user_id)
    common = {
        "name": name,
        "plan": str(PlanKind(subscription.plan_kind).value),
        "amount": int(subscription.price_kopecks),
    }
    levels = _beneficiaries(tracker, *await _chain(conn, tracker.id, subscription.user_id))
    kind = RENEWAL if renewal else SUBSCRIBER
    recipients = {uid: {**common, "level": level} for uid, level in levels.items()}
    key = f"{kind}:{subscription.id}"
    written = await _to_channels(conn, kind=kind, tracker=tracker, recipients=recipients, key=key)
    return written + await private.send(conn, kind=kind, tracker=tracker, recipients=recipients, key=key)


async def subscription_refunded(conn: BaseDBAsyncClient, subscription: Subscription) -> int:
    tracker = await Tracker.get(id=subscription.tracker_id, using_db=conn)
    name = await _first_name(conn, subscription.user_id)
    levels = _beneficiaries(tracker, *await _chain(conn, tracker.id, subscription.user_id))
    amount = int(subscription.price_kopecks)
    recipients = {uid: {"name": name, "amount": amount, "level": level} for uid, level in levels.items()}
    key = f"refund:{subscription.id}"
    written = await _to_channels(conn, kind=REFUND, tracker=tracker, recipients=recipients, key=key)
    return written + await private.send(conn, kind=REFUND, tracker=tracker, recipients=recipients, key=key)


async def payout_changed(conn: BaseDBAsyncClient, payout_id: int) -> None:
    """The payout's current status, to the requester's private chat (from the tracker bot the
    request came from, or the platform bot) and to their channels on that tracker."""
    payout = await PayoutRequest.get(id=payout_id, using_db=conn)
    account = await Account.get(id=payout.account_id, using_db=conn)
    if account.user_id is None:  # the platform's own account is never paid out
        return
    user_id = int(account.user_id)
    status = str(payout.status.value if hasattr(payout.status, "value") else payout.status)
    params: dict[str, Any] = {
        "payout": payout.id,
        "status": status,
        "amount": int(payout.amount_kopecks),
        "reason": payout.failure_reason or "",
    }
    lang = (await _languages(conn, [user_id])).get(user_id, "ru")
    tracker = await Tracker.get(id=payout.tracker_id, using_db=conn) if payout.tracker_id else None
    # A status of one's own money request always reaches the private chat, unless switched off there.
    if tracker is None or (await private.choice(tracker.id, user_id, using_db=conn)).wants(PAYOUT):
        await enqueue(
            conn,
            kind=PAYOUT,
            bot_id=tracker.bot_id if tracker else PLATFORM_BOT,
            chat_id=user_id,
            dedupe_key=f"payout:{payout.id}:{status}:{user_id}",
            params=params,
            language=lang,
            tracker_id=tracker.id if tracker else None,
        )
    if tracker is not None:
        await _to_channels(
            conn, kind=PAYOUT, tracker=tracker, recipients={user_id: params}, key=f"payout:{payout.id}:{status}"
        )


async def payout_requested(conn: BaseDBAsyncClient, payout_id: int, admin_ids: Iterable[int]) -> int:
    """A new payout request, to each platform admin's private chat with the platform bot: the
    amount and the requester's first name (the text carries a button to the request's card)."""
    admins = sorted({int(a) for a in admin_ids})
    if not admins:
        return 0
    payout = await PayoutRequest.get(id=payout_id, using_db=conn)
    account = await Account.get(id=payout.account_id, using_db=conn)
    name = await _first_name(conn, int(account.user_id)) if account.user_id is not None else ""
    langs = await _languages(conn, admins)
    params = {"payout": payout.id, "amount": int(payout.amount_kopecks), "name": name}
    written = 0
    for admin in admins:
        written += await enqueue(conn, kind=PAYOUT_REQUEST, bot_id=PLATFORM_BOT, chat_id=admin,
                                 dedupe_key=f"payout-request:{payout.id}:a{admin}", params=params,
                                 language=langs.get(admin, "ru"))
    return written


# -- accruals: set-based, inside settlement's batch transaction ------------------------------------


def _wants(conn: BaseDBAsyncClient, kind: str) -> str:
    """SQL: channel `pc` lists `kind` in its JSON `events` (kind is one of ours, never user input)."""
    if is_postgres(conn):
        return f"pc.events::jsonb @> '[\"{kind}\"]'::jsonb"
    return f"EXISTS (SELECT 1 FROM json_each(pc.events) WHERE json_each.value = '{kind}')"


def _json(conn: BaseDBAsyncClient) -> str:
    return "jsonb_build_object" if is_postgres(conn) else "json_object"


_OUTBOX_COLUMNS = (
    "INSERT INTO outbox_events (dedupe_key, kind, bot_id, chat_id, tracker_id, channel_id, language, params,"
    " status, attempts, next_attempt_at, created_at) "
)

# Driven by the batch's entries (an index range); whether their owner has a channel is checked
# right after, and the texts' values are looked up only for the rows that pass.
_ACCRUALS = """
SELECT 'accrual:' || le.id || ':c' || pc.id, 'accrual',
       (SELECT t.bot_id FROM trackers t WHERE t.id = pc.tracker_id), pc.chat_id, pc.tracker_id, pc.id,
       COALESCE((SELECT o.language_code FROM users o WHERE o.id = pc.owner_id), 'ru'),
       {json}('tracker', (SELECT t.name FROM trackers t WHERE t.id = pc.tracker_id),
              'amount', le.amount_kopecks, 'level', le.role,
              'name', COALESCE((SELECT cu.first_name FROM accounting_periods p JOIN users cu ON cu.id = p.user_id
                                WHERE p.id = le.source_id), '')),
       'pending', 0, ?, ?
FROM ledger_entries le
JOIN accounts a ON a.id = le.account_id
JOIN partner_channels pc ON pc.owner_id = a.user_id AND pc.tracker_id = le.tracker_id
WHERE le.source_type = 'period' AND le.source_id >= ? AND le.source_id <= ? AND le.created_at = ?
  AND le.kind = 'accrual' AND le.amount_kopecks > 0
  AND pc.status = 'connected' AND NOT pc.accrual_digest AND {wants}
ORDER BY le.id, pc.id
ON CONFLICT (dedupe_key) DO NOTHING
"""

_ANY_CHANNEL = "SELECT 1 FROM partner_channels WHERE status = 'connected' LIMIT 1"


async def accruals_settled(
    conn: BaseDBAsyncClient, first_period_id: int, last_period_id: int, settled_at: datetime
) -> int:
    """One event per accrual a settlement batch just wrote (periods `first..last` settled at
    `settled_at`, the batch's timestamp on its entries), for each connected channel of the
    beneficiary on that tracker that takes accruals one by one. Set-based: one statement."""
    written = await private.accruals_settled(conn, first_period_id, last_period_id, settled_at)
    _, rows = await conn.execute_query(_ANY_CHANNEL)
    if not rows:  # the common case while settling in bulk: no join at all
        return written
    now = ts(conn, datetime.now(UTC))
    query = _OUTBOX_COLUMNS + _ACCRUALS.format(json=_json(conn), wants=_wants(conn, ACCRUAL))
    return written + await execute_count(
        conn, query, [now, now, first_period_id, last_period_id, ts(conn, settled_at)]
    )


_DIGEST = """
SELECT 'digest:' || CAST(? AS TEXT) || ':c' || pc.id, 'accrual_digest', t.bot_id, pc.chat_id, pc.tracker_id, pc.id,
       COALESCE(o.language_code, 'ru'),
       {json}('tracker', t.name, 'amount', SUM(le.amount_kopecks), 'count', COUNT(le.id), 'date', CAST(? AS TEXT)),
       'pending', 0, ?, ?
FROM partner_channels pc
JOIN accounts a ON a.user_id = pc.owner_id
JOIN ledger_entries le ON le.account_id = a.id AND le.tracker_id = pc.tracker_id
JOIN trackers t ON t.id = pc.tracker_id
JOIN users o ON o.id = pc.owner_id
WHERE pc.status = 'connected' AND pc.accrual_digest AND {wants}
  AND le.kind = 'accrual' AND le.amount_kopecks > 0 AND le.created_at >= ? AND le.created_at < ?
GROUP BY pc.id, pc.chat_id, pc.tracker_id, t.bot_id, t.name, o.language_code
ON CONFLICT (dedupe_key) DO NOTHING
"""


async def daily_digest(day: date, tz: str | ZoneInfo) -> int:
    """One post per digest channel with the accruals of `day` (a day in the platform's zone).
    Keyed by the date: a second run for the same day writes nothing."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(str(tz))
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    async with in_transaction() as conn:
        now = ts(conn, datetime.now(UTC))
        query = _OUTBOX_COLUMNS + _DIGEST.format(json=_json(conn), wants=_wants(conn, ACCRUAL))
        label = day.isoformat()
        written = await execute_count(conn, query, [label, label, now, now, ts(conn, start), ts(conn, end)])
        return written + await private.daily_digest(conn, label, start, end)
