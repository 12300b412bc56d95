"""The read-only REST API: the chat cabinet's figures as JSON or CSV, for the person asking only.

Every figure comes from the same functions the chat cabinet's getters call (billing.partner,
referral, billing.payouts), so the page, the API and the chat cannot disagree. Money is integer
kopecks, with a `*_text` companion formatted by i18n.format for the page (JSON only)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

import referral
from billing import partner as partner_money
from billing.commission import schedule_at
from billing.payouts import my_payouts
from billing.split import compile_schedule
from i18n.format import day, month_of, percent, rub
from models import Account, LedgerEntry, Membership, Tracker, User
from models.enums import EntryKind
from services.web.http import CONFIG, NotFound, Principal, Query, authorized, i18n_of, lang_of, own_tracker, page

# Levels 4..6 are non-zero only under a deeper commission schedule; the cabinet shows them then.
ROLES = ("author", "l1", "l2", "l3", "l4", "l5", "l6")


def _money(request: web.Request, name: str, kopecks: int) -> dict[str, Any]:
    return {f"{name}_kopecks": kopecks, f"{name}_text": rub(kopecks, lang_of(request))}


def _levels(request: web.Request, amounts: partner_money.LevelAmounts) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for role in (*ROLES, "total"):
        out.update(_money(request, role, int(getattr(amounts, role))))
    return out


def _link(request: web.Request, tracker: Tracker, s: Any) -> dict[str, Any]:
    return {
        "id": s.link_id, "tracker_id": s.tracker_id, "code": s.code, "label": s.label,
        "url": referral.deep_link(tracker.username, s.code), "kind": "partner" if s.makes_partner else "client",
        "archived": s.archived, "created_at": s.created_at.isoformat() if s.created_at else None,
        "clicks": s.clicks, "starts": s.starts, "paying": s.paying,
        "conversion": round(s.paying / s.clicks, 4) if s.clicks else 0.0,
        "conversion_text": percent(s.paying, s.clicks, lang_of(request)),
        **_money(request, "revenue", s.revenue_kopecks), **_money(request, "earned", s.earned_kopecks),
    }  # fmt: skip


async def me(request: web.Request, who: Principal) -> web.Response:
    """The person, their trackers (as their token allows) and their balance."""
    Query(request, ())
    user = await User.get_or_none(id=who.user_id)
    ids = set(await Membership.filter(user_id=who.user_id).values_list("tracker_id", flat=True))
    ids |= set(await Tracker.filter(author_id=who.user_id).values_list("id", flat=True))
    if who.tracker_id is not None:
        ids &= {who.tracker_id}
    trackers = await Tracker.filter(id__in=ids).order_by("id") if ids else []
    b = await partner_money.balance(who.user_id)
    return web.json_response({
        "user_id": who.user_id, "first_name": user.first_name if user else "",
        "scope_tracker_id": who.tracker_id,
        "trackers": [{"id": t.id, "name": t.name, "username": t.username, "is_author": t.author_id == who.user_id,
                      "can_invite": await referral.can_invite(t.id, who.user_id)} for t in trackers],
        "balance": {**_money(request, "accrued", b.accrued), **_money(request, "reserved", b.reserved),
                    **_money(request, "paid", b.paid), **_money(request, "available", b.available)},
    })  # fmt: skip


async def links(request: web.Request, who: Principal) -> web.Response:
    q = Query(request, ("cursor", "limit", "format", "archived"))
    cursor, limit, as_csv, archived = q.id_cursor(), q.limit(), q.csv(), q.flag("archived")
    tracker = await own_tracker(who, request.match_info["tracker_id"])
    found = []
    if await referral.can_invite(tracker.id, who.user_id):  # the chat cabinet shows no links otherwise
        found = await partner_money.links_stats(tracker.id, who.user_id, include_archived=archived)
    found.sort(key=lambda s: -s.link_id)
    if cursor is not None:
        found = [s for s in found if s.link_id < cursor]
    chunk = found[:limit]
    more = str(chunk[-1].link_id) if len(found) > limit else None
    return page([_link(request, tracker, s) for s in chunk], more, as_csv=as_csv, name="links")


async def link(request: web.Request, who: Principal) -> web.Response:
    Query(request, ())
    tracker = await own_tracker(who, request.match_info["tracker_id"])
    raw = request.match_info["link_id"]
    s = await partner_money.link_stats(who.user_id, int(raw)) if raw.isdigit() and len(raw) <= 12 else None
    if s is None or s.tracker_id != tracker.id:
        raise NotFound()
    return web.json_response(_link(request, tracker, s))


async def earnings(request: web.Request, who: Principal) -> web.Response:
    Query(request, ())
    tracker = await own_tracker(who, request.match_info["tracker_id"])
    config = request.app[CONFIG]
    e = await partner_money.earnings(tracker.id, who.user_id, schedule=await schedule_at(fallback=config.commission))
    return web.json_response({"tracker_id": tracker.id, "settled": _levels(request, e.settled),
                              "forecast": _levels(request, e.forecast)})


async def statements(request: web.Request, who: Principal) -> web.Response:
    """Settled earnings per month and level, newest month first; `months` is the period."""
    q = Query(request, ("months", "cursor", "limit", "format", "nonzero"))
    months, cursor, limit, as_csv = q.integer("months", 12, 1, 36), q.month_cursor(), q.limit(), q.csv()
    nonzero = q.flag("nonzero")
    tracker = await own_tracker(who, request.match_info["tracker_id"])
    tz = request.app[CONFIG].timezone
    rows = list(reversed(await partner_money.monthly_earnings_by_level(tracker.id, who.user_id, months=months, tz=tz)))
    if nonzero:
        rows = [m for m in rows if m.amounts.total]
    if cursor is not None:
        rows = [m for m in rows if m.month < cursor]
    chunk = rows[:limit]
    more = chunk[-1].month if len(rows) > limit else None
    items = [{"month": m.month, "month_text": month_of(m.month, lang_of(request)), **_levels(request, m.amounts)}
             for m in chunk]
    return page(items, more, as_csv=as_csv, name="statements")


async def periods(request: web.Request, who: Principal) -> web.Response:
    """The chat cabinet's statement: each settled period the person took a share of, newest first
    (the client by first name only), over all time or this or last month (`period`)."""
    q = Query(request, ("cursor", "limit", "format", "period"))
    cursor, limit, as_csv = q.id_cursor(), q.limit(), q.csv()
    period = q.choice("period", referral.PERIODS, "all")
    tracker = await own_tracker(who, request.match_info["tracker_id"])
    config, lang = request.app[CONFIG], lang_of(request)
    window = referral.window_for(period, config.timezone)
    found = await partner_money.statement.settled_lines(tracker.id, who.user_id, window=window, before=cursor,
                                                        limit=limit + 1)
    chunk = found[:limit]
    items = [{"id": line.entry_id, "period_id": line.period_id, "client": line.client, "branch": line.branch,
              "role": line.role,
              "period_start": line.period_starts.isoformat() if line.period_starts else None,
              "period_end": line.period_ends.isoformat() if line.period_ends else None,
              "accrued_at": line.at.isoformat(), "accrued_text": day(line.at, config.timezone, lang),
              **_money(request, "revenue", line.revenue_kopecks), **_money(request, "margin", line.margin_kopecks),
              **_money(request, "share", line.amount_kopecks)} for line in chunk]  # fmt: skip
    return page(items, str(chunk[-1].entry_id) if len(found) > limit else None, as_csv=as_csv, name="periods")


async def accruals(request: web.Request, who: Principal) -> web.Response:
    """The person's ledger accruals, newest first (refund reversals are negative)."""
    q = Query(request, ("cursor", "limit", "format", "tracker_id"))
    cursor, limit, as_csv = q.id_cursor(), q.limit(), q.csv()
    tracker_id = (await own_tracker(who, q.q["tracker_id"])).id if "tracker_id" in q.q else who.tracker_id
    account = await Account.get_or_none(user_id=who.user_id)
    rows: list[LedgerEntry] = []
    if account is not None:
        query = LedgerEntry.filter(account_id=account.id, kind=EntryKind.ACCRUAL)
        if tracker_id is not None:
            query = query.filter(tracker_id=tracker_id)
        if cursor is not None:
            query = query.filter(id__lt=cursor)
        rows = await query.order_by("-id").limit(limit + 1)
    chunk = rows[:limit]
    items = [{"id": e.id, "tracker_id": e.tracker_id, "role": str(e.role.value), "source": str(e.source_type.value),
              "source_id": e.source_id, "created_at": e.created_at.isoformat(),
              **_money(request, "amount", int(e.amount_kopecks))} for e in chunk]  # fmt: skip
    return page(items, str(chunk[-1].id) if len(rows) > limit else None, as_csv=as_csv, name="accruals")


