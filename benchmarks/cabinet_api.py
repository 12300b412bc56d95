"""The web cabinet's endpoints timed on the cabinet benchmark's database (benchmarks/cabinet.py
calls `measure_api` after its own queries): each /api/ route and the Mini App's page and login,
over real HTTP to a real aiohttp server in the same process, timed inside the server (a
middleware around the handler: the server's time, not the client's or the socket's)."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web

from services.web.http import WebConfig
from services.web.initdata import SessionSigner, sign_init_data
from services.web.ratelimit import RateLimiter
from services.web.server import add_web_routes
from services.web.tokens import create_token

TARGET_MS = 10.0
BOT_TOKEN = "42:benchmark-tracker-token"
PLATFORM_BOT_ID, PLATFORM_TOKEN = 7, "7:benchmark-platform-token"


async def measure_api(
    tracker_id: int, bot_id: int, user_id: int, runs: int, *, author_id: int | None = None
) -> list[tuple[str, list[float]]]:
    """(route, server milliseconds of each of `runs` requests) per endpoint; every answer must be 200.
    With `author_id`, the author's dashboard of the tracker too, with the author's own token."""
    samples: list[float] = []

    @web.middleware
    async def timer(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
        t = time.perf_counter()
        try:
            return await handler(request)
        finally:
            samples.append((time.perf_counter() - t) * 1000)

    async def bot_token(kind: str, asked: int) -> str | None:
        if (kind, asked) == ("platform", PLATFORM_BOT_ID):
            return PLATFORM_TOKEN
        return BOT_TOKEN if (kind, asked) == ("tracker", bot_id) else None

    config = WebConfig(signer=SessionSigner(b"b" * 32, lifetime=900), limiter=RateLimiter(10**9),
                       bot_token=bot_token, platform_bot_id=PLATFORM_BOT_ID, auth_max_age=3600,
                       timezone="Europe/Moscow")
    app = web.Application(middlewares=[timer])
    add_web_routes(app, config)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    _, token = await create_token(user_id)
    auth = {"Authorization": f"Bearer {token}"}
    user = json.dumps({"id": user_id, "first_name": "Partner"})
    login = {"init_data": sign_init_data({"user": user, "auth_date": str(int(time.time()))}, BOT_TOKEN)}
    platform_login = {"init_data": sign_init_data({"user": user, "auth_date": str(int(time.time()))}, PLATFORM_TOKEN)}
    t = f"/api/v1/trackers/{tracker_id}"
    p = f"/app/platform/{PLATFORM_BOT_ID}"
    endpoints: list[tuple[str, str, str, dict | None]] = [
        ("GET /api/v1/me", "get", "/api/v1/me", None),
        ("GET links", "get", f"{t}/links", None),
        ("GET links?format=csv", "get", f"{t}/links?format=csv", None),
        ("GET links/{id}", "get", f"{t}/links/1", None),
        ("GET earnings", "get", f"{t}/earnings", None),
        ("GET statements?months=12", "get", f"{t}/statements?months=12", None),
        ("GET periods?limit=50", "get", f"{t}/periods?limit=50", None),
        ("GET network", "get", f"{t}/network", None),
        ("GET accruals?limit=50", "get", "/api/v1/accruals?limit=50", None),
        ("GET accruals?limit=50 (page 2)", "get", "/api/v1/accruals?limit=50&cursor={cursor}", None),
        ("GET payouts", "get", "/api/v1/payouts", None),
        ("GET /api/openapi.json", "get", "/api/openapi.json", None),
        ("GET /app/tracker/{bot} (page)", "get", f"/app/tracker/{bot_id}", None),
        ("POST /app/tracker/{bot}/session (login)", "post", f"/app/tracker/{bot_id}/session", login),
        ("GET links/{id}/qr (PNG)", "get", f"{t}/links/1/qr", None),
        ("GET /api/v1/programs", "get", "/api/v1/programs", None),
        ("GET /app/platform/{bot}/programs (page)", "get", f"{p}/programs", None),
        ("GET /app/platform/{bot}/dashboard/{id} (page)", "get", f"{p}/dashboard/{tracker_id}", None),
        ("POST /app/platform/{bot}/session (login)", "post", f"{p}/session", platform_login),
    ]
    if author_id is not None:
        _, author_token = await create_token(author_id)
        endpoints += [(f"GET dashboard?months={months} (author)", "get", f"{t}/dashboard?months={months}",
                       {"Authorization": f"Bearer {author_token}"}) for months in (3, 12)]
    out: list[tuple[str, list[float]]] = []
    try:
        async with aiohttp.ClientSession(headers=auth) as http:
            async with http.get(base + "/api/v1/accruals?limit=50") as r:
                cursor = (await r.json())["next_cursor"] or "0"
            for name, method, path, extra in endpoints:
                url = base + path.replace("{cursor}", cursor)
                # A dict is a login's body, or (with "Authorization") the headers of someone else's token.
                headers = extra if extra and "Authorization" in extra else None
                body = None if headers else extra
                for n in range(runs + 1):  # the first is a warm-up
                    async with http.request(method, url, json=body, headers=headers) as r:
                        await r.read()
                        if r.status != 200:
                            raise AssertionError(f"{name}: {r.status} {await r.text()}")
                    if n == 0:
                        samples.clear()
                out.append((name, samples[:]))
                samples.clear()
    finally:
        await runner.cleanup()
    return out
