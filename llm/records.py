"""What one answer leaves behind: the metered call (a `billing.rates` usage record), the history rows
and the meeting's mJ. Raw statements on the hot path (an ORM query costs more to build than to
run); `sql`/`ts` keep them portable and store datetimes exactly as tortoise would."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from billing import dashboard_rollup
from billing.access import Access, Payer
from billing.rates import (
    CHARGED_TO_AUTHOR,
    CHARGED_TO_PLATFORM,
    CHARGED_TO_SUBSCRIPTION,
    INSERT_USAGE,
    cached_price,
    current_rate,
    usage_row,
)
from llm.client import Usage
from llm.prompt import Turn
from llm.state import HISTORY_ROWS
from models.sql import Step, default_connection, sql, ts, write_together

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


async def record_answer(
    tracker_id: int, user_id: int, model: str, usage: Usage, payer: Payer, access: Access, *,
    meeting_id: int | None, question: str | None, answer: str, test: bool, dashboard_zone: str | None = None,
) -> tuple[int, str | None]:
    """Meter the call and remember the exchange in one transaction, one commit and (on SQLite) one
    round trip for the usage record, the history and the meeting's mJ (`models.sql.write_together`).
    `dashboard_zone`: the author's dashboard totals' zone (`AnswerState.dashboard_zone`).
    Returns the call's mJ in millionths and what was missing: a missing price or rate meters
    nothing (the history is still written) and the caller alerts the admins once; the client still
    got the answer, the platform bears that call. The price and the rate come from
    `billing.rates`' caches: the rate is the one in force at this moment."""
    now = datetime.now(UTC)
    conn = default_connection()
    created = ts(conn, now)
    steps: list[Step] = []
    mj_micro, missing = 0, None
    price = await cached_price(model)
    rate = None if price is None else await current_rate(now)
    if price is None:
        missing = "price"
    elif rate is None:
        missing = "rate"
    else:
        values, cost = usage_row(
            conn, tracker_id, user_id, model, usage.prompt_tokens, usage.completion_tokens,
            at=now, subscription_id=access.subscription_id if payer is Payer.SUBSCRIPTION else None,
            meeting_id=meeting_id, charged_to=CHARGED_TO[payer], price=price, rate=rate,
        )
        steps.append((INSERT_USAGE, [values]))
        mj_micro = cost.mj_micro
    rows = [] if question is None else [("user", question, 0)]
    rows.append(("assistant", answer, usage.completion_tokens))
    steps.append((_INSERT_HISTORY, [
        (tracker_id, user_id, meeting_id, role, body, tokens, test, created) for role, body, tokens in rows
    ]))  # fmt: skip
    if meeting_id is not None:
        steps.append((_METER_MEETING, [(mj_micro, created, meeting_id)]))
    if missing is None and payer is Payer.SUBSCRIPTION:
        # The author's dashboard counts a subscriber's answer with it: in the same one job, in the
        # zone its totals were cut in as read with the answer's state; with no totals then, in a
        # transaction that looks again (the author may have opened the dashboard meanwhile).
        if dashboard_zone is not None:
            steps += dashboard_rollup.usage_steps(conn, tracker_id, user_id, now, cost.cost_ukop, dashboard_zone)
        else:
            async with in_transaction() as tx:
                await write_together(tx, steps)
                await dashboard_rollup.usage_metered(tx, tracker_id, user_id, now, cost.cost_ukop)
            return mj_micro, missing
    await write_together(conn, steps)
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
    conn = default_connection()
    await write_together(conn, [(_INSERT_HISTORY, [(tracker_id, user_id, meeting_id, role, text, tokens, test,
                                                    ts(conn, datetime.now(UTC)))])])
