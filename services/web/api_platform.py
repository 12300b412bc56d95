"""The API behind the Mini App pages the platform bot opens: an author's dashboard of one of their
trackers, "My partner programs", and a link's QR code.

The dashboard and the programs come from the read models the chat screens use (billing.dashboard,
billing.partner.programs); the QR code is the chat cabinet's (segno, the same error level), as PNG.
Everything is the asking person's own: another author's tracker or another partner's link is 404."""

from __future__ import annotations

import asyncio
import io
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

import segno
from aiohttp import web

import referral
from billing import partner as partner_money
from billing.commission import schedule_at, schedule_in_force
from billing.dashboard import Month, author_dashboard, recent_months
from i18n.format import count, month_of, rub
from models import InviteLink
from services.web.http import CONFIG, NotFound, Principal, Query, authorized, lang_of, own_tracker, page

QR_SCALE, QR_BORDER, QR_CACHE = 8, 2, 1024


def _money(lang: str, name: str, kopecks: int) -> dict[str, Any]:
    return {f"{name}_kopecks": kopecks, f"{name}_text": rub(kopecks, lang)}


def _month(lang: str, m: Month) -> dict[str, Any]:
    return {
        "month": m.label, "month_text": month_of(m.label, lang),
        "new": m.new, "new_text": count(m.new, lang), "churned": m.churned, "churned_text": count(m.churned, lang),
        **_money(lang, "revenue", m.revenue_kopecks), **_money(lang, "token_cost", m.token_cost_kopecks),
        **_money(lang, "margin", m.margin_kopecks),
    }  # fmt: skip


async def dashboard(request: web.Request, who: Principal) -> web.Response:
    """The author's dashboard of their tracker, and its last `months` months for the period filter.
    A tracker the person does not author is 404, the same as one that does not exist."""
    q = Query(request, ("months",))
    months = q.integer("months", 12, 2, 36)  # two at least: the chat's "this" and "last" month
    tracker = await own_tracker(who, request.match_info["tracker_id"])
    if tracker.author_id != who.user_id:
        raise NotFound()
    config, lang, now = request.app[CONFIG], lang_of(request), datetime.now(UTC)
    dash = await author_dashboard(tracker, now, config.timezone,
                                  schedule=await schedule_at(now, fallback=config.commission))
    rows = await recent_months(tracker, now, config.timezone, months)
    estimate = _money(lang, "estimate", dash.estimate_kopecks) if dash.estimate_kopecks is not None else {
        "estimate_kopecks": None, "estimate_text": "—"}
    return web.json_response({
        "tracker_id": tracker.id, "name": tracker.name, "username": tracker.username,
        "active": dash.active, "active_text": count(dash.active, lang),
        "clients_with_cost": dash.clients_with_cost, "clients_with_cost_text": count(dash.clients_with_cost, lang),
        **_money(lang, "median_cost", dash.median_cost_kopecks), **_money(lang, "p90_cost", dash.p90_cost_kopecks),
        **estimate,
        "top": [{"name": name or str(uid), **_money(lang, "cost", cost)} for uid, name, cost in dash.top],
        **_money(lang, "settled", dash.settled_kopecks), **_money(lang, "forecast", dash.forecast_kopecks),
        "months": [_month(lang, m) for m in rows],
    })  # fmt: skip


async def programs(request: web.Request, who: Principal) -> web.Response:
    """Every tracker the person promotes, with their earnings there (as "My partner programs")."""
    as_csv = Query(request, ("format",)).csv()
    config, lang = request.app[CONFIG], lang_of(request)
    found = await partner_money.programs(
        who.user_id, schedule=await schedule_in_force(fallback=config.commission), tz=config.timezone)
    if who.tracker_id is not None:
        found = [p for p in found if p.tracker_id == who.tracker_id]
    # Levels 1-3, or as deep as any of them has money (l4..l6 under a deeper schedule): one set
    # of columns for the whole list, so its CSV has one header.
    depth = partner_money.shown_depth(*(a for p in found for a in (p.settled, p.forecast)))
    roles = ("author", *(f"l{n}" for n in range(1, depth + 1)), "total")
    items = []
    for p in found:
        item: dict[str, Any] = {
            "tracker_id": p.tracker_id, "name": p.name, "username": p.username, "status": p.status,
            "is_author": p.is_author, "links": p.links, "links_text": count(p.links, lang),
            "cabinet_url": referral.deep_link(p.username, "partner"),
        }  # fmt: skip
        for kind, amounts in (("settled", p.settled), ("forecast", p.forecast)):
            for role in roles:
                item.update(_money(lang, f"{kind}_{role}", int(getattr(amounts, role))))
        items.append(item)
    return page(items, None, as_csv=as_csv, name="programs")


def qr_png(url: str) -> bytes:
    """The chat cabinet's QR code of a link (segno, error level M), as PNG."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=QR_SCALE, border=QR_BORDER)
    return buffer.getvalue()


_made: OrderedDict[str, bytes] = OrderedDict()  # a link's address never changes: its picture neither


async def cached_qr_png(url: str) -> bytes:
    """qr_png made once per process per address (a few milliseconds of pure-Python PNG, made off
    the event loop), the last QR_CACHE kept."""
    png = _made.get(url)
    if png is None:
        png = _made[url] = await asyncio.to_thread(qr_png, url)
        while len(_made) > QR_CACHE:
            _made.popitem(last=False)
    return png


async def link_qr(request: web.Request, who: Principal) -> web.Response:
    """The QR code of one of the person's links on this tracker; anyone else's link is 404."""
    Query(request, ())
    tracker = await own_tracker(who, request.match_info["tracker_id"])
    raw = request.match_info["link_id"]
    link = await InviteLink.get_or_none(id=int(raw), tracker_id=tracker.id, owner_id=who.user_id) \
        if raw.isdigit() and len(raw) <= 12 else None  # fmt: skip
    if link is None:
        raise NotFound()
    png = await cached_qr_png(referral.deep_link(tracker.username, link.code))
    return web.Response(body=png, content_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


def add_platform_api_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/v1/programs", authorized(programs))
    r.add_get("/api/v1/trackers/{tracker_id}/dashboard", authorized(dashboard))
    r.add_get("/api/v1/trackers/{tracker_id}/links/{link_id}/qr", authorized(link_qr))
