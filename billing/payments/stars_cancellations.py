"""The queue of Stars subscriptions to cancel when a tracker is deleted or paused (issue 19).

A tracker with a thousand Stars clients needs a thousand `editUserStarSubscription` calls and a
thousand messages: far too long for the author's button press, and lost if the process stops
half way. So the press only writes one row per client here, in the transaction that changes the
tracker's status, and the background worker (services.stars_cancel) works them off, paced per
bot. Each row records every step once it is done (PENDING -> CANCELLED -> DONE), so a restart
resumes where the last one stopped and cancels nobody twice.

A deleted tracker keeps its (encrypted) token until its last row is finished: the cancellations
need it. `finish_tracker` wipes it then.

Domain code: no Telegram here, only the bookkeeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from billing.payments.renewals import set_auto_renew
from models import AutoRenewal, PaymentProvider, StarsCancellation, StarsCancelStatus, Tracker, TrackerStatus
from models.sql import conn_or_default, is_postgres, sql, ts, write_first
from notify import notices

DELETED, PAUSED = "deleted", "paused"
OPEN = (StarsCancelStatus.PENDING, StarsCancelStatus.CANCELLED)  # still something to do
CLAIM_SECONDS = 120


async def enqueue(conn: BaseDBAsyncClient | None, tracker_id: int, reason: str) -> int:
    """One row per client whose Stars subscription on the tracker still renews; returns how many
    rows are now open for it. A row already open keeps its progress (a delete after a pause's
    cancellations began only changes the message to "deleted"); a subscription the client turned
    back on after an earlier cancellation is cancelled again."""
    conn = conn_or_default(conn)
    await write_first(conn, "stars_cancellations")  # it reads, then writes: wait for another process's writes
    now = datetime.now(UTC)
    renewals = await AutoRenewal.filter(tracker_id=tracker_id, provider=PaymentProvider.STARS,
                                        enabled=True).using_db(conn).values_list("user_id", "method_id")
    known = {row.charge_id: row for row in await StarsCancellation.filter(tracker_id=tracker_id).using_db(conn)}
    fresh = []
    for user_id, charge_id in renewals:
        row = known.get(charge_id)
        if row is None:
            fresh.append(StarsCancellation(tracker_id=tracker_id, user_id=user_id, charge_id=charge_id,
                                           reason=reason, next_attempt_at=now))
        elif row.status not in OPEN:
            await StarsCancellation.filter(id=row.id).using_db(conn).update(
                status=StarsCancelStatus.PENDING, reason=reason, attempts=0, next_attempt_at=now,
                claimed_by=None, claimed_until=None, last_error=None, finished_at=None)
    if fresh:
        await StarsCancellation.bulk_create(fresh, batch_size=500, using_db=conn)
    if reason == DELETED:
        await StarsCancellation.filter(tracker_id=tracker_id, status__in=OPEN).using_db(conn).update(reason=DELETED)
    return await StarsCancellation.filter(tracker_id=tracker_id, status__in=OPEN).using_db(conn).count()


async def open_count(tracker_id: int) -> int:
    return await StarsCancellation.filter(tracker_id=tracker_id, status__in=OPEN).count()


# Open rows that are due and unclaimed, of bots no other worker is working on right now (one
# worker per bot keeps the bot's pace), oldest first.
_DUE = """
SELECT c.id FROM stars_cancellations c
WHERE c.status IN ('pending', 'cancelled') AND c.next_attempt_at <= ?
  AND (c.claimed_until IS NULL OR c.claimed_until < ?)
  AND NOT EXISTS (SELECT 1 FROM stars_cancellations o WHERE o.tracker_id = c.tracker_id
                  AND o.status IN ('pending', 'cancelled') AND o.claimed_until >= ? AND o.claimed_by NOT LIKE ?)
