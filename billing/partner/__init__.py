"""The partner's money as the cabinet reads it: running totals of the ledger (`totals`), earnings
per role and month, the forecast of the open periods and the balance (`earnings`), and the views
that add this money to referral's funnels (`cabinet`).

    earnings(tracker_id | None, user_id, schedule=None) -> Earnings   .settled / .forecast: LevelAmounts
    settled_by_level(tracker_id | None, user_id) -> LevelAmounts   author, l1..l6, .total, .levels(depth)
    forecast_by_level(tracker_id | None, user_id, schedule=None) -> LevelAmounts
    monthly_earnings_by_level(tracker_id | None, user_id, months=12, now=None, tz=...)
        -> list[MonthEarnings]                                    oldest first, zero months included
    latest_accrual(user_id) -> int                                 the newest accrual's id (0: none): a cache key
    balance(user_id) -> billing.ledger.Balance                    accrued, reserved, paid, available, ...
        (zeros, and no account created, for a newcomer)
    links_stats(tracker_id, user_id, include_archived=False) -> list[LinkStats]
        per link: clicks -> starts -> paying -> revenue_kopecks -> earned_kopecks; [] = empty state
    link_stats(partner_id, link_id) -> LinkStats | None          None for someone else's link
    tracker_partners(tracker_id, author_id, limit=20, offset=0) -> PartnersPage
        partners with their links' funnels, people and subscribers brought, earnings per level
        ("referral-not-author" for anyone but the tracker's author)
    programs(user_id, schedule=None, tz=None) -> list[Program]
        every tracker the user promotes (may invite, owns links or earned), with the settled and
        forecast earnings there and their live links; biggest earnings first; [] = empty state
    statement.settled_page(tracker_id, user_id, window=None, page=0, per_page=10) -> StatementPage
        the partner's accruals on the tracker, newest first, one per settled period and role (client's
        first name, role, margin, share, when), with the count and sum of the whole statement
    statement.settled_lines(tracker_id, user_id, window=None, before=None, limit=10) -> list[StatementLine]
        the same lines by an entry-id cursor (the API)
    statement.movements(tracker_id, user_id, window=None) / statement.payouts(user_id, window=None)
        the same with clawbacks and holds, and the payout requests: the CSV's rows
    refresh_earnings(user_ids, tz=None) -> dict[user_id, (account_id, cursor, zone)]
        folds new ledger accruals; reads do it themselves, the scheduler may call it after a
        settlement for its beneficiaries so that no cabinet view waits for a big fold
    refresh_all_earnings(tz=None) -> int
        the same for every account: the settle job runs it after each settlement and at start-up
"""

from billing.partner import statement, totals
from billing.partner.cabinet import PartnersPage, PartnerSummary, link_stats, links_stats, tracker_partners
from billing.partner.earnings import (
    Earnings,
    LevelAmounts,
    MonthEarnings,
    balance,
    earnings,
    forecast_by_level,
    latest_accrual,
    monthly_earnings_by_level,
    settled_by_level,
    shown_depth,
)
from billing.partner.programs import Program, programs
from billing.partner.totals import refresh_all as refresh_all_earnings
from billing.partner.totals import refresh_many as refresh_earnings

__all__ = [
    "Earnings",
    "LevelAmounts",
    "MonthEarnings",
    "PartnerSummary",
    "PartnersPage",
    "Program",
    "balance",
    "earnings",
    "forecast_by_level",
    "latest_accrual",
    "link_stats",
    "links_stats",
    "monthly_earnings_by_level",
    "programs",
    "refresh_all_earnings",
    "refresh_earnings",
    "settled_by_level",
    "shown_depth",
    "statement",
    "totals",
    "tracker_partners",
]
