"""The referral domain: invite links, attribution, the three-level chain and partner statistics.

Plain async functions over the tortoise models; no aiogram. The tracker bot's /start handler, the
payment flow and the partner cabinet's dialogs call these and render the results.

Conventions: ids are plain ints (Telegram user ids, tracker row ids); money is integer kopecks;
every function that reads or writes takes an optional keyword `using_db` (a tortoise connection,
e.g. a transaction); refusals raise `ReferralError` whose `.code` is a locale key (listed in
`referral.errors`).
Statistics functions take the asking user's id and only ever return that user's own money.
"Paying" means has paid on this tracker (the first payment locks the chain: `locked_at`).

Links (`referral.codes`)
    create_link(tracker_id, owner_id, label="", makes_partner=False) -> InviteLink
        the author, a payer on this tracker, or a named partner (else "referral-not-allowed");
        makes_partner=True ("become my partner"): the author, or anyone who may invite unless the
        author switched that off ("referral-partner-link-author-only"); labels <= 64 chars
        ("referral-label-too-long")
    rename_link(link_id, owner_id, label) -> InviteLink          "referral-link-not-found" if not theirs
    archive_link(link_id, owner_id, archived=True) -> InviteLink   archived links stop attributing
    list_links(tracker_id, owner_id, include_archived=False) -> list[InviteLink]   newest first
    get_link(link_id, owner_id) -> InviteLink | None             None if missing or not theirs
    deep_link(bot_username, code) -> str                         https://t.me/<bot>?start=<code>
    author_link(tracker_id, label="") -> InviteLink              the author's link to share (made if missing)
    share_link(url, text) -> str                                 https://t.me/share/url?url=...&text=...
    personal_link(tracker_id, owner_id) -> InviteLink            a new subscriber's link for the nudge

Attribution (`referral.attribution`)
    record_start(tracker_id, user_id, payload) -> StartResult    on every /start; never raises on a
        bad payload; counts the click, creates the membership, sets the inviter if allowed
    lock_inviter(tracker_id, user_id, using_db=None, at=None) -> Membership
        at the first payment, inside its transaction: fixes l1..l6 for good
    locked_chain(tracker_id, user_id, using_db=None, at=None) -> Chain
        the chain a purchase's periods carry (locks it too; no membership: no inviters)
    can_invite(tracker_id, user_id) -> bool                      may own invite links here
    may_recruit(tracker_id, user_id) -> bool                     may own "become my partner" links here
    parse_payload(payload) -> str | None

Partner cabinet (`referral.stats`), all read-only; the money (earnings, forecast, balance, the
links' earnings, the author's partners with their earnings) is billing's: `billing.partner`
    links_funnel(tracker_id, user_id, include_archived=False, window=None) -> list[LinkStats]
        per link: clicks -> starts -> paying -> revenue_kopecks; [] = empty state; inside a window:
        opened, joined, first paid, paid in it
    window_for(period, tz, now=None) -> Window | None             "month", "last_month"; None: all time
    link_funnel(partner_id, link_id) -> LinkStats | None          None for someone else's link
    network(tracker_id, user_id, depth=3, names_limit=50) -> Network  people / paying per level, L1 names
    partners(tracker_id, author_id, limit=20, offset=0) -> PartnerList
        partners with the people and subscribers they brought ("referral-not-author" for anyone
        but the tracker's author)
    refund_rate_by_partner(tracker_id, min_refunds=3, min_rate=0.3, since=None) -> list[RefundAlert]
        partners whose level-1 referrals refund often (>= 3 refunds and >= 30% of their payments),
        for an alert job; not the author's own referrals
"""

from referral.attribution import (
    Chain,
    StartResult,
    can_invite,
    lock_inviter,
    locked_chain,
    may_recruit,
    parse_payload,
    record_start,
)
from referral.codes import (
    archive_link,
    author_link,
    create_link,
    deep_link,
    get_link,
    list_links,
    personal_link,
    rename_link,
    share_link,
)
from referral.errors import ReferralError
from referral.stats import (
    PERIODS,
    LinkStats,
    Network,
    NetworkLevel,
    Partner,
    PartnerList,
    RefundAlert,
    Window,
    link_funnel,
    links_funnel,
    network,
    partners,
    refund_rate_by_partner,
    window_for,
)

__all__ = [
    "PERIODS",
    "Chain",
    "LinkStats",
    "Network",
    "NetworkLevel",
    "Partner",
    "PartnerList",
    "ReferralError",
    "RefundAlert",
    "StartResult",
    "Window",
    "archive_link",
    "author_link",
    "can_invite",
    "create_link",
    "deep_link",
    "get_link",
    "link_funnel",
    "links_funnel",
    "list_links",
    "lock_inviter",
    "locked_chain",
    "may_recruit",
    "network",
    "parse_payload",
    "personal_link",
    "partners",
    "record_start",
    "refund_rate_by_partner",
    "rename_link",
    "share_link",
    "window_for",
]
