"""What one answer leaves behind: the metered call (`billing.rates.meter_call`), the history rows
and the meeting's mJ. Raw statements on the hot path (an ORM query costs more to build than to
run); `sql`/`ts` keep them portable and store datetimes exactly as tortoise would."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from billing.access import Access, Payer
from billing.rates import (
    CHARGED_TO_AUTHOR,
    CHARGED_TO_PLATFORM,
    CHARGED_TO_SUBSCRIPTION,
    NoRate,
    UnknownModel,
    cached_price,
    current_rate,
    meter_call,
)
from llm.client import Usage
from llm.prompt import Turn
from llm.state import HISTORY_ROWS
from models import ChatMessage
from models.sql import default_connection, sql, ts

CHARGED_TO = {
    Payer.SUBSCRIPTION: CHARGED_TO_SUBSCRIPTION,
    Payer.PLATFORM: CHARGED_TO_PLATFORM,
    Payer.AUTHOR: CHARGED_TO_AUTHOR,
}
_INSERT_HISTORY = (
    "INSERT INTO chat_messages (tracker_id, user_id, meeting_id, role, text, tokens, is_test, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_SELECT_HISTORY = (
    "SELECT role, text, tokens FROM chat_messages WHERE tracker_id = ? AND user_id = ? AND is_test = ?{meeting}"
    f" ORDER BY id DESC LIMIT {HISTORY_ROWS}"
)
_METER_MEETING = "UPDATE meetings SET mj_micro = mj_micro + ?, last_activity_at = ? WHERE id = ?"


async def meter(
    tracker_id: int, user_id: int, model: str, usage: Usage, payer: Payer, access: Access, meeting_id: int | None
) -> tuple[int, str | None]:
    """Record the call: (its mJ in millionths, what was missing). A missing price or rate
    records nothing and the caller alerts the admins once (the client still got the answer:
    the platform bears that call). The price and the rate come from `billing.rates`' caches:
    the rate is the one in force at the call's moment `at`."""
    at = datetime.now(UTC)
    price = await cached_price(model)
    if price is None:
        return 0, "price"
    rate = await current_rate(at)
    if rate is None:
        return 0, "rate"
    try:
        metered = await meter_call(
            tracker_id, user_id, model, usage.prompt_tokens, usage.completion_tokens,
            at=at, subscription_id=access.subscription_id if payer is Payer.SUBSCRIPTION else None,
            meeting_id=meeting_id, charged_to=CHARGED_TO[payer], price=price, rate=rate,
        )
    except UnknownModel:
        return 0, "price"
    except NoRate:
        return 0, "rate"
    return metered.mj_micro, None


async def record_answer(
    tracker_id: int, user_id: int, model: str, usage: Usage, payer: Payer, access: Access, *,
    meeting_id: int | None, question: str | None, answer: str, test: bool,
) -> tuple[int, str | None]:
    """Meter the call and remember the exchange in one short transaction (one commit for the
    usage, the history and the meeting's mJ); returns what `meter` returns."""
    now = datetime.now(UTC)
    rows = [] if question is None else [("user", question, 0)]
    rows.append(("assistant", answer, usage.completion_tokens))
    async with in_transaction() as conn:
        mj_micro, missing = await meter(tracker_id, user_id, model, usage, payer, access, meeting_id)
        created = ts(conn, now)
        await conn.execute_many(sql(conn, _INSERT_HISTORY), [
            [tracker_id, user_id, meeting_id, role, body, tokens, test, created] for role, body, tokens in rows
        ])
        if meeting_id is not None:
            await conn.execute_query(sql(conn, _METER_MEETING), [mj_micro, created, meeting_id])
    return mj_micro, missing


async def history(tracker_id: int, user_id: int, test: bool, meeting_id: int | None) -> list[Turn]:
    conn = default_connection()
    params: list[Any] = [tracker_id, user_id, test]
    meeting = ""
    if test:  # a test meeting starts from a clean slate
        meeting = " AND meeting_id IS NULL" if meeting_id is None else " AND meeting_id = ?"
        params += [] if meeting_id is None else [meeting_id]
    _, rows = await conn.execute_query(sql(conn, _SELECT_HISTORY.format(meeting=meeting)), params)
    return [Turn(role, text, tokens) for role, text, tokens in reversed([tuple(r) for r in rows])]


async def remember(tracker_id: int, user_id: int, meeting_id: int | None, role: str, text: str, tokens: int,
                   test: bool) -> None:
    await ChatMessage.create(
        tracker_id=tracker_id, user_id=user_id, meeting_id=meeting_id,
        role=role, text=text, tokens=tokens, is_test=test, created_at=datetime.now(UTC),
    )
