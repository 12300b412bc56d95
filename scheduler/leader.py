"""One scheduler leader among several workers: a lease row in the database (`leases`).

Every worker runs a `Leadership` loop. Each round is one atomic statement: insert the lease, or
take it over if it is ours or has expired, and say whether we hold it now. The holder renews it
every `renew_every` seconds; a worker that died stops renewing, its lease expires after `ttl`
seconds and the next round of another worker takes it. So the jobs move within `ttl + renew_every`
seconds of a leader's death, and a clean shutdown releases the lease at once.

A leader that cannot reach the database steps down once the lease it last renewed may have
expired, so two leaders overlap only while a stalled process has not noticed (every job is
idempotent through the database, so an overlap costs work, never money).

On PostgreSQL the lease is timed by the database's clock, so workers on several machines agree
whatever their own clocks say; SQLite serves one machine and uses its clock.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from models.sql import default_connection, is_postgres, sql, ts

log = logging.getLogger(__name__)

SCHEDULER_LEASE = "scheduler"

_ACQUIRE_PG = """
INSERT INTO leases (name, holder, expires_at, updated_at)
VALUES ($1, $2, now() + make_interval(secs => $3), now())
ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at,
                                 updated_at = EXCLUDED.updated_at
WHERE leases.holder = EXCLUDED.holder OR leases.expires_at < now()
RETURNING holder
"""
_ACQUIRE_SQLITE = """
INSERT INTO leases (name, holder, expires_at, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
                                 updated_at = excluded.updated_at
WHERE leases.holder = excluded.holder OR leases.expires_at < ?
RETURNING holder
"""
_RELEASE = "UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ?"


def worker_id() -> str:
    """Who holds a lease: readable in the table (host and pid), unique across restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def try_acquire(name: str, holder: str, ttl: float) -> bool:
    """Take or renew the lease `name` for `ttl` seconds; True if `holder` holds it now."""
    conn = default_connection()
    if is_postgres(conn):
        rows = await conn.execute_query_dict(_ACQUIRE_PG, [name, holder, float(ttl)])
    else:
        now = datetime.now(UTC)
        # execute_query_dict: the one call that returns the RETURNING rows of an INSERT on both backends
        rows = await conn.execute_query_dict(
            _ACQUIRE_SQLITE, [name, holder, ts(conn, now + timedelta(seconds=ttl)), ts(conn, now), ts(conn, now)]
        )
    return bool(rows)


async def release(name: str, holder: str) -> None:
    """Give the lease up (only if we hold it), so another worker takes it at its next round."""
    conn = default_connection()
    past = ts(conn, datetime(2000, 1, 1, tzinfo=UTC))
    await conn.execute_query(sql(conn, _RELEASE), [past, name, holder])


Hook = Callable[[], Awaitable[None] | None]


class Leadership:
    """Runs `on_elected` when this worker becomes the leader and `on_deposed` when it stops being
    one (lost the lease, or could not renew it in time). `always=True` is the single-process case:
    leader from the start, no lease at all."""

    def __init__(
        self,
        on_elected: Hook,
        on_deposed: Hook,
        *,
        name: str = SCHEDULER_LEASE,
        ttl: float = 15.0,
        renew_every: float | None = None,
        always: bool = False,
        holder: str | None = None,
    ) -> None:
        if renew_every is None:
            renew_every = ttl / 3
        if renew_every >= ttl:
            raise ValueError("the lease must be renewed more often than it expires")
        self.name, self.ttl, self.renew_every, self.always = name, ttl, renew_every, always
        self.holder = holder or worker_id()
        self._on_elected, self._on_deposed = on_elected, on_deposed
        self.is_leader = False
        self._valid_until = 0.0  # monotonic: our lease surely holds until then
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def start(self) -> None:
        if self.always:
            await self._become(True)
            return
        await self._round()  # a lone worker leads from its first second, not after one interval
        self._task = asyncio.create_task(self._loop(), name=f"lease-{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        was_leader = self.is_leader
        await self._become(False)
        if was_leader and not self.always:
            try:
                await release(self.name, self.holder)
            except Exception:  # noqa: BLE001 - the lease expires by itself
                log.warning("could not release the %s lease; it expires in %.0f s", self.name, self.ttl)

    async def wait_until_leader(self, timeout: float) -> bool:
        """For tests and tools: True once this worker leads, False after `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout):
                while not self.is_leader:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            return False
        return True

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.renew_every)
            await self._round()

    async def _round(self) -> None:
        started = time.monotonic()
        try:
            held = await try_acquire(self.name, self.holder, self.ttl)
        except Exception as exc:  # noqa: BLE001 - the database is away: keep the lease we surely hold
            log.warning("lease %s: renewal failed: %s", self.name, exc)
            if self.is_leader and time.monotonic() >= self._valid_until:
                log.warning("lease %s: could not renew in time, stepping down", self.name)
                await self._become(False)
            return
        if held:
            self._valid_until = started + self.ttl
        await self._become(held)

    async def _become(self, leader: bool) -> None:
        if leader == self.is_leader:
            return
        self.is_leader = leader
        self._changed.set()
        log.info("%s the scheduler leader (%s)", "became" if leader else "no longer", self.holder)
        hook = self._on_elected if leader else self._on_deposed
        try:
            result = hook()
            if asyncio.iscoroutine(result):
                await result
        except Exception:  # noqa: BLE001 - the lease loop must survive a failing hook
            log.exception("lease %s: the %s hook failed", self.name, "elected" if leader else "deposed")
