"""What one answer needs to know before the call, read in one statement.

Every message asks the same questions: is a paid subscription in force (`billing.access`), how
much of its period's mJ budget is spent (`billing.budget`), how many free messages are used, and
which meeting is open with which scenario (`llm.meetings`). Asked one ORM query at a time they
cost more CPU than the whole streamed answer adds (building each query dominated), so they are
asked here at once, in raw SQL with the same conditions as those modules' own lookups
(tests/llm/test_state.py holds them to agreeing). The decisions stay with those modules:
`decide_access`, `budget_of`, `meetings.timed_out`.

Nothing is cached: a payment, a refund or a new period is seen by the very next message, and the
per-client queue of the conversation service (one answer at a time) is what makes each budget
check see every earlier answer's usage.

The recent history of real talk comes with it (`with_history`): the state row joined to each of
the last HISTORY_ROWS messages, so one round trip to the database thread serves both. The
author's test chat reads its history apart, after its meeting is known (a test meeting starts
from a clean slate).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from billing.access import Access, decide_access
from billing.budget import Budget, budget_of
from billing.plans import PriceTag, on_sale_subquery, read_price_tags
from billing.policy import DEFAULTS, CostPolicy
from billing.rates import CHARGED_TO_SUBSCRIPTION
from llm.meetings import timed_out
from models import MjRate, PeriodStatus, SubscriptionStatus, Tracker
from models.sql import default_connection, parse_ts, sql, ts, utc

HISTORY_ROWS = 60  # the newest messages read for the prompt (trimmed to its token budget later)

# One row whatever exists: each part is a LEFT JOIN on "the id of the row that counts", so an
# absent part is NULLs. The subselects are those of `access.active_subscription`,
# `budget.budget_for` and `meetings.current_meeting`. Two things keep the period's sums at one
# index range of this client's rows: `LIMIT 1` stops the planners from merging this statement into
# the join with the history (SQLite then ran both sums once per history row, up to 60 times), and
# `charged_to || ''` keeps SQLite off the (charged_to, created_at) index, which holds every
# client's usage of the month, for the (tracker, user, created_at) one.
_STATE = f"""
SELECT s.id AS sub_id,
       p.id AS period_id, p.starts_at AS period_starts, p.ends_at AS period_ends, p.revenue_kopecks AS revenue,
       COALESCE((SELECT SUM(u.mj_micro) FROM usage_records u
                 WHERE u.tracker_id = p.tracker_id AND u.user_id = p.user_id
                   AND u.created_at >= p.starts_at AND u.created_at < p.ends_at
                   AND u.charged_to || '' = '{CHARGED_TO_SUBSCRIPTION}'), 0) AS spent,
       COALESCE((SELECT SUM(u.cost_ukop) FROM usage_records u
                 WHERE u.tracker_id = p.tracker_id AND u.user_id = p.user_id
                   AND u.created_at >= p.starts_at AND u.created_at < p.ends_at
                   AND u.charged_to || '' = '{CHARGED_TO_SUBSCRIPTION}'), 0) AS spent_ukop,
       (SELECT ms.messages_used FROM memberships ms WHERE ms.tracker_id = ? AND ms.user_id = ?) AS messages_used,
       (SELECT ds.timezone FROM dashboard_states ds WHERE ds.tracker_id = ?) AS dashboard_zone,
       m.id AS meeting_id, m.last_activity_at, sc.prompt, sc.end_marker, sc.timeout_minutes,
       {{plans}} AS plans_on_sale
FROM (SELECT 1 AS one) AS one
LEFT JOIN subscriptions s ON s.id = (
    SELECT s1.id FROM subscriptions s1
    WHERE s1.tracker_id = ? AND s1.user_id = ? AND s1.status = '{SubscriptionStatus.ACTIVE.value}'
      AND s1.starts_at <= ? AND s1.ends_at > ?
    ORDER BY s1.starts_at LIMIT 1)
LEFT JOIN accounting_periods p ON p.id = (
    SELECT p1.id FROM accounting_periods p1
    WHERE p1.subscription_id = s.id AND p1.starts_at <= ? AND p1.ends_at > ?
      AND p1.status != '{PeriodStatus.CANCELLED.value}'
    ORDER BY p1.seq LIMIT 1)
LEFT JOIN meetings m ON m.id = (
    SELECT m1.id FROM meetings m1
    WHERE m1.tracker_id = ? AND m1.user_id = ? AND m1.is_test = ? AND m1.ended_at IS NULL
    ORDER BY m1.id DESC LIMIT 1)
