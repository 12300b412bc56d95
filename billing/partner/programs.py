"""Every partner program a person takes part in, for the platform bot's overview: each tracker
they promote with their money on it. The same figures as each tracker's cabinet (the running
totals and the forecast of `billing.partner.earnings`); the balance is not per tracker and is
read once beside them (`billing.partner.balance`)."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

import referral
from billing.partner import totals
from billing.partner.earnings import LevelAmounts, forecast_by_level
from billing.split import ScheduleLike
from models import sql as db


@dataclass(frozen=True, slots=True)
class Program:
    tracker_id: int
    name: str
    username: str  # the tracker bot's, for the link to its cabinet
    status: str
    is_author: bool
    links: int  # the person's links there that still invite (archived ones are not counted)
    settled: LevelAmounts
    forecast: LevelAmounts


_LINKS = "SELECT tracker_id, SUM(CASE WHEN archived THEN 0 ELSE 1 END) FROM invite_links WHERE owner_id = ? " \
         "GROUP BY tracker_id"


async def programs(
    user_id: int, *, schedule: ScheduleLike = None, tz: str | None = None, using_db: BaseDBAsyncClient | None = None
) -> list[Program]:
    """The trackers where the user may invite (a partner, a payer: `referral.can_invite`), owns
    invite links, or has earned: biggest earnings first. Their own trackers count as soon as they
    have a link there or earned there."""
    conn = db.conn_or_default(using_db)
    earned = await totals.earned_by_tracker(user_id, tz=tz, using_db=conn)
    links = {int(t): int(n or 0) for t, n in await db.rows(conn, _LINKS, [user_id])}
    wanted = set(earned) | set(links)
    for (tracker_id,) in await db.rows(conn, "SELECT tracker_id FROM memberships WHERE user_id = ?", [user_id]):
        if int(tracker_id) not in wanted and await referral.can_invite(int(tracker_id), user_id, using_db=conn):
            wanted.add(int(tracker_id))
    if not wanted:
        return []
    ids = sorted(wanted)
    found = await db.rows(
        conn, f"SELECT id, name, username, status, author_id FROM trackers WHERE id IN ({db.marks(len(ids))})", ids
    )
    out = [
        Program(
            tracker_id=int(tid), name=str(name), username=str(username), status=str(status),
            is_author=int(author_id) == user_id, links=links.get(int(tid), 0),
            settled=LevelAmounts.from_roles(earned.get(int(tid), {})),
            forecast=await forecast_by_level(int(tid), user_id, schedule=schedule, using_db=conn),
        )
        for tid, name, username, status, author_id in found
    ]  # fmt: skip
    return sorted(out, key=lambda p: (-p.settled.total, -p.forecast.total, p.name.lower(), p.tracker_id))
