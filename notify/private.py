"""Events in the private chat with a tracker bot, for partners and authors without a channel.

Who hears an event here: one of the people it concerns (the link's owner, the subscriber's
l1.. as deep as the schedule in force pays, the author, the payout's requester) who is a member
of that tracker, i.e. started its bot
(a bot may not write first), and has no connected channel there: a channel is where they chose
to hear events. Payout statuses came to the private chat before channels existed and still do,
channel or not.

Each kind can be switched off (`PrivateEvents.events`; no row: every kind on). Accruals come as
one message per person for each settlement batch, not one per period: an author may settle
thousands of periods in one run, and a private chat takes about a message a second. Or, by
choice, as one message a day (`accrual_digest`, written by the channels' daily digest job).

The same outbox as channel events, written in the same transaction as the fact, keyed so a
repeat writes nothing; the delivery loop reads the choice again before sending (`wanted_now`),
so a kind switched off after it was written is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from models import Membership, PartnerChannel, PrivateEvents, Tracker, User
from models.enums import ChannelStatus
from models.sql import conn_or_default, execute_count, is_postgres, ts
from notify.kinds import ACCRUAL, ACCRUAL_DIGEST, CHANNEL_KINDS, PAYOUT
from notify.outbox import enqueue

# What the private chat offers, in the cabinet's order: the same kinds as a channel.
PRIVATE_KINDS = CHANNEL_KINDS


@dataclass(frozen=True, slots=True)
class Choice:
    events: tuple[str, ...]
    accrual_digest: bool

    def wants(self, kind: str) -> bool:
        return (ACCRUAL if kind == ACCRUAL_DIGEST else kind) in self.events


DEFAULT = Choice(PRIVATE_KINDS, False)


async def choice(tracker_id: int, user_id: int, *, using_db: BaseDBAsyncClient | None = None) -> Choice:
    """What this person chose to hear in their private chat with this tracker's bot."""
    row = await PrivateEvents.get_or_none(tracker_id=tracker_id, user_id=user_id, using_db=conn_or_default(using_db))
    if row is None:
        return DEFAULT
    return Choice(tuple(k for k in PRIVATE_KINDS if k in (row.events or [])), bool(row.accrual_digest))


async def _row(tracker_id: int, user_id: int) -> PrivateEvents:
    row = await PrivateEvents.get_or_none(tracker_id=tracker_id, user_id=user_id)
    if row is not None:
        return row
    try:
        return await PrivateEvents.create(tracker_id=tracker_id, user_id=user_id, events=list(PRIVATE_KINDS))
    except IntegrityError:  # two taps at once: the other one made it
        return await PrivateEvents.get(tracker_id=tracker_id, user_id=user_id)


async def toggle(tracker_id: int, user_id: int, kind: str) -> Choice:
    """Turn one kind on or off; ValueError for a kind the private chat does not offer."""
    if kind not in PRIVATE_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    row = await _row(tracker_id, user_id)
    chosen = set(row.events or []) ^ {kind}
    row.events = [k for k in PRIVATE_KINDS if k in chosen]
    await row.save(update_fields=["events", "updated_at"])
    return await choice(tracker_id, user_id)


async def set_digest(tracker_id: int, user_id: int, digest: bool) -> Choice:
    """Accruals as they settle or as one message a day; either choice turns accruals on."""
    row = await _row(tracker_id, user_id)
    row.accrual_digest = digest
    row.events = [k for k in PRIVATE_KINDS if k in {*(row.events or []), ACCRUAL}]
    await row.save(update_fields=["accrual_digest", "events", "updated_at"])
    return await choice(tracker_id, user_id)


async def has_channel(tracker_id: int, user_id: int, *, using_db: BaseDBAsyncClient | None = None) -> bool:
    return await PartnerChannel.filter(
        tracker_id=tracker_id, owner_id=user_id, status=ChannelStatus.CONNECTED
    ).using_db(conn_or_default(using_db)).exists()


