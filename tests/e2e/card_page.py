"""The Mini App's payout card page as a test drives it over HTTP, without a browser (the browser
test is tests/web/test_payout_card.py)."""

from __future__ import annotations

import json
import time

import aiohttp

from models import Tracker
from services.web.initdata import sign_init_data
from tests.fakes.yookassa_server import FakeYooKassa


async def card_in_mini_app(runtime, yk: FakeYooKassa, partner, bot: str, bot_token: str, number: str) -> str:
    """What the Mini App's card page does: log in with initData signed by the tracker bot, let the
    widget (the fake's endpoint, as its script calls it) turn the number into a synonym, post the
    synonym and the mask. Returns the mask the page shows."""
    tracker = await Tracker.get(username=bot)
    server = f"http://127.0.0.1:{runtime.http.port}"
    user = json.dumps({"id": partner.id, "first_name": partner.first_name, "language_code": "ru"})
    init_data = sign_init_data({"user": user, "auth_date": str(int(time.time()))}, bot_token)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server}/app/tracker/{tracker.bot_id}/session", json={"init_data": init_data}) as r:
            session = (await r.json())["session"]
        async with http.get(f"{server}/app/card-config.json") as r:
            config = await r.json()
        async with http.post(yk.base_url + "/payouts-data/cards",
                             json={"account_id": config["account_id"], "number": number}) as r:
            given = await r.json()
        async with http.post(f"{server}/app/payout-card", json=given,
                             headers={"Authorization": f"Bearer {session}"}) as r:
            assert r.status == 200
            return (await r.json())["masked"]
