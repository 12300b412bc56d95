"""A seeded partner world and the web routes on a real aiohttp server (port 0)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiohttp
import pytest
from aiohttp import web

from billing import payouts as po
from billing.settlement import settle_due_periods
from bot.crypto import SecretBox, generate_key
from models import Tracker
from referral import create_link, record_start
from services.web.http import WebConfig
from services.web.initdata import SessionSigner
from services.web.ratelimit import RateLimiter
from services.web.server import add_web_routes
from tests.referral.conftest import PAID_AT, make_tracker, make_user, pay

AUTHOR, PARTNER, RIVAL, STRANGER = 1, 10, 20, 30
PLATFORM_TOKEN = "5000:platform-test-token"
BOX = SecretBox(generate_key())


@dataclass
class World:
    tracker: Tracker
    other_tracker: Tracker  # PARTNER is not in it
    links: dict[str, int]  # label -> id, PARTNER's
    rival_link: int
    tokens: dict[int, str] = field(default_factory=dict)  # tracker bot id -> its token


async def seed(start: datetime = PAID_AT, settle_at: list[datetime] | None = None) -> World:
    """PARTNER with two links (5 and 2 people, 3 and 1 paying, a month apart), RIVAL with one,
    their periods settled at each of `settle_at`, and two payout requests of PARTNER's."""
    tracker = await make_tracker(AUTHOR, "vera_bot")
    other = await make_tracker(40, "other_bot")
    for uid, name in ((PARTNER, "Ира"), (RIVAL, "Rival"), (STRANGER, "Stranger")):
        await make_user(uid, name)
    invite = await create_link(tracker.id, AUTHOR, "team")
    for uid in (PARTNER, RIVAL):
        await record_start(tracker.id, uid, invite.code)
        await pay(tracker.id, uid, paid_at=start)
    links = {}
    for label in ("Blog", "Channel"):
        links[label] = (await create_link(tracker.id, PARTNER, label)).id
    rival_link = (await create_link(tracker.id, RIVAL, "=rival")).id
    uid = 100
    for label, payers, visitors in (("Blog", 3, 5), ("Channel", 1, 2)):
        code = next(link for link in await _codes(tracker.id) if link[0] == links[label])[1]
        for n in range(visitors):
            uid += 1
            await make_user(uid)
            await record_start(tracker.id, uid, code)
            if n < payers:
                await pay(tracker.id, uid, 150_000 + n, paid_at=start + timedelta(days=n * 31))
    for moment in settle_at or [start + timedelta(days=200)]:
        await settle_due_periods(moment)
    await po.request_payout(BOX, user_id=PARTNER, amount_kopecks=1_000, destination=po.Destination.card(
        "pt-web-seed-0000-0001", "411111", "1111"), request_key="w1", min_kopecks=1)  # fmt: skip
    await po.request_payout(BOX, user_id=PARTNER, amount_kopecks=2_000, destination=po.Destination.card(
        "pt-web-seed-0000-0001", "411111", "1111"), request_key="w2", min_kopecks=1)  # fmt: skip
    return World(tracker, other, links, rival_link, {tracker.bot_id: "777:tracker-test-token"})


async def seed_recent(now: datetime) -> World:
    """`seed` five months back, settled month by month up to `now`, and this month two more
    clients of the tracker with token costs: every figure of the author's dashboard has a value."""
    from billing.reports import current_month, month_bounds

    start = now - timedelta(days=150)
    world = await seed(start, [start + timedelta(days=d) for d in (40, 75, 110)] + [now])
    month_start, _ = month_bounds(current_month(now, "Europe/Moscow"), "Europe/Moscow")
    paid_at = month_start + (now - month_start) / 2  # its usage a day later is still this month
    for uid, cost in ((201, 300), (202, 1_200)):
        await make_user(uid, f"Client {uid}")
        await pay(world.tracker.id, uid, 100_000, paid_at=paid_at, cost_kopecks=cost)
    return world


async def _codes(tracker_id: int) -> list[tuple[int, str]]:
    from models import InviteLink

    return [(link.id, link.code) for link in await InviteLink.filter(tracker_id=tracker_id)]


@pytest.fixture
async def world(database) -> World:
    return await seed()


def make_config(world: World, *, rate: int = 600) -> WebConfig:
    async def bot_token(kind: str, bot_id: int) -> str | None:
        if kind == "platform":
            return PLATFORM_TOKEN
        return world.tokens.get(bot_id)

    return WebConfig(
        signer=SessionSigner(b"s" * 32, lifetime=900), limiter=RateLimiter(rate), bot_token=bot_token,
        platform_bot_id=5000, auth_max_age=3600, timezone="Europe/Moscow", box=BOX,
    )  # fmt: skip


class Server:
    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self.app = web.Application()
        add_web_routes(self.app, config)
        self.runner = web.AppRunner(self.app, access_log=None)
        self.url = ""

    async def start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]


@pytest.fixture
async def server(world) -> AsyncIterator[Server]:
    s = Server(make_config(world))
    await s.start()
    yield s
    await s.runner.cleanup()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
