"""The web routes in one call, for the composition root to put on whichever aiohttp server runs
(the webhook server, or the side server in polling mode):

    add_web_routes(app, config)

    GET  /api/openapi.json                     the API's OpenAPI document
    GET  /api/v1/...                           the read-only API (services.web.api)
    GET  /app/{kind}/{bot_id}                  the Mini App page, opened from that bot
    GET  /app/{kind}/{bot_id}/dashboard/{id}   the author's dashboard of their tracker (platform bot's card)
    GET  /app/{kind}/{bot_id}/programs         "My partner programs" (the platform bot's screen)
    POST /app/{kind}/{bot_id}/session          initData -> a short-lived session token
    GET  /app/messages/{lang}.json             the page's texts from the locale catalogs
    GET  /app/static/{name}                    the page's script, style and the vendored chart library
    GET  /app/{kind}/{bot_id}/card             the payout card page: YooKassa's widget (services.web.card)
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from aiohttp import web

from i18n.catalog import LANGS, catalog_keys, translator
from services.web.api import add_api_routes
from services.web.api_platform import add_platform_api_routes
from services.web.card import add_card_routes
from services.web.http import CONFIG, WebConfig, error
from services.web.initdata import AuthError, BotRef, check_init_data
from services.web.openapi import document

log = logging.getLogger("services.web")

STATIC = Path(__file__).resolve().parent / "static"
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html"}
MAX_LOGIN_BODY = 16_384
PAGES = {"": "index.html", "dashboard": "dashboard.html", "programs": "programs.html"}
# The page runs only its own scripts and talks only to this server; Telegram's web clients may frame it.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "connect-src 'self'; frame-ancestors 'self' https://*.telegram.org")


def _bot_ref(request: web.Request) -> BotRef | None:
    kind, raw = request.match_info["kind"], request.match_info["bot_id"]
    if kind not in ("platform", "tracker") or not re.fullmatch(r"[0-9]{1,15}", raw):
        return None
    return BotRef(kind, int(raw))


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document(), headers={"Cache-Control": "public, max-age=300"})


async def login(request: web.Request) -> web.Response:
    """initData signed by the bot named in the URL -> a session token for its user on that bot."""
    config: WebConfig = request.app[CONFIG]
    bot = _bot_ref(request)
    token = None
    if bot is not None and (bot.kind == "tracker" or bot.bot_id == config.platform_bot_id):
        token = await config.bot_token(bot.kind, bot.bot_id)
    if token is None:
        return error(request, 404, "api-error-not-found")
    if (request.content_length or 0) > MAX_LOGIN_BODY:
        return error(request, 401, "webapp-refused")
    try:
        body = await request.json()
        init_data = body.get("init_data", "") if isinstance(body, dict) else ""
        user = check_init_data(init_data if isinstance(init_data, str) else "", token, max_age=config.auth_max_age)
    except (AuthError, ValueError) as exc:
        log.info("mini app login refused on %s: %s", bot, getattr(exc, "reason", "body is not JSON"))
        return error(request, 401, "webapp-refused")
    session = config.signer.issue(user.id, bot)
    return web.json_response({
        "session": config.signer.encode(session), "expires": session.expires, "user_id": user.id,
        "lang": "en" if (user.language_code or "")[:2] == "en" else "ru",
    }, headers={"Cache-Control": "no-store"})  # fmt: skip


async def messages(request: web.Request) -> web.Response:
    lang = request.match_info["lang"]
    if lang not in LANGS:
        raise web.HTTPNotFound()
    t = translator(lang)
    keys = sorted(k for k in catalog_keys("ru") if k.startswith("webapp-"))
    return web.json_response({k: t(k) for k in keys}, headers={"Cache-Control": "public, max-age=300"})


async def app_page(request: web.Request) -> web.StreamResponse:
    """A page of the Mini App. Its data comes from the API after the login, so the page itself is
    the same file for everyone; which tracker it shows is checked there (another's is 404)."""
    if _bot_ref(request) is None:
        raise web.HTTPNotFound()
    name = PAGES[request.match_info.get("page", "")]
    if not re.fullmatch(r"[0-9]{0,12}", request.match_info.get("tracker_id", "")):
        raise web.HTTPNotFound()
    return web.FileResponse(STATIC / name, headers={"Cache-Control": "no-cache", "Content-Security-Policy": CSP,
                                                            "X-Content-Type-Options": "nosniff"})


async def static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = STATIC / name
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name) or path.suffix not in STATIC_TYPES or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Content-Type": STATIC_TYPES[path.suffix],
                                           "Cache-Control": "public, max-age=3600"})


def add_web_routes(app: web.Application, config: WebConfig) -> None:
    app[CONFIG] = config
    app.router.add_get("/api/openapi.json", openapi)
    add_api_routes(app)
    add_platform_api_routes(app)
    app.router.add_get("/app/messages/{lang}.json", messages)
    app.router.add_get("/app/static/{name}", static)
    add_card_routes(app)  # before /app/{kind}/{bot_id}: its config.json would match that too
    app.router.add_get("/app/{kind}/{bot_id}", app_page)
    app.router.add_get("/app/{kind}/{bot_id}/{page:dashboard}/{tracker_id}", app_page)
    app.router.add_get("/app/{kind}/{bot_id}/{page:programs}", app_page)
    app.router.add_post("/app/{kind}/{bot_id}/session", login)