ORDER BY c.id
LIMIT ?
"""


async def claim(token: str, *, worker: str, limit: int = 50, now: datetime | None = None,
                claim_seconds: float = CLAIM_SECONDS) -> list[StarsCancellation]:
    """Due rows claimed under `token` ("<worker>:<round>"); rows of a bot another worker holds
    are left to it. A worker that dies holding a claim loses it when `claim_seconds` pass."""
    at = now or datetime.now(UTC)
    until = at + timedelta(seconds=claim_seconds)
    async with in_transaction() as tx:
        due = _DUE + (" FOR UPDATE OF c SKIP LOCKED" if is_postgres(tx) else "")
        await tx.execute_query(
            sql(tx, f"UPDATE stars_cancellations SET claimed_by = ?, claimed_until = ? WHERE id IN ({due})"),
            [token, ts(tx, until), ts(tx, at), ts(tx, at), ts(tx, at), f"{worker}:%", limit],
        )
        rows = await StarsCancellation.filter(claimed_by=token, status__in=OPEN).using_db(tx).order_by("id")
    return list(rows)


async def _update(row: StarsCancellation, token: str | None, **values: Any) -> int:
    query = StarsCancellation.filter(id=row.id)
    if token is not None:
        query = query.filter(claimed_by=token)
    return await query.update(**values)


async def cancelled(row: StarsCancellation, token: str | None) -> None:
    """Telegram accepted the cancellation: the client's auto-renewal is off, and only telling
    them is left. One transaction, so a crash leaves the row PENDING and the renewal on, or neither."""
    async with in_transaction():
        await _update(row, token, status=StarsCancelStatus.CANCELLED, attempts=0, last_error=None)
        await set_auto_renew(row.tracker_id, row.user_id, False)
    row.status, row.attempts = StarsCancelStatus.CANCELLED, 0


async def done(row: StarsCancellation, token: str | None, error: str | None = None) -> None:
    """The client was told (or cannot be: they blocked the bot, `error` says why)."""
    await _update(row, token, status=StarsCancelStatus.DONE, finished_at=datetime.now(UTC), last_error=error,
                  claimed_by=None, claimed_until=None)
    row.status = StarsCancelStatus.DONE


async def failed(row: StarsCancellation, token: str | None, error: str) -> None:
    """Not cancelled, and trying again cannot help (Telegram refused this charge id)."""
    await _update(row, token, status=StarsCancelStatus.FAILED, finished_at=datetime.now(UTC),
                  last_error=error[:2000], attempts=row.attempts + 1, claimed_by=None, claimed_until=None)
    row.status = StarsCancelStatus.FAILED


async def fail_tracker(tracker_id: int, error: str) -> int:
    """Every open row of the tracker that is not yet cancelled fails (its token was revoked: no
    call of this bot can work, and only the bot's owner can cancel now); cancelled ones are done,
    untold. Returns how many failed."""
    now = datetime.now(UTC)
    lost = await StarsCancellation.filter(tracker_id=tracker_id, status=StarsCancelStatus.PENDING).update(
        status=StarsCancelStatus.FAILED, finished_at=now, last_error=error[:2000], claimed_by=None,
        claimed_until=None)
    await StarsCancellation.filter(tracker_id=tracker_id, status=StarsCancelStatus.CANCELLED).update(
        status=StarsCancelStatus.DONE, finished_at=now, last_error=error[:2000], claimed_by=None,
        claimed_until=None)
    return lost


async def postpone(row: StarsCancellation, token: str | None, at: datetime, *, error: str, failed: bool) -> None:
    """Try this row again at `at`; `failed` counts an attempt (a 429 is Telegram's pace, not a failure)."""
    values: dict[str, Any] = {"next_attempt_at": at, "claimed_by": None, "claimed_until": None,
                              "last_error": error[:2000]}
    if failed:
        values["attempts"] = row.attempts + 1
    await _update(row, token, **values)


async def pace_tracker(tracker_id: int, not_before: datetime) -> None:
    """Nothing more of this bot's rows before `not_before` (Telegram said retry_after)."""
    conn = conn_or_default(None)
    at = ts(conn, not_before)
    await conn.execute_query(
        sql(conn, "UPDATE stars_cancellations SET next_attempt_at = ? "
                  "WHERE tracker_id = ? AND status IN ('pending', 'cancelled') AND next_attempt_at < ?"),
        [at, tracker_id, at])


async def release(token: str, *, worker: bool = False) -> int:
    """Give back the claims of one round (`token`), or with `worker=True` of every round of the
    worker `token` names (a clean stop), so nobody waits for them to expire."""
    query = StarsCancellation.filter(status__in=OPEN)
    query = query.filter(claimed_by__startswith=f"{token}:") if worker else query.filter(claimed_by=token)
    return await query.update(claimed_by=None, claimed_until=None)


async def finish_tracker(tracker_id: int) -> bool:
    """Once a deleted tracker has nothing left to cancel, its token is wiped (as a deletion
    without Stars clients does at once). True if it was wiped now."""
    if await StarsCancellation.filter(tracker_id=tracker_id, status__in=OPEN).exists():
        return False
    wiped = await Tracker.filter(id=tracker_id, status=TrackerStatus.DELETED).exclude(token_encrypted="").update(
        token_encrypted="", updated_at=datetime.now(UTC))
    return bool(wiped)


FINISHED_KEY = "stars-cancel-finished"


async def tell_author_when_finished(tracker_id: int) -> bool:
    """Once nothing is left to do for the tracker, its author hears how many subscriptions were
    cancelled and how many could not be (those only the bot's owner can cancel now): once per
    batch (the newest row names it). True if written now."""
    if await StarsCancellation.filter(tracker_id=tracker_id, status__in=OPEN).exists():
        return False
    newest = await StarsCancellation.filter(tracker_id=tracker_id).order_by("-id").first()
    tracker = await Tracker.get_or_none(id=tracker_id)
    if newest is None or tracker is None:
        return False
    counts = await summary(tracker_id)
    async with in_transaction() as conn:
        return await notices.alert(
            conn, tracker.author_id, FINISHED_KEY,
            {"name": tracker.name, "cancelled": counts[StarsCancelStatus.DONE.value],
             "failed": counts[StarsCancelStatus.FAILED.value]},
            dedupe_key=f"stars-cancel:{tracker_id}:{newest.id}")


async def summary(tracker_id: int) -> dict[str, int]:
    """How many rows of the tracker are in each state (for the author's and the admin's screens)."""
    counts = {status.value: 0 for status in StarsCancelStatus}
    for status in await StarsCancellation.filter(tracker_id=tracker_id).values_list("status", flat=True):
        counts[str(getattr(status, "value", status))] += 1
    return counts
