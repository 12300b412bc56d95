"""When a weekly scenario's next meeting falls: weekdays and a wall-clock time in the client's time
zone. Pure: no database, no clock."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_time(value: str) -> time:
    """"HH:MM" or "HH:MM:SS"."""
    parts = [int(p) for p in value.strip().split(":")]
    if not 1 <= len(parts) <= 3:
        raise ValueError(f"not a time of day: {value!r}")
    hour, minute, second = (parts + [0, 0])[:3]
    return time(hour, minute, second)


def next_occurrence(weekdays: Iterable[int], time_of_day: str, tz: str, after: datetime) -> datetime | None:
    """The first moment strictly after `after` that falls on one of `weekdays` (0 = Monday) at
    `time_of_day` in `tz`, in UTC; None without weekdays."""
    days = set(weekdays)
    if not days:
        return None
    zone = ZoneInfo(tz)
    at = parse_time(time_of_day)
    local = after.astimezone(zone)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        if day.weekday() not in days:
            continue
        candidate = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
        if candidate > after:
            return candidate
    return None


def parse_weekly(text: str) -> tuple[list[int], str] | None:
    """"mon,thu 19:00" (or "пн,чт 19:00") -> ([0, 3], "19:00"); None if it does not parse."""
    ru = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
    parts = text.lower().replace(",", " ").split()
    if len(parts) < 2:
        return None
    *names, hhmm = parts
    try:
        parse_time(hhmm)
    except ValueError:
        return None
    days = []
    for name in names:
        key = name[:3] if name[:3] in WEEKDAY_NAMES else name[:2]
        if key in WEEKDAY_NAMES:
            days.append(WEEKDAY_NAMES.index(key))
        elif key in ru:
            days.append(ru.index(key))
        else:
            return None
    hours, _, minutes = hhmm.partition(":")
    return sorted(set(days)), f"{int(hours):02d}:{int(minutes or 0):02d}"
