"""Attribution: who invited whom on a tracker (DESIGN.md, "Attribution").

- The first live invite link of *this* tracker that a person opens names their inviter (`l1`)
  and the link (`invite_link`). Another link later changes nothing; neither does anything after
  the first payment (`lock_inviter`, `locked_at`).
- Nobody invites themselves, and the tracker's author has no inviter on their own tracker.
- The inviter must have been a member of the tracker before the invitee arrived. "Before" is the
  membership's primary key (a strict total order, unlike timestamps), and the author counts as
  the first member. A chain therefore only ever points to older members: no cycles.
- `l2`..`l6` are copied from the inviter's row (its `l1`..`l5`: level k+1 is the inviter's level
  k), so settlement and the cabinet never recurse. The whole chain to the deepest schedule the
  platform allows (billing.split.MAX_LEVELS) is kept whatever the schedule now in force: a
  membership is who invited whom; how many of them a period pays is the period's business.
  They are copied again from the inviter's current row at the lock, because the inviter's own
  chain may have been fixed in between; after the lock nothing changes.

Every write is a single conditional statement or an insert that ignores a duplicate, so two
`/start`s at once (or a `/start` racing the payment) cannot both win.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields import CharField
from tortoise.transactions import in_transaction

from models import InviteLink, Membership, Payment, Subscription, Tracker, User
from models import sql as db
from models.enums import SubscriptionStatus
from notify import events as notify_events
from referral.errors import TRACKER_NOT_FOUND, ReferralError

# Telegram's /start payload is 1-64 characters of A-Z, a-z, 0-9, _ and -; an invite code is at
# most as long as its column (a longer value cannot be a code, and tortoise refuses to look it up).
CODE_MAX = cast("CharField", InviteLink._meta.fields_map["code"]).max_length
PAYLOAD_RE = re.compile(rf"[A-Za-z0-9_-]{{1,{CODE_MAX}}}")


# The chain's columns on a membership, level 1 first (billing.split.MAX_LEVELS of them).
LEVEL_COLUMNS = ("l1_id", "l2_id", "l3_id", "l4_id", "l5_id", "l6_id")


@dataclass(frozen=True, slots=True)
class Chain:
    """A member's inviters: l1 invited them, l2 invited l1, l3 invited l2, and so on."""

    l1: int | None
    l2: int | None
    l3: int | None
    l4: int | None = None
    l5: int | None = None
    l6: int | None = None

    @property
    def levels(self) -> tuple[int | None, ...]:
        """Level 1 first, all six."""
        return (self.l1, self.l2, self.l3, self.l4, self.l5, self.l6)


def _above(inviter_id: int, inviter_row: dict | None) -> dict[str, int | None]:
    """The columns l1..l6 of someone invited by `inviter_id`, whose own row is `inviter_row`."""
    shifted = [inviter_row[c] for c in LEVEL_COLUMNS[:-1]] if inviter_row else [None] * (len(LEVEL_COLUMNS) - 1)
    return dict(zip(LEVEL_COLUMNS, (inviter_id, *shifted), strict=True))


@dataclass(frozen=True, slots=True)
class StartResult:
    membership_id: int
    new_member: bool            # this /start created the membership
    link_id: int | None         # the live link of this tracker the payload named, if any
    link_owner_id: int | None
    click_counted: bool         # the first time this user opened this link (the owner's own opens never count)
    inviter_id: int | None      # the member's inviter (l1) after this /start
    attributed: bool            # this /start set the inviter
    became_partner: bool        # a "become my partner" link named them a partner just now


@dataclass(frozen=True, slots=True)
class _Joined:
    id: int
    new: bool
    l1_id: int | None
    locked_at: object | None


async def _join(conn: BaseDBAsyncClient, tracker_id: int, user_id: int) -> _Joined:
    """The person's membership of the tracker, created if missing. A newcomer's takes one
    statement (tortoise's get_or_create takes a read, a transaction and an insert); the key
    (tracker, user) makes two /starts at once create one row, and the loser reads it."""
    created = await db.returning(
        conn,
        "INSERT INTO memberships (tracker_id, user_id, is_partner, messages_used, created_at) "
        "VALUES (?, ?, ?, 0, ?) ON CONFLICT (tracker_id, user_id) DO NOTHING RETURNING id",
        [tracker_id, user_id, False, db.ts(conn, datetime.now(UTC))],
    )
    if created:
        return _Joined(int(created[0]["id"]), True, None, None)
    (row,) = await db.rows(
        conn, "SELECT id, l1_id, locked_at FROM memberships WHERE tracker_id = ? AND user_id = ?", [tracker_id, user_id]
    )
    return _Joined(int(row[0]), False, row[1], row[2])


