"""What every /api/ request goes through: who is asking (an API token or a page session), their
request budget, the query parameters checked, errors as JSON with a sentence from the locales."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from i18n.catalog import Translator, translator
from models import Membership, Tracker
from services.web.initdata import AuthError, SessionSigner
from services.web.ratelimit import RateLimiter
from services.web.tokens import owner_of

log = logging.getLogger("services.web")

MAX_QUERY = 1024  # characters of the whole query string
MAX_VALUE = 64  # characters of one parameter
MAX_LIMIT = 200
DEFAULT_LIMIT = 50


@dataclass
class WebConfig:
    """What the web routes need from the running platform; the composition root fills it in."""

    signer: SessionSigner
    limiter: RateLimiter
    bot_token: Callable[[str, int], Awaitable[str | None]]  # ("platform" | "tracker", bot id) -> token
    platform_bot_id: int
    auth_max_age: int  # seconds an initData stays good for a login
    timezone: str
    commission: Any = None  # the configured schedule: the forecast's fallback
    box: Any = None  # the secret box: payout destinations are shown masked
    payout_widget_url: str = ""  # YooKassa's payout widget script (services.web.card)
    payout_account_id: str | None = None  # the payout account's agentId; None: cards are off
    extra: dict[str, Any] = field(default_factory=dict)


CONFIG = web.AppKey("gptitor_web_config", WebConfig)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a person, narrowed to one tracker by their token or by the bot the page was
    opened from (None: every tracker they are in)."""

    user_id: int
    tracker_id: int | None
    key: str  # the rate limit's bucket


def lang_of(request: web.Request) -> str:
    wanted = request.query.get("lang") or request.headers.get("Accept-Language", "")
    return "ru" if wanted[:2].lower() == "ru" else "en"


def i18n_of(request: web.Request) -> Translator:
    return translator(lang_of(request))


def error(
    request: web.Request, status: int, key: str, headers: dict[str, str] | None = None, **kw: Any
) -> web.Response:
    body = {"error": key.removeprefix("api-error-"), "message": i18n_of(request)(key, **kw)}
    return web.json_response(body, status=status, headers=headers)


def bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else ""


async def principal_of(request: web.Request, config: WebConfig) -> Principal | None:
    token = bearer(request)
    if not token:
        return None
    if token.startswith(SessionSigner.PREFIX):
        try:
            session = config.signer.decode(token)
        except AuthError as exc:
            log.info("web session refused: %s", exc.reason)
            return None
        tracker_id = None
        if session.bot.kind == "tracker":
            tracker = await Tracker.get_or_none(bot_id=session.bot.bot_id)
            if tracker is None:
                return None
            tracker_id = tracker.id
        return Principal(session.user_id, tracker_id, f"s:{session.user_id}:{session.bot}")
    owner = await owner_of(token)
    if owner is None:
        return None
    return Principal(owner.user_id, owner.tracker_id, f"t:{owner.token_id}")


Handler = Callable[[web.Request, Principal], Awaitable[web.StreamResponse]]


def authorized(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """401 without a live token, 429 over its budget, 400 on bad parameters; then the handler."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        config = request.app[CONFIG]
        who = await principal_of(request, config)
        if who is None:
            return error(request, 401, "api-error-unauthorized", {"WWW-Authenticate": "Bearer"})
        wait = config.limiter.take(who.key)
        if wait:
            return error(request, 429, "api-error-rate", {"Retry-After": config.limiter.retry_after(wait)},
                         seconds=config.limiter.retry_after(wait))
        try:
            return await handler(request, who)
        except BadParameter as exc:
            return error(request, 400, "api-error-parameter", name=exc.name, reason=i18n_of(request)(exc.reason))
        except NotFound:
            return error(request, 404, "api-error-not-found")

    return wrapped


class BadParameter(Exception):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name, self.reason = name, reason


class NotFound(Exception):
    pass


_CURSOR = re.compile(r"[0-9]{1,12}")
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


class Query:
    """The request's query parameters, each checked: only the known ones, none too long."""

    def __init__(self, request: web.Request, allowed: Iterable[str]) -> None:
        if len(request.query_string) > MAX_QUERY:
            raise BadParameter("query", "api-reason-too-long")
        known = set(allowed) | {"lang"}
        for name in request.query:
            if name not in known:
                raise BadParameter(name[:MAX_VALUE], "api-reason-unknown")
            if len(request.query.getall(name)) > 1:
                raise BadParameter(name, "api-reason-repeated")
            if len(request.query[name]) > MAX_VALUE:
                raise BadParameter(name, "api-reason-too-long")
        self.q = request.query

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.q.get(name)
        if raw is None:
            return default
        if not re.fullmatch(r"[0-9]{1,9}", raw) or not low <= int(raw) <= high:
            raise BadParameter(name, "api-reason-range")
        return int(raw)

    def limit(self) -> int:
        return self.integer("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)

    def id_cursor(self) -> int | None:
        raw = self.q.get("cursor")
        if raw is None:
            return None
        if not _CURSOR.fullmatch(raw):
            raise BadParameter("cursor", "api-reason-cursor")
        return int(raw)

    def month_cursor(self) -> str | None:
        raw = self.q.get("cursor")
        if raw is not None and not _MONTH.fullmatch(raw):
            raise BadParameter("cursor", "api-reason-cursor")
        return raw

    def choice(self, name: str, options: tuple[str, ...], default: str) -> str:
        raw = self.q.get(name, default)
        if raw not in options:
            raise BadParameter(name, "api-reason-choice")
        return raw

    def csv(self) -> bool:
        return self.choice("format", ("json", "csv"), "json") == "csv"

    def flag(self, name: str) -> bool:
        return self.choice(name, ("0", "1", "false", "true"), "0") in ("1", "true")


async def own_tracker(who: Principal, raw_id: str) -> Tracker:
    """The tracker if the asking person is in it (its author or a member) and their token allows
    it; NotFound otherwise, the same answer whether it exists or not."""
    if not re.fullmatch(r"[0-9]{1,12}", raw_id):
        raise BadParameter("tracker_id", "api-reason-range")
    tracker_id = int(raw_id)
    if who.tracker_id is not None and who.tracker_id != tracker_id:
        raise NotFound()
    tracker = await Tracker.get_or_none(id=tracker_id)
    if tracker is None:
        raise NotFound()
    if tracker.author_id != who.user_id and not await Membership.exists(tracker_id=tracker_id, user_id=who.user_id):
        raise NotFound()
    return tracker


def page(items: list[dict[str, Any]], next_cursor: str | None, *, as_csv: bool, name: str) -> web.Response:
    """One page of a list: JSON {items, next_cursor}, or CSV with the cursor in X-Next-Cursor.
    CSV keeps the raw fields (kopecks, ISO times) and leaves out the display texts."""
    if not as_csv:
        return web.json_response({"items": items, "next_cursor": next_cursor}, dumps=_dumps)
    headers = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
    if next_cursor:
        headers["X-Next-Cursor"] = next_cursor
    columns = [k for k in (items[0] if items else {}) if not k.endswith("_text")]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for item in items:
        writer.writerow([_cell(item[c]) for c in columns])
    return web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8", headers=headers)


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # a label a spreadsheet would run as a formula
    return "" if value is None else value


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)
