"""`/healthz` and `/metrics` (issue 15): on the webhook server in webhook mode, on a small side
server of their own in polling mode (METRICS_HOST / METRICS_PORT, 127.0.0.1 by default).

`/healthz` answers JSON, 200 when everything holds and 503 when anything does not:
- `database`: a `SELECT 1` answered within a few seconds;
- `platform_bot`: "polling" (its polling loop runs) or "webhook" (its webhook was set by this
  worker or the one that registers), else null;
- `scheduler_leader`: who holds the scheduler lease (this worker, or another whose lease is
  current), else null: nobody runs the jobs.

`/metrics` is Prometheus's text format (bot.metrics); the gauges read from tables (the outbox
backlog, the settlement lag) and the polling loops are refreshed at each scrape.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any, Protocol

from aiogram import Bot
from aiohttp import web

from bot import metrics
from bot.coordinator import Coordinator
from bot.supervisor import PollingSupervisor
from bot.transport import Transport, WebhookServer
from models import AccountingPeriod, Lease, OutboxEvent, OutboxStatus, PeriodStatus
from models.sql import default_connection
from scheduler.leader import SCHEDULER_LEASE

log = logging.getLogger(__name__)

DATABASE_TIMEOUT = 5.0


class Watched(Protocol):
    """`bot.app.Runtime` as the health check sees it."""

    platform_bot: Bot
    transport: Transport
    coordinator: Coordinator


def add_routes(app: web.Application, runtime: Watched) -> None:
    async def on_healthz(request: web.Request) -> web.Response:
        return await healthz(runtime)

    async def on_metrics(request: web.Request) -> web.Response:
        return await scrape(runtime)

    app.router.add_get("/healthz", on_healthz)
    app.router.add_get("/metrics", on_metrics)


async def healthz(runtime: Watched) -> web.Response:
    report = await check(runtime)
    healthy = bool(report["database"] and report["platform_bot"] and report["scheduler_leader"])
    report["status"] = "ok" if healthy else "failing"
    return web.json_response(report, status=200 if healthy else 503)


async def check(runtime: Watched) -> dict[str, Any]:
    database = await _database_answers()
    return {
        "database": database,
        "platform_bot": _platform_bot(runtime),
        "scheduler_leader": await _leader(runtime) if database else None,
    }


async def _database_answers() -> bool:
    try:
        conn = default_connection()
        await asyncio.wait_for(conn.execute_query("SELECT 1"), DATABASE_TIMEOUT)
        return True
    except Exception as exc:  # noqa: BLE001 - any failure is "not reachable"; say which in the log
        log.warning("health: the database does not answer: %s", type(exc).__name__)
        return False


def _platform_bot(runtime: Watched) -> str | None:
    transport = runtime.transport
    if isinstance(transport, PollingSupervisor):
        return "polling" if transport.polling(runtime.platform_bot.id) else None
    if isinstance(transport, WebhookServer):
        return "webhook" if transport.serves_platform else None
    return None


async def _leader(runtime: Watched) -> str | None:
    leadership = runtime.coordinator.leadership
    if leadership is not None and leadership.is_leader:
        return leadership.holder
    lease = await Lease.get_or_none(name=SCHEDULER_LEASE)
    if lease is None or lease.expires_at <= datetime.now(UTC):
        return None
    return lease.holder


async def scrape(runtime: Watched) -> web.Response:
    try:
        await refresh(runtime)
    except Exception as exc:  # noqa: BLE001 - the counters are still worth serving; /healthz says why
        log.warning("metrics: the tables could not be read: %s", type(exc).__name__)
    return web.Response(body=metrics.render(), headers={"Content-Type": metrics.CONTENT_TYPE})


async def refresh(runtime: Watched) -> None:
    if isinstance(runtime.transport, PollingSupervisor):
        alive, retrying = runtime.transport.loop_states()
        metrics.POLLING_LOOPS.labels(state="alive").set(alive)
        metrics.POLLING_LOOPS.labels(state="retrying").set(retrying)
    now = datetime.now(UTC)
    pending = OutboxEvent.filter(status=OutboxStatus.PENDING)
    metrics.OUTBOX_BACKLOG.set(await pending.count())
    oldest = await pending.order_by("created_at").first().values_list("created_at", flat=True)
    metrics.OUTBOX_OLDEST.set(_age(now, oldest))
    due = await (AccountingPeriod.filter(status=PeriodStatus.OPEN, ends_at__lte=now)
                 .order_by("ends_at").first().values_list("ends_at", flat=True))
    metrics.SETTLEMENT_LAG.set(_age(now, due))


def _age(now: datetime, then: Any) -> float:
    if not isinstance(then, datetime):
        return 0.0
    return max(0.0, (now - then).total_seconds())
