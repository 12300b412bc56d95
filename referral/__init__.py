"""The referral domain: invite links, attribution, the three-level chain and partner statistics.

Plain async functions over the tortoise models; no aiogram. The tracker bot's /start handler, the
payment flow and the partner cabinet's dialogs call these and render the results.

Conventions: ids are plain ints (Telegram user ids, tracker row ids); money is integer kopecks;
every function that reads or writes takes an optional keyword `using_db` (a tortoise connection,
e.g. a transaction); refusals raise `ReferralError` whose `.code` is a locale key (listed in
`referral.errors`).
Statistics functions take the asking user's id and only ever return that user's own money.
"Paying" means has paid on this tracker (the first payment locks the chain: `locked_at`).
Earnings come from running totals of the ledger (`referral.rollup`), cut into months of a time
zone: pass the platform's `settings.timezone` as `tz=` to the monthly figures (default
Europe/Moscow); the others take `tz=None` and read the totals in whatever zone they are in.

Links (`referral.codes`)
    create_link(tracker_id, owner_id, label="", makes_partner=False) -> InviteLink
        the author, a payer on this tracker, or a named partner (else "referral-not-allowed");
        makes_partner=True ("become my partner") is the author's only
        ("referral-partner-link-author-only"); labels <= 64 chars ("referral-label-too-long")
    rename_link(link_id, owner_id, label) -> InviteLink          "referral-link-not-found" if not theirs
    archive_link(link_id, owner_id, archived=True) -> InviteLink   archived links stop attributing
    list_links(tracker_id, owner_id, include_archived=False) -> list[InviteLink]   newest first
    get_link(link_id, owner_id) -> InviteLink | None             None if missing or not theirs
    deep_link(bot_username, code) -> str                         https://t.me/<bot>?start=<code>

Attribution (`referral.attribution`)
    record_start(tracker_id, user_id, payload) -> StartResult    on every /start; never raises on a
        bad payload; counts the click, creates the membership, sets the inviter if allowed
    lock_inviter(tracker_id, user_id, using_db=None, at=None) -> Membership
        at the first payment, inside its transaction: fixes l1/l2/l3 for good
    can_invite(tracker_id, user_id) -> bool                      may own invite links here
    parse_payload(payload) -> str | None

Partner cabinet (`referral.stats`), all read-only
    links_stats(tracker_id, user_id, include_archived=False) -> list[LinkStats]
        per link: clicks -> starts -> paying -> revenue_kopecks -> earned_kopecks; [] = empty state
    link_stats(partner_id, link_id) -> LinkStats | None          None for someone else's link
    earnings(tracker_id | None, user_id, schedule=None) -> Earnings   .settled / .forecast: LevelAmounts
    settled_by_level(tracker_id | None, user_id) -> LevelAmounts   author, l1, l2, l3, .total
    forecast_by_level(tracker_id | None, user_id, schedule=None) -> LevelAmounts
    monthly_earnings_by_level(tracker_id | None, user_id, months=12, now=None, tz=...)
        -> list[MonthEarnings]                                    oldest first, zero months included
    network(tracker_id, user_id, names_limit=50) -> Network       people / paying per level, L1 first names
    balance(user_id) -> billing.ledger.Balance                    accrued, reserved, paid, available, ...
        (delegates to billing.ledger.balance; zeros, and no account created, for a newcomer)

Author's side (`referral.stats`)
    tracker_partners(tracker_id, author_id, limit=20, offset=0) -> PartnersPage
        partners with their links' funnels, people and subscribers brought, earnings per level
        ("referral-not-author" for anyone but the tracker's author). The author's own numbers:
        earnings(tracker_id, author_id) and links_stats(tracker_id, author_id).
    refund_rate_by_partner(tracker_id, min_refunds=3, min_rate=0.3, since=None) -> list[RefundAlert]
        partners whose level-1 referrals refund often (>= 3 refunds and >= 30% of their payments),
        for an alert job; not the author's own referrals

Running totals (`referral.rollup`)
    refresh_earnings(user_ids, tz=None) -> dict[user_id, (account_id, cursor, zone)]
        folds new ledger accruals; reads do it themselves, the scheduler may call it after a
        settlement for its beneficiaries so that no cabinet view waits for a big fold
"""

from referral.attribution import StartResult, can_invite, lock_inviter, parse_payload, record_start
from referral.codes import archive_link, create_link, deep_link, get_link, list_links, rename_link
from referral.errors import ReferralError
from referral.rollup import refresh_many as refresh_earnings
from referral.stats import (
    Earnings,
    LevelAmounts,
    LinkStats,
    MonthEarnings,
    Network,
    NetworkLevel,
    PartnersPage,
    PartnerSummary,
    RefundAlert,
    balance,
    earnings,
    forecast_by_level,
    link_stats,
    links_stats,
    monthly_earnings_by_level,
    network,
    refund_rate_by_partner,
    settled_by_level,
    tracker_partners,
)

__all__ = [
    "Earnings",
    "LevelAmounts",
    "LinkStats",
    "MonthEarnings",
    "Network",
    "NetworkLevel",
    "PartnerSummary",
    "PartnersPage",
    "ReferralError",
    "RefundAlert",
    "StartResult",
    "archive_link",
    "balance",
    "can_invite",
    "create_link",
    "deep_link",
    "earnings",
    "forecast_by_level",
    "get_link",
    "link_stats",
    "links_stats",
    "list_links",
    "lock_inviter",
    "monthly_earnings_by_level",
    "network",
    "parse_payload",
    "record_start",
    "refresh_earnings",
    "refund_rate_by_partner",
    "rename_link",
    "settled_by_level",
    "tracker_partners",
]