async def wanted_now(tracker_id: int, user_id: int, kind: str) -> bool:
    """For the delivery loop: is this kind still on for this person?"""
    return (await choice(tracker_id, user_id)).wants(kind)


async def _recipients(conn: BaseDBAsyncClient, tracker_id: int, user_ids: Iterable[int], kind: str) -> set[int]:
    ids = {u for u in user_ids if u is not None}
    if not ids:
        return set()
    ids &= set(await Membership.filter(tracker_id=tracker_id, user_id__in=ids).using_db(conn)
               .values_list("user_id", flat=True))
    if ids and kind != PAYOUT:
        ids -= set(await PartnerChannel.filter(
            tracker_id=tracker_id, owner_id__in=ids, status=ChannelStatus.CONNECTED
        ).using_db(conn).values_list("owner_id", flat=True))
    if not ids:
        return ids
    rows = await PrivateEvents.filter(tracker_id=tracker_id, user_id__in=ids).using_db(conn).values_list(
        "user_id", "events"
    )
    switched_off = {uid for uid, chosen in rows if kind not in (chosen or [])}
    return ids - switched_off


async def send(
    conn: BaseDBAsyncClient, *, kind: str, tracker: Tracker, recipients: dict[int, dict[str, Any]], key: str
) -> int:
    """One event to each of `recipients` (user id -> params) who hears `kind` privately here."""
    chosen = await _recipients(conn, tracker.id, recipients, kind)
    if not chosen:
        return 0
    langs = dict(await User.filter(id__in=chosen).using_db(conn).values_list("id", "language_code"))
    written = 0
    for user_id in sorted(chosen):
        written += await enqueue(
            conn, kind=kind, bot_id=tracker.bot_id, chat_id=user_id, dedupe_key=f"{key}:u{user_id}",
            params={"tracker": tracker.name, **recipients[user_id]}, language=langs.get(user_id) or "ru",
            tracker_id=tracker.id,
        )
    return written


# -- accruals: set-based, like the channels' ----------------------------------------------------


def _wants(conn: BaseDBAsyncClient, kind: str) -> str:
    """SQL: the choice `pe` lists `kind` (one of ours, never user input)."""
    if is_postgres(conn):
        return f"pe.events::jsonb @> '[\"{kind}\"]'::jsonb"
    return f"EXISTS (SELECT 1 FROM json_each(pe.events) WHERE json_each.value = '{kind}')"


def _json(conn: BaseDBAsyncClient) -> str:
    return "jsonb_build_object" if is_postgres(conn) else "json_object"


_COLUMNS = (
    "INSERT INTO outbox_events (dedupe_key, kind, bot_id, chat_id, tracker_id, channel_id, language, params,"
    " status, attempts, next_attempt_at, created_at) "
)

_NO_CHANNEL = """NOT EXISTS (SELECT 1 FROM partner_channels pc WHERE pc.owner_id = {user} AND pc.tracker_id = {tracker}
                   AND pc.status = 'connected')"""

