"""Retention (issue 15): old chat history, clicks, FSM rows, delivered outbox events and update
ids go; young rows, undelivered events and every money row stay, however old."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise import connections

from bot.config import RetentionSettings
from models import (
    Account,
    AccountingPeriod,
    AccountKind,
    ChatMessage,
    EntryKind,
    FsmRecord,
    InviteClick,
    InviteLink,
    LedgerEntry,
    OutboxEvent,
    OutboxStatus,
    Payment,
    PaymentProvider,
    PlanKind,
    Role,
    SourceType,
    Subscription,
    Tracker,
    UpdateClaim,
    UsageRecord,
    User,
    ledger_guard,
)
from scheduler.aps import APSScheduler
from scheduler.retention import RETENTION_JOB_ID, delete_old_rows, install_retention_job
from tests.e2e.test_workers import seed_periods

LIMITS = RetentionSettings(chat_days=30, clicks_days=60, fsm_days=7, outbox_days=14, update_ids_hours=24).model_dump()
NOW = datetime.now(UTC)
LONG_AGO = NOW - timedelta(days=400)


async def seed_history(tracker: Tracker, user_id: int, n: int, when: datetime, tag: str) -> None:
    """One row of each kind retention looks at, dated `when`."""
    await ChatMessage.bulk_create([ChatMessage(tracker=tracker, user_id=user_id, role="user", text=f"{tag}{i}",
                                               created_at=when) for i in range(n)])
    link = await InviteLink.create(tracker=tracker, owner_id=user_id, code=f"{tag}-link")
    for i in range(n):
        clicker = await User.create(id=(20_000 if tag == "young" else 10_000) + i, first_name="c")
        click = await InviteClick.create(link=link, user=clicker)
        await InviteClick.filter(id=click.id).update(created_at=when)
    for i in range(n):
        await FsmRecord.create(key=f"{tag}:fsm:{i}", state="S:x")
    await FsmRecord.filter(key__startswith=f"{tag}:fsm:").update(updated_at=when)
    for status in (OutboxStatus.SENT, OutboxStatus.PENDING, OutboxStatus.DEAD):
        for i in range(n):
            await OutboxEvent.create(dedupe_key=f"{tag}:{status}:{i}", kind="test", bot_id=1, chat_id=user_id,
                                     next_attempt_at=when, status=status,
                                     sent_at=when if status == OutboxStatus.SENT else None)
    await OutboxEvent.filter(dedupe_key__startswith=f"{tag}:").update(created_at=when)
    await UpdateClaim.bulk_create([UpdateClaim(bot_id=1, update_id=i + (1000 if tag == "young" else 0),
                                               holder="h", claimed_at=when, done_at=when) for i in range(n)])


async def seed_money(tracker: Tracker, user_id: int) -> None:
    payment = await Payment.create(tracker=tracker, user_id=user_id, provider=PaymentProvider.STARS,
                                   external_id="charge-1", plan_kind=PlanKind.MONTH, currency="XTR",
                                   amount_minor=100, amount_kopecks=15000)
    await Payment.filter(id=payment.id).update(created_at=LONG_AGO)
    await seed_periods(tracker, 7000, 1, 3, LONG_AGO)
    await Subscription.filter(user_id=7000).update(created_at=LONG_AGO)
    account = await Account.create(key="platform", kind=AccountKind.PLATFORM)
    entry = await LedgerEntry.create(account=account, kind=EntryKind.ACCRUAL, role=Role.PLATFORM, amount_kopecks=5,
                                     source_type=SourceType.PERIOD, source_id=1, tracker=tracker)
    async with ledger_guard.lifted(connections.get("default")):  # the ledger is append-only: backdate it here
        await LedgerEntry.filter(id=entry.id).update(created_at=LONG_AGO)
    await UsageRecord.create(tracker=tracker, user_id=user_id, model="m", input_tokens=1, output_tokens=1,
                             mj_micro=1, cost_ukop=1, created_at=LONG_AGO)


async def counts() -> dict[str, int]:
    return {
        "chat": await ChatMessage.all().count(),
        "clicks": await InviteClick.all().count(),
        "fsm": await FsmRecord.all().count(),
        "outbox_sent": await OutboxEvent.filter(status=OutboxStatus.SENT).count(),
        "outbox_kept": await OutboxEvent.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.DEAD]).count(),
        "updates": await UpdateClaim.all().count(),
        "money": sum([await Payment.all().count(), await Subscription.all().count(),
                      await AccountingPeriod.all().count(), await LedgerEntry.all().count(),
                      await UsageRecord.all().count()]),
    }


async def test_old_rows_go_young_rows_and_money_stay(database):
    await User.bulk_create([User(id=uid, first_name=f"u{uid}") for uid in (1, 11, 12, 13)])
    tracker = await Tracker.create(bot_id=200000088, username="old_bot", name="Old", author_id=1,
                                   token_encrypted="x")
    await seed_history(tracker, 1, 7, LONG_AGO, "old")
    # Young: a day inside each limit (the update ids an hour inside theirs).
    await seed_history(tracker, 1, 3, NOW - timedelta(days=6), "young")
    await UpdateClaim.filter(update_id__gte=1000).update(claimed_at=NOW - timedelta(hours=23))
    await seed_money(tracker, 1)
    money = (await counts())["money"]
    assert money == 1 + 1 + 3 + 1 + 1

    deleted = await delete_old_rows(LIMITS, batch=2)  # several batches per table
    assert deleted == {"chat_messages": 7, "invite_clicks": 7, "fsm_records": 7, "outbox_events": 7,
                       "update_claims": 7}
    assert await counts() == {"chat": 3, "clicks": 3, "fsm": 3, "outbox_sent": 3, "outbox_kept": 2 * (7 + 3),
                              "updates": 3, "money": money}
    assert await delete_old_rows(LIMITS) == dict.fromkeys(deleted, 0)  # nothing more to do


async def test_zero_keeps_a_table_for_good(database):
    await User.create(id=1, first_name="a")
    tracker = await Tracker.create(bot_id=200000089, username="keep_bot", name="Keep", author_id=1,
                                   token_encrypted="x")
    await seed_history(tracker, 1, 2, LONG_AGO, "old")
    limits = {**LIMITS, "chat_days": 0, "update_ids_hours": 0}
    deleted = await delete_old_rows(limits)
    assert "chat_messages" not in deleted and "update_claims" not in deleted
    assert await ChatMessage.all().count() == 2 and await UpdateClaim.all().count() == 2
    assert deleted["fsm_records"] == 2


def test_the_job_is_daily_and_takes_plain_values():
    scheduler = APSScheduler()
    install_retention_job(scheduler, LIMITS)
    job = scheduler._aps.get_job(RETENTION_JOB_ID)
    assert job.trigger.interval == timedelta(days=1)
    assert job.kwargs == {"limits": LIMITS}
