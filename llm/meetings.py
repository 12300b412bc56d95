"""Meetings: start and end them, and plan the ones the scheduler opens.

The plan lives in the database (`PlannedMeeting`): each row is one meeting to open at `due_at`.
The scheduler's jobs are rebuilt from the rows still `planned` at every start, so a meeting planned
before a restart opens after it (late by the downtime at most; one more than `LATE_AFTER` late is
skipped rather than sent out of place). Opening claims the row with one conditional UPDATE, so a
job that runs twice opens the meeting once.

Planning (`plan_due`) is idempotent: per subscriber with a paid subscription in force and per active
scenario of the tracker, a "once" scenario gets one row for all time (due when the subscription
starts), a weekly one gets its next occurrence in the client's time zone while nothing is planned.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError

from llm.schedule import next_occurrence
from models import (
    Meeting,
    MeetingEnd,
    PlannedMeeting,
    PlannedStatus,
    Scenario,
    ScenarioTrigger,
    Subscription,
    SubscriptionStatus,
    User,
)
from models.sql import utc

LATE_AFTER = timedelta(hours=6)


async def current_meeting(
    tracker_id: int, user_id: int, *, test: bool = False, now: datetime | None = None
) -> Meeting | None:
    """The open meeting, if any; one idle past its scenario's timeout is ended here."""
    now = utc(now or datetime.now(UTC))
    meeting = (
        await Meeting.filter(tracker_id=tracker_id, user_id=user_id, is_test=test, ended_at=None)
        .order_by("-id")
        .prefetch_related("scenario")
        .first()
    )
    if meeting is None:
        return None
    scenario = meeting.scenario
    if scenario is not None and timed_out(meeting.last_activity_at, scenario.timeout_minutes, now):
        await end_meeting(meeting.id, MeetingEnd.TIMEOUT, now)
        return None
    return meeting


def timed_out(last_activity_at: datetime, timeout_minutes: int, now: datetime) -> bool:
    """An open meeting idle for its scenario's timeout is over (0: no timeout)."""
    return bool(timeout_minutes) and last_activity_at + timedelta(minutes=timeout_minutes) <= now


async def start_meeting(
    tracker_id: int, user_id: int, scenario_id: int | None, *, test: bool = False, now: datetime | None = None
) -> Meeting:
    now = utc(now or datetime.now(UTC))
    await Meeting.filter(tracker_id=tracker_id, user_id=user_id, is_test=test, ended_at=None).update(
        ended_at=now, end_reason=MeetingEnd.REPLACED
    )
    meeting = await Meeting.create(
        tracker_id=tracker_id,
        user_id=user_id,
        scenario_id=scenario_id,
        is_test=test,
        started_at=now,
        last_activity_at=now,
    )
    await meeting.fetch_related("scenario")
    return meeting


async def end_meeting(meeting_id: int, reason: MeetingEnd, now: datetime | None = None) -> bool:
    now = utc(now or datetime.now(UTC))
    return await Meeting.filter(id=meeting_id, ended_at=None).update(ended_at=now, end_reason=reason) == 1


async def end_current(tracker_id: int, user_id: int, reason: MeetingEnd, *, test: bool = False) -> Meeting | None:
    meeting = await current_meeting(tracker_id, user_id, test=test)
    if meeting is None or not await end_meeting(meeting.id, reason):
        return None
    return await Meeting.get(id=meeting.id)


async def close_idle(now: datetime | None = None) -> int:
    """End every open meeting idle past its scenario's timeout."""
    now = utc(now or datetime.now(UTC))
    ended = 0
    for meeting in await Meeting.filter(ended_at=None, scenario__timeout_minutes__gt=0).prefetch_related("scenario"):
        scenario = meeting.scenario
        if scenario is not None and meeting.last_activity_at + timedelta(minutes=scenario.timeout_minutes) <= now:
            ended += await end_meeting(meeting.id, MeetingEnd.TIMEOUT, now)
    return ended


async def _plan(scenario: Scenario, user_id: int, due_at: datetime) -> PlannedMeeting | None:
    try:
        return await PlannedMeeting.create(
            tracker_id=scenario.tracker_id, user_id=user_id, scenario_id=scenario.id, due_at=due_at
        )
    except IntegrityError:  # planned already (two sweeps at once)
        return None


async def plan_due(default_tz: str, now: datetime | None = None) -> list[PlannedMeeting]:
    """Plan what is missing for every subscriber in force; returns the new rows."""
    now = utc(now or datetime.now(UTC))
    subs = await Subscription.filter(
        status=SubscriptionStatus.ACTIVE, starts_at__lte=now, ends_at__gt=now
    ).order_by("starts_at")
    if not subs:
        return []
    by_tracker: dict[int, list[Scenario]] = {}
    for scenario in await Scenario.filter(
        active=True,
        trigger__in=[ScenarioTrigger.ONCE, ScenarioTrigger.WEEKLY],
        tracker_id__in={s.tracker_id for s in subs},
    ):
        by_tracker.setdefault(scenario.tracker_id, []).append(scenario)
    if not by_tracker:
        return []
    users = {u.id: u for u in await User.filter(id__in={s.user_id for s in subs})}
    planned = {
        (p.scenario_id, p.user_id, p.status)
        for p in await PlannedMeeting.filter(scenario_id__in=[s.id for ss in by_tracker.values() for s in ss])
    }
    created: list[PlannedMeeting] = []
    seen: set[tuple[int, int]] = set()
    for sub in subs:
        if (sub.tracker_id, sub.user_id) in seen:
            continue
        seen.add((sub.tracker_id, sub.user_id))
        user = users.get(sub.user_id)
        tz = (user.timezone if user else None) or default_tz
        for scenario in by_tracker.get(sub.tracker_id, []):
            if scenario.trigger == ScenarioTrigger.ONCE:
                if any((scenario.id, sub.user_id, st) in planned for st in PlannedStatus):
                    continue
                due = sub.starts_at
            else:
                if (scenario.id, sub.user_id, PlannedStatus.PLANNED) in planned:
                    continue
                upcoming = next_occurrence(scenario.weekday_list, scenario.time_of_day, tz, now)
                if upcoming is None:
                    continue
                due = upcoming
            row = await _plan(scenario, sub.user_id, due)
            if row is not None:
                created.append(row)
    return created


async def claim(planned_id: int, now: datetime | None = None) -> PlannedMeeting | None:
    """Take a planned meeting for opening (once). None: already taken, gone, or too late (then
    it is marked skipped)."""
    now = utc(now or datetime.now(UTC))
    row = await PlannedMeeting.get_or_none(id=planned_id).prefetch_related("scenario")
    if row is None or row.status != PlannedStatus.PLANNED:
        return None
    too_late = now - row.due_at > LATE_AFTER or not row.scenario.active
    status = PlannedStatus.SKIPPED if too_late else PlannedStatus.OPENED
    if await PlannedMeeting.filter(id=planned_id, status=PlannedStatus.PLANNED).update(status=status) != 1:
        return None
    return None if too_late else row


async def pending() -> list[PlannedMeeting]:
    return await PlannedMeeting.filter(status=PlannedStatus.PLANNED).order_by("due_at")
