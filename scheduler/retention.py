"""Retention (issue 15): rows that only record the past are deleted once older than their setting.

What goes, each after its own `RETENTION__...` setting (0 keeps it forever):
- the AI conversation history (`chat_messages`, by when it was said);
- invite link clicks (`invite_clicks`): a link's funnel then counts the clicks of the window;
- FSM / dialog state nobody touched (`fsm_records`, by its last write): an old dialog's buttons
  then answer as an expired dialog does;
- outbox events delivered (`outbox_events` in status sent, by when they were sent); pending, dead
  and skipped ones stay for the admin;
- claimed update ids (`update_claims`): Telegram redelivers for 24 hours only.

Money rows are never deleted: payments, subscriptions, accounting periods, the ledger, usage,
payouts. They are not in `RULES`, and nothing else here deletes.

Every table is deleted in batches of `BATCH` rows, each its own short transaction, so a first run
over years of history neither holds a long lock nor stalls the answers meanwhile. The job runs
daily in the scheduler leader.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from models.sql import default_connection, execute_count, ts
from scheduler.base import Scheduler

log = logging.getLogger(__name__)

RETENTION_JOB_ID = "retention"
BATCH = 5_000
FIRST_RUN_DELAY = timedelta(minutes=10)  # not in the busy seconds of a start


@dataclass(frozen=True)
class Rule:
    setting: str       # the RetentionSettings field with the age
    unit: str          # "days" or "hours"
    table: str
    key: str           # the primary key column
    column: str        # the datetime column aged
    extra: str = ""    # a further condition (trusted text, never user input)

    def cutoff(self, limits: dict[str, Any], now: datetime) -> datetime | None:
        age = int(limits.get(self.setting) or 0)
        if age <= 0:
            return None
        return now - timedelta(**{self.unit: age})


RULES = (
    Rule("chat_days", "days", "chat_messages", "id", "created_at"),
    Rule("clicks_days", "days", "invite_clicks", "id", "created_at"),
    Rule("fsm_days", "days", "fsm_records", "key", "updated_at"),
    Rule("outbox_days", "days", "outbox_events", "id", "sent_at", "AND status = 'sent'"),
    Rule("update_ids_hours", "hours", "update_claims", "id", "claimed_at"),
)


async def delete_old_rows(limits: dict[str, Any], batch: int = BATCH) -> dict[str, int]:
    """Delete what is older than `limits` (RetentionSettings as a dict); rows deleted per table."""
    conn = default_connection()
    now = datetime.now(UTC)
    deleted: dict[str, int] = {}
    for rule in RULES:
        cutoff = rule.cutoff(limits, now)
        if cutoff is None:
            continue
        query = (f"DELETE FROM {rule.table} WHERE {rule.key} IN (SELECT {rule.key} FROM {rule.table} "
                 f"WHERE {rule.column} < ? {rule.extra} LIMIT ?)")
        total = 0
        while True:
            count = await execute_count(conn, query, [ts(conn, cutoff), batch])
            total += count
            if count < batch:
                break
            await asyncio.sleep(0)  # let the answers in between batches
        deleted[rule.table] = total
    if any(deleted.values()):
        log.info("retention: deleted %s", ", ".join(f"{n} from {t}" for t, n in deleted.items() if n))
    return deleted


def install_retention_job(scheduler: Scheduler, limits: dict[str, Any]) -> None:
    """Daily, the first run shortly after the start (a platform restarted daily still runs it)."""
    scheduler.add_interval_job(
        f"{__name__}:delete_old_rows",
        job_id=RETENTION_JOB_ID,
        seconds=24 * 3600,
        kwargs={"limits": {key: int(value) for key, value in limits.items()}},
        first_run_at=datetime.now(UTC) + FIRST_RUN_DELAY,
    )
