"""The AI tracker: scenarios, meetings, the conversation history and the alerts sent once.

A meeting's mJ (`mj_micro`, millionths of an mJ) is the sum of the usage records that carry its
id; it is kept on the row so the author's panel needs no aggregate.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import enum_column

if TYPE_CHECKING:
    from models.platform import Tracker, User


class ScenarioTrigger(StrEnum):
    ONCE = "once"              # once, when the client's subscription starts (e.g. "contracting")
    WEEKLY = "weekly"          # on the given weekdays at a time in the client's time zone
    ON_DEMAND = "on_demand"    # the client starts it with /meet


class MeetingEnd(StrEnum):
    COMMAND = "command"        # the client's /end (or the author's button in the test chat)
    MARKER = "marker"          # the model wrote the scenario's closing marker
    TIMEOUT = "timeout"        # nobody wrote for `timeout_minutes`
    REPLACED = "replaced"      # another meeting started


class PlannedStatus(StrEnum):
    PLANNED = "planned"
    OPENED = "opened"
    SKIPPED = "skipped"        # too late after downtime, no access, or the scenario was removed


class Scenario(Model):
    """An author's scenario: its prompt, when it runs and how a meeting of it ends."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    tracker: fields.ForeignKeyRelation[Tracker] = fields.ForeignKeyField("models.Tracker", related_name="scenarios")
    name = fields.CharField(max_length=64)
    prompt = fields.TextField(default="")
    opening = fields.TextField(default="")  # fixed first message; empty: the model writes it
    trigger = enum_column(ScenarioTrigger, max_length=16, default=ScenarioTrigger.ON_DEMAND)
    weekdays = fields.CharField(max_length=16, default="")  # "0,3": Monday and Thursday
    time_of_day = fields.CharField(max_length=8, default="10:00")  # HH:MM[:SS] in the client's zone
    end_marker = fields.CharField(max_length=32, default="")  # e.g. "[END]"; empty: none
    timeout_minutes = fields.IntField(default=0)  # 0: no timeout
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        tracker_id: int

    class Meta:
        table = "scenarios"

    @property
    def weekday_list(self) -> list[int]:
        return sorted({int(d) for d in self.weekdays.split(",") if d.strip().isdigit() and 0 <= int(d) <= 6})


class Meeting(Model):
    """One meeting of a client (or the author in the test chat) with a tracker."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    tracker: fields.ForeignKeyRelation[Tracker] = fields.ForeignKeyField("models.Tracker", related_name="meetings")
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="meetings")
    scenario: fields.ForeignKeyNullableRelation[Scenario] = fields.ForeignKeyField(
        "models.Scenario", related_name="meetings", null=True
    )
    is_test = fields.BooleanField(default=False)
    started_at = fields.DatetimeField()
    last_activity_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)
    end_reason = enum_column(MeetingEnd, max_length=16, null=True)
    mj_micro = fields.BigIntField(default=0)

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        tracker_id: int
        user_id: int
        scenario_id: int | None

    class Meta:
        table = "meetings"
        indexes = (("tracker_id", "user_id", "ended_at"), ("scenario_id", "ended_at"))


class PlannedMeeting(Model):
    """A meeting the scheduler will open. The table is the job store: jobs are rebuilt from it."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    tracker: fields.ForeignKeyRelation[Tracker] = fields.ForeignKeyField(
        "models.Tracker", related_name="planned_meetings"
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="planned_meetings")
    scenario: fields.ForeignKeyRelation[Scenario] = fields.ForeignKeyField("models.Scenario", related_name="planned")
    due_at = fields.DatetimeField()
    status = enum_column(PlannedStatus, max_length=16, default=PlannedStatus.PLANNED)
    meeting: fields.ForeignKeyNullableRelation[Meeting] = fields.ForeignKeyField(
        "models.Meeting", related_name="planned", null=True
    )

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        tracker_id: int
        user_id: int
        scenario_id: int
        meeting_id: int | None

    class Meta:
        table = "planned_meetings"
        unique_together = (("scenario", "user", "due_at"),)
        indexes = (("status", "due_at"),)


class ChatMessage(Model):
    """One turn of the conversation history (role user or assistant)."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    tracker: fields.ForeignKeyRelation[Tracker] = fields.ForeignKeyField("models.Tracker", related_name="chat_messages")
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="chat_messages")
    meeting: fields.ForeignKeyNullableRelation[Meeting] = fields.ForeignKeyField(
        "models.Meeting", related_name="messages", null=True
    )
    is_test = fields.BooleanField(default=False)  # the author's test chat: kept apart from real talk
    role = fields.CharField(max_length=16)
    text = fields.TextField()
    tokens = fields.IntField(default=0)
    created_at = fields.DatetimeField()

    if TYPE_CHECKING:  # the id columns tortoise adds for each relation above
        tracker_id: int
        user_id: int
        meeting_id: int | None

    class Meta:
        table = "chat_messages"
        indexes = (("tracker_id", "user_id", "is_test", "id"),)


class AlertSent(Model):
    """An alert sent once: budget thresholds per period, LLM configuration errors per cool-down."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=128, unique=True)
    sent_at = fields.DatetimeField()

    class Meta:
        table = "alerts_sent"
