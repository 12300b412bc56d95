"""Small builders for money tests: people, a tracker, memberships with their chains."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise import connections

from models import LedgerEntry, Membership, Tracker, User, ledger_guard

MSK = "Europe/Moscow"


def at(*args: int) -> datetime:
    """A UTC datetime: at(2025, 1, 31, 12)."""
    return datetime(*args, tzinfo=UTC)


async def make_tracker(author_id: int = 1, bot_id: int = 100) -> Tracker:
    author, _ = await User.get_or_create(id=author_id, defaults={"first_name": f"u{author_id}"})
    return await Tracker.create(bot_id=bot_id, username=f"t{bot_id}_bot", name="T", author=author, token_encrypted="-")


async def join(tracker: Tracker, user_id: int, inviter: int | None = None) -> Membership:
    """`user_id` joins `tracker` through `inviter`'s link: l1..l3 copied down the chain, as the
    referral code will do (the author has no membership and no inviters)."""
    await User.get_or_create(id=user_id, defaults={"first_name": f"u{user_id}"})
    l1 = l2 = l3 = None
    if inviter is not None:
        l1 = inviter
        above = await Membership.get_or_none(tracker=tracker, user_id=inviter)
        if above is not None:
            l2, l3 = above.l1_id, above.l2_id
    return await Membership.create(tracker=tracker, user_id=user_id, l1_id=l1, l2_id=l2, l3_id=l3)


async def ledger_snapshot() -> set[tuple]:
    """Every entry as (source, source id, account key, role, kind, amount)."""
    rows = await LedgerEntry.all().values_list(
        "source_type", "source_id", "account__key", "role", "kind", "amount_kopecks"
    )
    snapshot = {tuple(str(v) if not isinstance(v, int) else v for v in row) for row in rows}
    assert len(snapshot) == len(rows), "duplicate ledger entries"
    return snapshot


async def wipe() -> None:
    """Empty every table a money test writes (hypothesis runs many examples on one database)."""
    conn = connections.get("default")
    async with ledger_guard.lifted(conn):
        await conn.execute_script("DELETE FROM ledger_entries")
    # children before parents: the money tables' foreign keys refuse to cascade
    for table in (
        "fraud_flags", "payer_cards",
        "clawbacks", "refunds", "payout_requests", "accounts", "usage_records", "accounting_periods", "subscriptions",
        "checkouts", "payments", "memberships", "invite_clicks", "invite_links", "plans", "trackers", "mj_rates",
        "model_prices", "users",
    ):
        await conn.execute_script(f"DELETE FROM {table}")