def parse_payload(payload: str | None) -> str | None:
    """The invite code in a /start payload, or None when it cannot be one."""
    if not payload:
        return None
    payload = payload.strip()
    return payload if PAYLOAD_RE.fullmatch(payload) else None


async def _author_id(tracker_id: int, conn: BaseDBAsyncClient) -> int:
    found = await Tracker.filter(id=tracker_id).using_db(conn).values_list("author_id", flat=True)
    if not found:
        raise ReferralError(TRACKER_NOT_FOUND, f"tracker {tracker_id} does not exist")
    return int(cast("list[int]", found)[0])


async def _count_click(conn: BaseDBAsyncClient, link_id: int, user_id: int) -> bool:
    # ON CONFLICT ... RETURNING: one statement, race-safe, and it tells whether this was the first.
    result = await db.returning(
        conn,
        "INSERT INTO invite_clicks (link_id, user_id, created_at) VALUES (?, ?, ?) "
        "ON CONFLICT (link_id, user_id) DO NOTHING RETURNING id",
        [link_id, user_id, db.ts(conn, datetime.now(UTC))],
    )
    return bool(result)


async def record_start(
    tracker_id: int, user_id: int, payload: str | None, *, using_db: BaseDBAsyncClient | None = None,
    author_id: int | None = None, user_saved: bool = False,
) -> StartResult:
    """Call on every /start of a tracker bot. A malformed, unknown or archived code, or a code of
    another tracker, is an ordinary /start without an inviter, never an exception.

    The bot's handler passes what it already holds, two reads fewer per /start: the tracker's
    `author_id` (from the per-bot cache) and `user_saved` (its middleware upserted the person)."""
    conn = db.conn_or_default(using_db)
    if author_id is None:
        author_id = await _author_id(tracker_id, conn)
    link: InviteLink | None = None
    code = parse_payload(payload)
    if code is not None:
        link = await InviteLink.filter(code=code, tracker_id=tracker_id, archived=False).using_db(conn).first()

    if not user_saved:
        await User.get_or_create(id=user_id, using_db=conn)
    member = await _join(conn, tracker_id, user_id)
    new_member = member.new
    if link is None:
        return StartResult(member.id, new_member, None, None, False, member.l1_id, False, False)

    own_link = link.owner_id == user_id
    click_counted = False
    if not own_link:
        # The click and its event for the link owner's channels commit together.
        async with in_transaction() as tx:
            click_counted = await _count_click(tx, link.id, user_id)
            if click_counted:
                await notify_events.start_via_link(tx, tracker_id, link.id, link.owner_id, user_id)

    attributed = False
    inviter_id = member.l1_id
    if not own_link and user_id != author_id and member.l1_id is None and member.locked_at is None:
        chain = await _chain_for(conn, tracker_id, link.owner_id, author_id, before=member.id)
        if chain is not None:
            # The WHERE repeats the checks, so of two racing /starts only the first link wins.
            attributed = bool(
                await Membership.filter(id=member.id, l1_id__isnull=True, locked_at__isnull=True)
                .using_db(conn)
                .update(**chain, invite_link_id=link.id)
            )
        if attributed:
            inviter_id = link.owner_id
        else:
            inviter_id = cast(
                "int | None",
                await Membership.filter(id=member.id).using_db(conn).first().values_list("l1_id", flat=True),
            )

    became_partner = False
    # Whether its owner may still recruit is read now: an author who switched partners' "become my
    # partner" links off stops the ones already handed out (they still invite like any link).
    if (
        link.makes_partner
        and user_id != author_id
        and await may_recruit(tracker_id, link.owner_id, using_db=conn)
    ):
        became_partner = bool(
            await Membership.filter(id=member.id, is_partner=False).using_db(conn).update(is_partner=True)
        )
    return StartResult(
        member.id, new_member, link.id, link.owner_id, click_counted, inviter_id, attributed, became_partner
    )


async def _chain_for(
    conn: BaseDBAsyncClient, tracker_id: int, inviter_id: int, author_id: int, *, before: int
) -> dict[str, int | None] | None:
    """The columns l1..l6 for someone invited by `inviter_id`, or None if the inviter may not be
    their inviter (not a member of this tracker before membership `before`)."""
    if inviter_id == author_id:
        # The author is the tracker's first member even before having a row, and has no inviter.
        return _above(inviter_id, None)
    row = (
        await Membership.filter(tracker_id=tracker_id, user_id=inviter_id)
        .using_db(conn)
        .values("id", *LEVEL_COLUMNS)
    )
    if not row or row[0]["id"] >= before:
        return None
    return _above(inviter_id, row[0])