# The batch's entries summed per person and tracker first (`count` is their periods; `name` and
# `level` are read for a batch of one period, where the text names the client: an author who also
# invited them reads "author", the first role, with both shares in the sum); who hears it privately
# is then decided once per person, not once per entry, which keeps a big settlement's batches cheap.
_ACCRUALS = """
SELECT 'accrual:' || CAST(? AS TEXT) || ':u' || g.user_id || ':t' || g.tracker_id, 'accrual', t.bot_id, g.user_id,
       g.tracker_id, NULL, COALESCE(u.language_code, 'ru'),
       {json}('tracker', t.name, 'amount', g.amount, 'count', g.periods, 'level', g.level,
              'name', COALESCE((SELECT cu.first_name FROM accounting_periods p JOIN users cu ON cu.id = p.user_id
                                WHERE p.id = g.period), '')),
       'pending', 0, ?, ?
FROM (SELECT a.user_id AS user_id, le.tracker_id AS tracker_id, SUM(le.amount_kopecks) AS amount,
             COUNT(DISTINCT le.source_id) AS periods, MIN(le.role) AS level, MIN(le.source_id) AS period
      FROM ledger_entries le
      JOIN accounts a ON a.id = le.account_id
      WHERE le.source_type = 'period' AND le.source_id >= ? AND le.source_id <= ? AND le.created_at = ?
        AND le.kind = 'accrual' AND le.amount_kopecks > 0 AND a.user_id IS NOT NULL
      GROUP BY a.user_id, le.tracker_id) g
JOIN memberships m ON m.user_id = g.user_id AND m.tracker_id = g.tracker_id
JOIN trackers t ON t.id = g.tracker_id
JOIN users u ON u.id = g.user_id
LEFT JOIN private_events pe ON pe.user_id = g.user_id AND pe.tracker_id = g.tracker_id
WHERE (pe.id IS NULL OR (NOT pe.accrual_digest AND {wants}))
  AND {no_channel}
ON CONFLICT (dedupe_key) DO NOTHING
"""


async def accruals_settled(
    conn: BaseDBAsyncClient, first_period_id: int, last_period_id: int, settled_at: datetime
) -> int:
    """One message per person and tracker with what a settlement batch (periods `first..last`,
    entries stamped `settled_at`) accrued to them, for those who hear accruals as they come."""
    now = ts(conn, datetime.now(UTC))
    query = _COLUMNS + _ACCRUALS.format(
        json=_json(conn), wants=_wants(conn, ACCRUAL),
        no_channel=_NO_CHANNEL.format(user="g.user_id", tracker="g.tracker_id"),
    )
    batch = f"{first_period_id}-{last_period_id}-{settled_at.timestamp():.6f}"
    return await execute_count(conn, query, [batch, now, now, first_period_id, last_period_id, ts(conn, settled_at)])


_DIGEST = """
SELECT 'digest:' || CAST(? AS TEXT) || ':u' || pe.user_id || ':t' || pe.tracker_id, 'accrual_digest', t.bot_id,
       pe.user_id, pe.tracker_id, NULL, COALESCE(o.language_code, 'ru'),
       {json}('tracker', t.name, 'amount', SUM(le.amount_kopecks), 'count', COUNT(le.id), 'date', CAST(? AS TEXT)),
       'pending', 0, ?, ?
FROM private_events pe
JOIN memberships m ON m.user_id = pe.user_id AND m.tracker_id = pe.tracker_id
JOIN accounts a ON a.user_id = pe.user_id
JOIN ledger_entries le ON le.account_id = a.id AND le.tracker_id = pe.tracker_id
JOIN trackers t ON t.id = pe.tracker_id
JOIN users o ON o.id = pe.user_id
WHERE pe.accrual_digest AND {wants} AND {no_channel}
  AND le.kind = 'accrual' AND le.amount_kopecks > 0 AND le.created_at >= ? AND le.created_at < ?
GROUP BY pe.id, pe.user_id, pe.tracker_id, t.bot_id, t.name, o.language_code
ON CONFLICT (dedupe_key) DO NOTHING
"""


async def daily_digest(conn: BaseDBAsyncClient, label: str, start: datetime, end: datetime) -> int:
    """One message per person who chose the digest, with the accruals stamped in [start, end)
    (the day `label`, ISO). Keyed by the day: a second run writes nothing."""
    now = ts(conn, datetime.now(UTC))
    query = _COLUMNS + _DIGEST.format(
        json=_json(conn), wants=_wants(conn, ACCRUAL),
        no_channel=_NO_CHANNEL.format(user="pe.user_id", tracker="pe.tracker_id"),
    )
    return await execute_count(conn, query, [label, label, now, now, ts(conn, start), ts(conn, end)])
