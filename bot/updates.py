"""Each Telegram update handled once, whichever transport or worker it reaches (issue 15).

Telegram delivers an update again when a webhook answer was not 2xx in time (a slow handler, a
worker that died), and long polling gets unconfirmed updates again after a restart. Before an
update reaches its dispatcher, `UpdateGate` claims `(bot_id, update_id)` in one atomic statement:
a row in `update_claims` (INSERT ... ON CONFLICT), or `SET NX` in Redis when REDIS_URL is set.

What a claim already held means:
- handled (`done`): a redelivery. It is acknowledged (200 to a webhook, skipped in polling) and
  not handled again.
- being handled right now by someone (`busy`): the webhook answers 503, so Telegram asks again
  later and finds it done. Polling cannot be asked again: the process polling before a restart
  holds it, so the new one waits until that claim is done (then skips it) or lapses (takes it).
- being handled, but its holder stopped renewing it for `lease` seconds (the worker died in the
  middle): it is taken over and handled again.

So the choice for a handler that fails:
- it raised an exception: the update counts as handled (logged, counted as failed) and is not
  retried. A handler that failed half-way may have sent messages or written rows; running it again
  would repeat them, and a bug fails again anyway. At most once.
- its process died: the update is retried after the lease, by a redelivery (webhook) or the next
  poll after a restart. At least once: the money steps are idempotent (a payment's charge id is
  unique), which is what lets a `successful_payment` survive a crash between receipt and commit.

A holder renews its claim while the handler runs (every lease / 3), so a long LLM answer is never
taken for a dead one. Claims are kept for the update-id retention window (Telegram keeps an update
24 hours); the retention job deletes older rows, Redis keys expire by themselves.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from models.sql import default_connection, is_postgres, returning, rows, sql, ts
from scheduler.leader import worker_id  # host:pid:random, readable in the table

log = logging.getLogger(__name__)


class Claim(StrEnum):
    OURS = "ours"      # handle it
    DONE = "done"      # handled already: acknowledge, do not handle
    BUSY = "busy"      # someone is handling it now


class Outcome(StrEnum):
    HANDLED = "handled"
    FAILED = "failed"          # the handler raised; not retried
    DUPLICATE = "duplicate"    # handled before: acknowledged only
    BUSY = "busy"              # handled elsewhere right now: the webhook asks Telegram to retry
    UNCLAIMED = "unclaimed"    # the claim could not be written: the webhook asks Telegram to retry


class Claims(Protocol):
    lease: float  # seconds a holder may go silent before its claim may be taken over

    async def claim(self, bot_id: int, update_id: int) -> Claim: ...
    async def renew(self, bot_id: int, update_id: int) -> None: ...
    async def finish(self, bot_id: int, update_id: int) -> None: ...


# -- the database ----------------------------------------------------------------------------------

# One statement: a new claim, or the take-over of one whose holder stopped renewing it. On
# PostgreSQL the database's clock times the lease, so workers on several machines agree.
_CLAIM_PG = """
INSERT INTO update_claims (bot_id, update_id, holder, claimed_at) VALUES (?, ?, ?, now())
ON CONFLICT (bot_id, update_id) DO UPDATE SET holder = EXCLUDED.holder, claimed_at = EXCLUDED.claimed_at
WHERE update_claims.done_at IS NULL AND update_claims.claimed_at < now() - make_interval(secs => ?)
RETURNING holder
"""
_CLAIM_SQLITE = """
INSERT INTO update_claims (bot_id, update_id, holder, claimed_at) VALUES (?, ?, ?, ?)
ON CONFLICT (bot_id, update_id) DO UPDATE SET holder = excluded.holder, claimed_at = excluded.claimed_at
WHERE update_claims.done_at IS NULL AND update_claims.claimed_at < ?
RETURNING holder
"""
_STATE = "SELECT done_at FROM update_claims WHERE bot_id = ? AND update_id = ?"
_RENEW_PG = "UPDATE update_claims SET claimed_at = now() WHERE bot_id = ? AND update_id = ? AND holder = ?"
_RENEW_SQLITE = "UPDATE update_claims SET claimed_at = ? WHERE bot_id = ? AND update_id = ? AND holder = ?"
_FINISH_PG = "UPDATE update_claims SET done_at = now() WHERE bot_id = ? AND update_id = ? AND holder = ?"
_FINISH_SQLITE = "UPDATE update_claims SET done_at = ? WHERE bot_id = ? AND update_id = ? AND holder = ?"


class DbClaims:
    """Claims in the `update_claims` table (SQLite or PostgreSQL)."""

    def __init__(self, lease: float, holder: str | None = None) -> None:
        self.lease = lease
        self.holder = holder or worker_id()

    async def claim(self, bot_id: int, update_id: int) -> Claim:
        conn = default_connection()
        if is_postgres(conn):
            got = await returning(conn, _CLAIM_PG, [bot_id, update_id, self.holder, float(self.lease)])
        else:
            now = datetime.now(UTC)
            got = await returning(conn, _CLAIM_SQLITE, [bot_id, update_id, self.holder, ts(conn, now),
                                                        ts(conn, now - timedelta(seconds=self.lease))])
        if got:
            return Claim.OURS
        found = await rows(conn, _STATE, [bot_id, update_id])
        return Claim.DONE if found and found[0][0] is not None else Claim.BUSY

    async def renew(self, bot_id: int, update_id: int) -> None:
        conn = default_connection()
        if is_postgres(conn):
            await conn.execute_query(sql(conn, _RENEW_PG), [bot_id, update_id, self.holder])
        else:
            await conn.execute_query(_RENEW_SQLITE, [ts(conn, datetime.now(UTC)), bot_id, update_id, self.holder])

    async def finish(self, bot_id: int, update_id: int) -> None:
        conn = default_connection()
        if is_postgres(conn):
            await conn.execute_query(sql(conn, _FINISH_PG), [bot_id, update_id, self.holder])
        else:
            await conn.execute_query(_FINISH_SQLITE, [ts(conn, datetime.now(UTC)), bot_id, update_id, self.holder])


# -- Redis -------------------------------------------------------------------------------------------


class RedisClaims:
    """Claims as Redis keys: "busy:<holder>" expiring after the lease (so a dead holder's claim
    lapses by itself), then "done" expiring after the update-id window."""

    PREFIX = "gptitor:update"

    def __init__(self, redis: Any, lease: float, window: float, holder: str | None = None) -> None:
        self.redis = redis
        self.lease: float = max(1, round(lease))
        self.window = max(1, round(window)) if window > 0 else None  # 0: kept for good, as in the table
        self.holder = holder or worker_id()

    def _key(self, bot_id: int, update_id: int) -> str:
        return f"{self.PREFIX}:{bot_id}:{update_id}"

    async def claim(self, bot_id: int, update_id: int) -> Claim:
        key = self._key(bot_id, update_id)
        if await self.redis.set(key, f"busy:{self.holder}", nx=True, ex=self.lease):
            return Claim.OURS
        value = await self.redis.get(key)
        if value is None:  # it lapsed between the two calls: try once more
            return Claim.OURS if await self.redis.set(key, f"busy:{self.holder}", nx=True, ex=self.lease) \
                else Claim.BUSY
        return Claim.DONE if _text(value) == "done" else Claim.BUSY

    async def renew(self, bot_id: int, update_id: int) -> None:
        await self.redis.set(self._key(bot_id, update_id), f"busy:{self.holder}", xx=True, ex=self.lease)

    async def finish(self, bot_id: int, update_id: int) -> None:
        await self.redis.set(self._key(bot_id, update_id), "done", ex=self.window)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# -- the gate ----------------------------------------------------------------------------------------

Handle = Callable[[], Awaitable[Any]]
# What the gate reports of each update: the bot's kind ("platform" / "tracker"), the outcome and
# the handler's seconds (0 when it did not run). bot.metrics counts them.
Observer = Callable[[str, Outcome, float], None]


class UpdateGate:
    """Claims an update, runs its handler, marks it done. `claims=None` lets everything through
    (a transport built without a platform, in a test)."""

    def __init__(self, claims: Claims | None, *, platform_bot_id: int | None = None,
                 observe: Observer | None = None) -> None:
        self.claims = claims
        self.platform_bot_id = platform_bot_id
        self.observe = observe

    def kind(self, bot_id: int) -> str:
        return "platform" if bot_id == self.platform_bot_id else "tracker"

    async def run(self, bot_id: int, update_id: int, handle: Handle, *, can_retry: bool) -> Outcome:
        """`can_retry`: the sender delivers again if told to (a webhook); polling cannot be asked."""
        claimed = await self._claim(bot_id, update_id, can_retry)
        while claimed is Claim.BUSY and not can_retry:
            # A poll cannot be asked again: wait until its holder (the process polling before a
            # restart) finishes it, or stops renewing its claim and leaves it to us.
            await asyncio.sleep(self._busy_pause())
            claimed = await self._claim(bot_id, update_id, can_retry)
        if claimed is Claim.DONE:
            log.info("bot %s: update %s was handled before; acknowledged only", bot_id, update_id)
            return self._report(bot_id, Outcome.DUPLICATE, 0.0)
        if claimed is Claim.BUSY:
            log.info("bot %s: update %s is being handled elsewhere", bot_id, update_id)
            return self._report(bot_id, Outcome.BUSY, 0.0)
        if claimed is None:
            return self._report(bot_id, Outcome.UNCLAIMED, 0.0)
        started = time.perf_counter()
        heartbeat = asyncio.create_task(self._renew(bot_id, update_id)) if self.claims else None
        outcome = Outcome.HANDLED
        try:
            await handle()
        except Exception:  # noqa: BLE001 - one bad update must not kill the bot; not retried (module doc)
            log.exception("update %s for bot %s failed", update_id, bot_id)
            outcome = Outcome.FAILED
        finally:
            if heartbeat is not None:
                heartbeat.cancel()
        elapsed = time.perf_counter() - started
        if self.claims is not None:
            try:
                await self.claims.finish(bot_id, update_id)
            except Exception:  # noqa: BLE001 - the claim lapses after the lease; a redelivery then runs it again
                log.warning("bot %s: update %s handled but not marked done", bot_id, update_id, exc_info=True)
        return self._report(bot_id, outcome, elapsed)

    async def _claim(self, bot_id: int, update_id: int, can_retry: bool) -> Claim | None:
        if self.claims is None:
            return Claim.OURS
        try:
            return await self.claims.claim(bot_id, update_id)
        except Exception:  # noqa: BLE001 - the database or Redis is away
            if can_retry:  # Telegram will deliver it again: nothing is lost by refusing now
                log.warning("bot %s: update %s not claimed; Telegram will retry", bot_id, update_id, exc_info=True)
                return None
            # A poll cannot be asked again: handling it unclaimed beats losing it.
            log.warning("bot %s: update %s not claimed; handling it anyway", bot_id, update_id, exc_info=True)
            return Claim.OURS

    def _busy_pause(self) -> float:
        assert self.claims is not None
        return min(max(self.claims.lease / 3, 0.1), 5.0)

    async def _renew(self, bot_id: int, update_id: int) -> None:
        assert self.claims is not None
        every = max(self.claims.lease / 3, 0.1)
        while True:
            await asyncio.sleep(every)
            try:
                await self.claims.renew(bot_id, update_id)
            except Exception:  # noqa: BLE001 - try again next round; the lease is three rounds long
                log.debug("bot %s: claim of update %s not renewed", bot_id, update_id, exc_info=True)

    def _report(self, bot_id: int, outcome: Outcome, seconds: float) -> Outcome:
        if self.observe is not None:
            self.observe(self.kind(bot_id), outcome, seconds)
        return outcome
