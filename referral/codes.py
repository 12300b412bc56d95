"""Invite links: unguessable codes, and a partner's own links (create, rename, archive, list).

A code is `secrets.token_urlsafe(12)`: 16 characters of A-Z a-z 0-9 _ - (96 random bits), which
is what Telegram allows in a /start payload, so `https://t.me/<bot>?start=<code>` works as is.
Links are never deleted: an archived link stops attributing but keeps its history.

Every function that touches an existing link takes the owner's id and treats someone else's link
exactly like a missing one (`referral-link-not-found`), so a tampered callback learns nothing.
"""

from __future__ import annotations

import secrets
import urllib.parse

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from models import InviteLink
from models import sql as db
from referral.attribution import _author_id, can_invite, may_recruit
from referral.errors import (
    AUTHOR_ONLY,
    LABEL_TOO_LONG,
    LINK_NOT_FOUND,
    NOT_ALLOWED,
    TOO_MANY_LINKS,
    ReferralError,
)

CODE_BYTES = 12
LABEL_MAX = 64  # InviteLink.label
MAX_ACTIVE_LINKS = 100  # per partner per tracker: enough for every channel, a ceiling for scripts


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def share_link(url: str, text: str) -> str:
    """Telegram's one-tap share: opens the chat picker with `url` and `text` ready to send."""
    return "https://t.me/share/url?" + urllib.parse.urlencode({"url": url, "text": text}, quote_via=urllib.parse.quote)


def clean_label(label: str | None) -> str:
    """Whitespace collapsed, control characters dropped; too long is an error, not a silent cut."""
    text = " ".join("".join(ch for ch in (label or "") if ch.isprintable() or ch.isspace()).split())
    if len(text) > LABEL_MAX:
        raise ReferralError(LABEL_TOO_LONG)
    return text


async def create_link(
    tracker_id: int,
    owner_id: int,
    label: str = "",
    makes_partner: bool = False,
    *,
    using_db: BaseDBAsyncClient | None = None,
) -> InviteLink:
    """A new link of `owner_id` on this tracker. Raises ReferralError: `referral-not-allowed`
    (neither the author, nor a payer, nor a named partner), `referral-partner-link-author-only`
    (a "become my partner" link while the author keeps those to themselves),
    `referral-label-too-long`, `referral-too-many-links`, `referral-tracker-not-found`."""
    conn = db.conn_or_default(using_db)
    label = clean_label(label)
    if not await can_invite(tracker_id, owner_id, using_db=conn):
        raise ReferralError(NOT_ALLOWED)
    if makes_partner and not await may_recruit(tracker_id, owner_id, using_db=conn):
        raise ReferralError(AUTHOR_ONLY)
    active = await InviteLink.filter(tracker_id=tracker_id, owner_id=owner_id, archived=False).using_db(conn).count()
    if active >= MAX_ACTIVE_LINKS:
        raise ReferralError(TOO_MANY_LINKS)
    for _ in range(3):  # a collision of 96 random bits will not happen, but costs nothing to handle
        try:
            return await InviteLink.create(
                tracker_id=tracker_id, owner_id=owner_id, code=new_code(), label=label,
                makes_partner=makes_partner, using_db=conn,
            )  # fmt: skip
        except IntegrityError:
            continue
    raise RuntimeError("could not draw a unique invite code")


async def author_link(tracker_id: int, label: str = "", *, using_db: BaseDBAsyncClient | None = None) -> InviteLink:
    """The link the author hands out: their oldest live client link on this tracker, made now (with
    `label`) if they have none. A client who starts through it has the author as inviter, so the
    author earns the first level on top of the author's share; the plain bot link gives it away."""
    conn = db.conn_or_default(using_db)
    author_id = await _author_id(tracker_id, conn)
    link = await (
        InviteLink.filter(tracker_id=tracker_id, owner_id=author_id, archived=False, makes_partner=False)
        .using_db(conn).order_by("id").first()
    )
    return link if link is not None else await create_link(tracker_id, author_id, label, using_db=conn)


async def personal_link(tracker_id: int, owner_id: int, *, using_db: BaseDBAsyncClient | None = None) -> InviteLink:
    """The link to hand a new subscriber with "you can now earn": their newest live client link,
    or a new unlabelled one. The caller has just recorded their payment (so they may invite)."""
    conn = db.conn_or_default(using_db)
    link = await InviteLink.filter(
        tracker_id=tracker_id, owner_id=owner_id, archived=False, makes_partner=False
    ).using_db(conn).order_by("-id").first()
    return link if link is not None else await create_link(tracker_id, owner_id, using_db=conn)


async def get_link(link_id: int, owner_id: int, *, using_db: BaseDBAsyncClient | None = None) -> InviteLink | None:
    """The link if it exists and belongs to `owner_id`, else None."""
    conn = db.conn_or_default(using_db)
    return await InviteLink.filter(id=link_id, owner_id=owner_id).using_db(conn).first()


async def _own(link_id: int, owner_id: int, conn: BaseDBAsyncClient) -> InviteLink:
    link = await get_link(link_id, owner_id, using_db=conn)
    if link is None:
        raise ReferralError(LINK_NOT_FOUND)
    return link


async def rename_link(
    link_id: int, owner_id: int, label: str, *, using_db: BaseDBAsyncClient | None = None
) -> InviteLink:
    conn = db.conn_or_default(using_db)
    label = clean_label(label)
    link = await _own(link_id, owner_id, conn)
    link.label = label
    await link.save(update_fields=["label"], using_db=conn)
    return link


async def archive_link(
    link_id: int, owner_id: int, archived: bool = True, *, using_db: BaseDBAsyncClient | None = None
) -> InviteLink:
    """Archive (or, with `archived=False`, restore) a link. An archived link no longer attributes
    or counts clicks; its members and numbers stay."""
    conn = db.conn_or_default(using_db)
    link = await _own(link_id, owner_id, conn)
    if link.archived != archived:
        if not archived:
            active = await InviteLink.filter(
                tracker_id=link.tracker_id, owner_id=owner_id, archived=False
            ).using_db(conn).count()
            if active >= MAX_ACTIVE_LINKS:
                raise ReferralError(TOO_MANY_LINKS)
        link.archived = archived
        await link.save(update_fields=["archived"], using_db=conn)
    return link


async def list_links(
    tracker_id: int, owner_id: int, *, include_archived: bool = False, using_db: BaseDBAsyncClient | None = None
) -> list[InviteLink]:
    """A partner's links on a tracker, newest first."""
    conn = db.conn_or_default(using_db)
    query = InviteLink.filter(tracker_id=tracker_id, owner_id=owner_id)
    if not include_archived:
        query = query.filter(archived=False)
    return await query.order_by("-id").using_db(conn)
