"""The cabinet's views that put money next to referral's funnels: each link's earnings, and the
author's partners with what each of them earned on the tracker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace

from tortoise.backends.base.client import BaseDBAsyncClient

from billing.partner import totals
from billing.partner.earnings import LevelAmounts, by_role
from models import sql as db
from referral import stats
from referral.stats import LinkStats, Partner


@dataclass(frozen=True, slots=True)
class PartnerSummary(Partner):
    """A partner as referral lists them, with their money on the tracker."""

    earnings: LevelAmounts  # their accruals on this tracker
    links: list[LinkStats] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PartnersPage:
    total: int
    partners: list[PartnerSummary]


async def _with_earnings(
    conn: BaseDBAsyncClient,
    links: Sequence[LinkStats],
    tz: str | None,
    earned_by_owner: dict[int, totals.Earned] | None = None,
    window: stats.Window | None = None,
) -> list[LinkStats]:
    """The funnels with each link's earnings, from the owners' running totals (given, or read
    here), all of them or those of the window's months."""
    if earned_by_owner is None:
        earned_by_owner = {}
        for tracker_id in {link.tracker_id for link in links}:
            owners = {link.owner_id for link in links if link.tracker_id == tracker_id}
            earned_by_owner.update(await totals.earned_many(owners, tracker_id, tz=tz, using_db=conn))
    # A link's earnings are its owner's money from the people it brought; an ancestor's L2/L3
    # share from the same people belongs to the ancestor, not to this link.
    owner_of = {link.link_id: link.owner_id for link in links}
    earned: dict[int, int] = {}
    for owner_id, sums in earned_by_owner.items():
        for (link_id, _, month), amount in sums.items():
            if window is not None and not window.first_month <= month <= window.last_month:
                continue
            if link_id and owner_of.get(link_id) == owner_id:
                earned[link_id] = earned.get(link_id, 0) + amount
    return [replace(link, earned_kopecks=earned.get(link.link_id, 0)) for link in links]


async def link_stats(
    partner_id: int, link_id: int, *, tz: str | None = None, using_db: BaseDBAsyncClient | None = None
) -> LinkStats | None:
    """One link's funnel and earnings, or None if there is no such link or it is not `partner_id`'s."""
    conn = db.conn_or_default(using_db)
    link = await stats.link_funnel(partner_id, link_id, using_db=conn)
    return (await _with_earnings(conn, [link], tz))[0] if link else None


async def links_stats(
    tracker_id: int,
    user_id: int,
    *,
    include_archived: bool = False,
    window: stats.Window | None = None,
    tz: str | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> list[LinkStats]:
    """The funnel and earnings of each of the user's links on a tracker, newest first, over all
    time or inside `window` (referral.stats.window_for; its months must be cut in `tz`)."""
    conn = db.conn_or_default(using_db)
    links = await stats.links_funnel(tracker_id, user_id, include_archived=include_archived, window=window,
                                     using_db=conn)
    return await _with_earnings(conn, links, tz, window=window)


async def tracker_partners(
    tracker_id: int,
    author_id: int,
    *,
    limit: int = 20,
    offset: int = 0,
    tz: str | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> PartnersPage:
    """The tracker's partners (`referral.stats.partners`) with their links' funnels and their
    earnings per level on this tracker. Only for the tracker's author (`referral-not-author`)."""
    conn = db.conn_or_default(using_db)
    found = await stats.partners(tracker_id, author_id, limit=limit, offset=offset, using_db=conn)
    if not found.partners:
        return PartnersPage(found.total, [])
    ids = [p.user_id for p in found.partners]
    earned = await totals.earned_many(ids, tracker_id, tz=tz, using_db=conn)
    links = await _with_earnings(conn, await stats.owners_links_funnel(tracker_id, ids, conn), tz, earned)
    by_owner: dict[int, list[LinkStats]] = {}
    for link in links:
        by_owner.setdefault(link.owner_id, []).append(link)
    return PartnersPage(
        found.total,
        [
            PartnerSummary(
                **{f.name: getattr(p, f.name) for f in fields(Partner)},
                earnings=by_role(earned[p.user_id]),
                links=by_owner.get(p.user_id, []),
            )
            for p in found.partners
        ],
    )