async def payouts(request: web.Request, who: Principal) -> web.Response:
    """The person's payout requests, newest first, destinations masked."""
    q = Query(request, ("cursor", "limit", "format"))
    cursor, limit, as_csv = q.id_cursor(), q.limit(), q.csv()
    views = await my_payouts(request.app[CONFIG].box, who.user_id, limit=limit + 1, before=cursor)
    chunk = views[:limit]
    i18n = i18n_of(request)
    items = [{"id": v.id, "status": v.status, "status_text": i18n("payouts-status", status=v.status),
              "method": v.method, "destination": v.masked,
              "created_at": v.created_at.isoformat(), "tracker_id": v.tracker_id,
              "created_text": day(v.created_at, request.app[CONFIG].timezone, lang_of(request)),
              **_money(request, "amount", v.amount_kopecks)} for v in chunk]  # fmt: skip
    return page(items, str(chunk[-1].id) if len(views) > limit else None, as_csv=as_csv, name="payouts")


async def network(request: web.Request, who: Principal) -> web.Response:
    """How many people the person has at each level and how many pay; no names (the API is for BI)."""
    q = Query(request, ("format",))
    as_csv = q.csv()
    tracker = await own_tracker(who, request.match_info["tracker_id"])
    schedule = await schedule_at(fallback=request.app[CONFIG].commission)
    net = await referral.network(tracker.id, who.user_id, depth=compile_schedule(schedule).depth, names_limit=0)
    items = [{"level": lv.level, "people": lv.people, "paying": lv.paying} for lv in net.levels]
    return page(items, None, as_csv=as_csv, name="network")


def add_api_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/v1/me", authorized(me))
    r.add_get("/api/v1/trackers/{tracker_id}/links", authorized(links))
    r.add_get("/api/v1/trackers/{tracker_id}/links/{link_id}", authorized(link))
    r.add_get("/api/v1/trackers/{tracker_id}/earnings", authorized(earnings))
    r.add_get("/api/v1/trackers/{tracker_id}/statements", authorized(statements))
    r.add_get("/api/v1/trackers/{tracker_id}/periods", authorized(periods))
    r.add_get("/api/v1/trackers/{tracker_id}/network", authorized(network))
    r.add_get("/api/v1/accruals", authorized(accruals))
    r.add_get("/api/v1/payouts", authorized(payouts))
