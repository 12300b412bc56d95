"""The payout card page of the Mini App: YooKassa's payout widget takes the card number in its own
form (the platform never sees it) and hands the page a card synonym (`payout_token`) with the
card's first six and last four digits; the page posts only those, with its initData session.

    GET  /app/{kind}/{bot_id}/card     the page (its CSP also lets the widget's origin in)
    GET  /app/card-config.json         the widget's script address and the payout account's agentId
    POST /app/payout-card              {payout_token, first6, last4, issuer_name} -> {"masked": "•••• 1234"}

Only a page session may save a card (an API token is for reading, and this is not the API): a card is where money goes.
Without the YooKassa payout account (`WebConfig.payout_account_id` None) there is nothing to save
to: the config and the save answer 404.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from billing.payouts import PayoutError, save_card
from services.web.http import CONFIG, WebConfig, error, i18n_of
from services.web.initdata import AuthError, SessionSigner

log = logging.getLogger("services.web")

MAX_CARD_BODY = 4096
STATIC = Path(__file__).resolve().parent / "static"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def card_csp(widget_url: str) -> str:
    """The cabinet's policy, plus the widget's origin for its script, its calls and its frame."""
    origin = _origin(widget_url)
    extra = f" {origin}" if origin else ""
    frames = origin or "'none'"  # the real widget draws its form in a frame of its own origin
    return (f"default-src 'self'; script-src 'self'{extra}; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
            f" connect-src 'self'{extra}; frame-src {frames}; frame-ancestors 'self' https://*.telegram.org")


async def card_page(request: web.Request) -> web.StreamResponse:
    kind, raw = request.match_info["kind"], request.match_info["bot_id"]
    if kind not in ("platform", "tracker") or not re.fullmatch(r"[0-9]{1,15}", raw):
        raise web.HTTPNotFound()
    config: WebConfig = request.app[CONFIG]
    return web.FileResponse(STATIC / "card.html", headers={
        "Cache-Control": "no-cache", "Content-Security-Policy": card_csp(config.payout_widget_url),
        "X-Content-Type-Options": "nosniff"})


async def card_config(request: web.Request) -> web.Response:
    config: WebConfig = request.app[CONFIG]
    if not config.payout_account_id or not config.payout_widget_url:
        return error(request, 404, "webapp-card-off")
    return web.json_response({"widget_url": config.payout_widget_url, "account_id": config.payout_account_id},
                             headers={"Cache-Control": "no-store"})


async def post_card(request: web.Request) -> web.Response:
    config: WebConfig = request.app[CONFIG]
    if not config.payout_account_id:
        return error(request, 404, "webapp-card-off")
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if not token.startswith(SessionSigner.PREFIX):  # an API token, or nothing: never a card
        return error(request, 401, "api-error-unauthorized", {"WWW-Authenticate": "Bearer"})
    try:
        session = config.signer.decode(token)
    except AuthError as exc:
        log.info("payout card refused: session %s", exc.reason)
        return error(request, 401, "api-error-unauthorized", {"WWW-Authenticate": "Bearer"})
    wait = config.limiter.take(f"s:{session.user_id}:{session.bot}")
    if wait:
        return error(request, 429, "api-error-rate", {"Retry-After": config.limiter.retry_after(wait)},
                     seconds=config.limiter.retry_after(wait))
    if (request.content_length or 0) > MAX_CARD_BODY:
        return error(request, 400, "payouts-card-invalid")
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return error(request, 400, "payouts-card-invalid")
    try:
        card = await save_card(config.box, session.user_id, token=body.get("payout_token"),  # type: ignore[arg-type]
                               first6=body.get("first6"), last4=body.get("last4"),  # type: ignore[arg-type]
                               issuer=str(body.get("issuer_name") or ""))
    except PayoutError as exc:
        return error(request, 400, exc.code)
    log.info("payout card saved for user %s (%s)", session.user_id, card.masked)
    return web.json_response({"masked": card.masked, "message": i18n_of(request)("webapp-card-saved")},
                             headers={"Cache-Control": "no-store"})


def add_card_routes(app: web.Application) -> None:
    app.router.add_get("/app/card-config.json", card_config)
    app.router.add_get("/app/{kind}/{bot_id}/card", card_page)
    app.router.add_post("/app/payout-card", post_card)
