"""Alerts that must go out once: a unique key per alert in the database, with an optional cool-down.

`claim(key)` is True for exactly one caller, even with several at once or across a restart;
with `cooldown` the same key may be claimed again once that much time has passed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError

from models import AlertSent
from models.sql import utc


async def claim(key: str, *, cooldown: timedelta | None = None, now: datetime | None = None) -> bool:
    now = utc(now or datetime.now(UTC))
    try:
        await AlertSent.create(key=key, sent_at=now)
        return True
    except IntegrityError:
        if cooldown is None:
            return False
    # Seen before: claim it again only if the cool-down has passed (one UPDATE decides the race).
    return await AlertSent.filter(key=key, sent_at__lte=now - cooldown).update(sent_at=now) == 1