async def lock_inviter(
    tracker_id: int,
    user_id: int,
    *,
    using_db: BaseDBAsyncClient | None = None,
    at: datetime | None = None,
) -> Membership:
    """Fix the member's chain for good: call at the first payment, inside the payment's
    transaction (`using_db`). Makes the membership if there is none yet (a payer who never sent
    /start has no inviter). Idempotent: a locked membership is returned unchanged."""
    conn = db.conn_or_default(using_db)
    await User.get_or_create(id=user_id, using_db=conn)
    member, _ = await Membership.get_or_create(tracker_id=tracker_id, user_id=user_id, using_db=conn)
    return await _lock(conn, member, at)


async def locked_chain(
    tracker_id: int,
    user_id: int,
    *,
    using_db: BaseDBAsyncClient | None = None,
    at: datetime | None = None,
) -> Chain:
    """The member's chain, locked now if it was not yet: what every accounting period of a
    purchase carries. Someone without a membership row has no inviters (none is made here)."""
    conn = db.conn_or_default(using_db)
    member = await Membership.get_or_none(tracker_id=tracker_id, user_id=user_id, using_db=conn)
    if member is None:
        return Chain(None, None, None)
    member = await _lock(conn, member, at)
    return Chain(*(getattr(member, column) for column in LEVEL_COLUMNS))


async def _lock(conn: BaseDBAsyncClient, member: Membership, at: datetime | None) -> Membership:
    """Re-derives l2..l6 from the inviter's current row and sets `locked_at`, unless already locked."""
    while member.locked_at is None:
        deeper: dict[str, int | None] = dict.fromkeys(LEVEL_COLUMNS[1:])
        if member.l1_id is not None:
            inviter = (
                await Membership.filter(tracker_id=member.tracker_id, user_id=member.l1_id)
                .using_db(conn)
                .values(*LEVEL_COLUMNS)
            )
            deeper = {k: v for k, v in _above(member.l1_id, inviter[0] if inviter else None).items() if k != "l1_id"}
        # Re-reads l1 in the WHERE: if a /start set it in between, the loop locks that one.
        await Membership.filter(id=member.id, locked_at__isnull=True, l1_id=member.l1_id).using_db(conn).update(
            locked_at=at or datetime.now(UTC), **deeper
        )
        await member.refresh_from_db(using_db=conn)
    return member


def invites_allowed(*, is_author: bool, is_partner: bool, paid: bool, subscribed: bool) -> bool:
    """`can_invite`'s rule, for callers that read the facts in their own statement
    (billing.access.client_facts)."""
    return is_author or is_partner or paid or subscribed


async def can_invite(tracker_id: int, user_id: int, *, using_db: BaseDBAsyncClient | None = None) -> bool:
    """May this user own invite links on this tracker? Its author, a member the author named a
    partner, or someone who has paid here (a payment not refunded, or a subscription that was not
    refunded)."""
    conn = db.conn_or_default(using_db)
    if user_id == await _author_id(tracker_id, conn):
        return True
    if await Membership.filter(tracker_id=tracker_id, user_id=user_id, is_partner=True).using_db(conn).exists():
        return True
    if await Payment.filter(tracker_id=tracker_id, user_id=user_id, refunded=False).using_db(conn).exists():
        return True
    return await Subscription.filter(
        tracker_id=tracker_id, user_id=user_id, status=SubscriptionStatus.ACTIVE
    ).using_db(conn).exists()


async def may_recruit(tracker_id: int, user_id: int, *, using_db: BaseDBAsyncClient | None = None) -> bool:
    """May this user hand out "become my partner" links here? The author always; anyone else who
    may invite, unless the author switched that off for this tracker (`Tracker.partners_recruit`).
    The recruit's chain is the ordinary one: the link's owner is their inviter."""
    conn = db.conn_or_default(using_db)
    found = await Tracker.filter(id=tracker_id).using_db(conn).values("author_id", "partners_recruit")
    if not found:
        raise ReferralError(TRACKER_NOT_FOUND, f"tracker {tracker_id} does not exist")
    if user_id == found[0]["author_id"]:
        return True
    return bool(found[0]["partners_recruit"]) and await can_invite(tracker_id, user_id, using_db=conn)