LEFT JOIN scenarios sc ON sc.id = m.scenario_id
LIMIT 1
"""
# The same row once per history message (once with NULLs when there is none); in no set order.
_STATE_AND_HISTORY = f"""
SELECT st.*, h.id, h.role, h.text, h.tokens
FROM ({_STATE}) AS st
LEFT JOIN (SELECT c.id, c.role, c.text, c.tokens FROM chat_messages c
           WHERE c.tracker_id = ? AND c.user_id = ? AND c.is_test = ?
           ORDER BY c.id DESC LIMIT {HISTORY_ROWS}) AS h ON 1 = 1
"""


@dataclass(frozen=True, slots=True)
class OpenMeeting:
    id: int
    last_activity_at: datetime
    prompt: str  # the scenario's; empty for a meeting without one
    end_marker: str
    timeout_minutes: int

    def timed_out(self, now: datetime) -> bool:
        return timed_out(self.last_activity_at, self.timeout_minutes, now)


Period = tuple[int, "datetime | str", "datetime | str", int, int]


@dataclass(frozen=True, slots=True)
class AnswerState:
    access: Access
    meeting: OpenMeeting | None  # the newest open meeting, timed out or not
    history: list[tuple[str, str, int]] | None  # (role, text, tokens), oldest first; None: not read
    _period: Period | None  # (id, starts_at, ends_at, revenue_kopecks, spent) as read
    _spent_ukop: int = 0  # what the period's tokens cost so far (millionths of a kopeck)
    dashboard_zone: str | None = None  # the zone the author's dashboard totals are cut in, if built
    plans: list[PriceTag] = field(default_factory=list)  # on sale now, for the paywall

    def budget(self, tracker: Tracker, rate: MjRate | None, policy: CostPolicy = DEFAULTS) -> Budget | None:
        """As `billing.budget.budget_for` would give it for the subscription in force."""
        if self._period is None:
            return None
        return budget_of(tracker, *self._period, rate, policy, self._spent_ukop)


async def answer_state(
    tracker: Tracker, user_id: int, *, test: bool, now: datetime, with_history: bool = False,
    policy: CostPolicy = DEFAULTS,
) -> AnswerState:
    """`with_history`: also the last HISTORY_ROWS messages of this client's talk (real or test)."""
    conn = default_connection()
    at = ts(conn, utc(now))
    params = [
        tracker.id, user_id,
        tracker.id,
        tracker.id,
        tracker.id, user_id, at, at,
        at, at,
        tracker.id, user_id, test,
    ]  # fmt: skip
    if with_history:
        params += [tracker.id, user_id, test]
    _, found = await conn.execute_query(_statement(conn, with_history), params)
    rows = [tuple(row) for row in found]
    history: list[tuple[str, str, int]] | None = None
    if with_history:  # columns 15..18: the message's id, role, text and tokens
        history = [(r[16], r[17], r[18]) for r in sorted((r for r in rows if r[15] is not None), key=lambda r: r[15])]
    (sub_id, period_id, starts_at, ends_at, revenue, spent, spent_ukop, messages_used, dashboard_zone,
     meeting_id, last_activity_at, prompt, end_marker, timeout_minutes, plans) = rows[0][:15]  # fmt: skip
    access = decide_access(tracker, user_id, sub_id, messages_used or 0, policy=policy)
    meeting = None
    if meeting_id is not None:
        meeting = OpenMeeting(
            meeting_id, parse_ts(last_activity_at), prompt or "", end_marker or "", timeout_minutes or 0
        )
    period: Period | None = None
    if period_id is not None and access.subscription_id is not None:
        period = (period_id, starts_at, ends_at, revenue, int(spent))
    return AnswerState(access, meeting, history, period, int(spent_ukop or 0), dashboard_zone, read_price_tags(plans))


_STATEMENTS: dict[tuple[str, bool], str] = {}


def _statement(conn: BaseDBAsyncClient, with_history: bool) -> str:
    """The statement in the connection's dialect, built once per dialect."""
    key = (conn.capabilities.dialect, with_history)
    if key not in _STATEMENTS:
        text = (_STATE_AND_HISTORY if with_history else _STATE).format(plans=on_sale_subquery(conn))
        _STATEMENTS[key] = sql(conn, text)
    return _STATEMENTS[key]
