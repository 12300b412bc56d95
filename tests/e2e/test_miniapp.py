"""The web cabinet in the running platform (polling mode, WEBAPP_BASE_URL set): the cabinet's
WebApp button, a Mini App login with initData signed by the real tracker bot's token, and API
tokens created and revoked in the chat cabinet working (and stopping) over HTTP at once; the
platform bot's WebApp buttons (the tracker card, its dashboard, "My partner programs") and a login
with its own initData that reaches the author's dashboard of their tracker and nobody else's."""

from __future__ import annotations

import json
import re
import time

import aiohttp
import pytest

from models import ApiToken, Tracker
from services.web.initdata import sign_init_data
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform, tracker_token
from tests.e2e.test_partner_programs import open_programs
from tests.e2e.test_platform_core import create_tracker
from tests.e2e.test_referral import PLATFORM, open_cabinet, shown

BOT = "vera_web_bot"
BASE = "https://cabinet.example.test"


@pytest.fixture
async def tg(fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    return fake_telegram


async def test_webapp_button_login_and_api_tokens_from_the_cabinet(tg, database_url, tmp_path):
    token = tracker_token(61)
    tg.add_bot(token, BOT, "Vera")
    author = tg.user(1061, "Anna", language_code="ru")
    settings = make_settings(tg, database_url, tmp_path, webhook_host="127.0.0.1", webhook_port=0,
                             webapp_base_url=BASE)
    async with running_platform(settings) as runtime, aiohttp.ClientSession() as http:
        await create_tracker(author, token, BOT)
        tracker = await Tracker.get(username=BOT)
        server = f"http://127.0.0.1:{runtime.http.port}"
        await author.send(BOT, "/start")
        await author.wait_for_text(BOT, "Здравствуйте")

        main = await open_cabinet(author, BOT)
        button = next(b for b in main.buttons if "web_app" in b)
        assert button["web_app"]["url"] == f"{BASE}/app/tracker/{tracker.bot_id}"

        # The page's login, with initData signed by the tracker bot's own token (stored encrypted).
        user = json.dumps({"id": author.id, "first_name": "Anna", "language_code": "ru"})
        init_data = sign_init_data({"user": user, "auth_date": str(int(time.time()))}, token)
        async with http.post(f"{server}/app/tracker/{tracker.bot_id}/session", json={"init_data": init_data}) as r:
            assert r.status == 200
            session = (await r.json())["session"]
        async with http.get(f"{server}/api/v1/me", headers={"Authorization": f"Bearer {session}"}) as r:
            assert (await r.json())["trackers"][0]["id"] == tracker.id
        forged = sign_init_data({"user": user, "auth_date": str(int(time.time()))}, PLATFORM_TOKEN)
        async with http.post(f"{server}/app/tracker/{tracker.bot_id}/session", json={"init_data": forged}) as r:
            assert r.status == 401

        # A token made in the cabinet: shown once as its own message, stored only as a hash.
        await author.click(main, "🔑 API-токены")
        tokens = await shown(author, "API-токены", BOT)
        assert "Действующих токенов нет" in tokens.plain
        await author.click(tokens, "➕ Токен для этого бота")
        created = await author.wait_for_text(BOT, "показывается один раз")
        api_token = re.search(r"gpt_[A-Za-z0-9_-]+", created.plain).group(0)
        row = await ApiToken.get(user_id=author.id)
        assert api_token not in row.token_hash and row.tracker_id == tracker.id
        listing = await shown(author, "Действующие токены: 1", BOT)
        headers = {"Authorization": f"Bearer {api_token}"}
        async with http.get(f"{server}/api/v1/trackers/{tracker.id}/links", headers=headers) as r:
            assert r.status == 200

        await author.click(listing, f"✖ Отозвать …{row.hint}")
        await shown(author, "Токен отозван", BOT)
        async with http.get(f"{server}/api/v1/me", headers=headers) as r:
            assert r.status == 401


async def test_without_the_https_base_there_is_no_webapp_button(tg, database_url, tmp_path):
    token = tracker_token(62)
    tg.add_bot(token, BOT, "Vera")
    author = tg.user(1062, "Anna", language_code="ru")
    async with running_platform(make_settings(tg, database_url, tmp_path)) as runtime:
        await create_tracker(author, token, BOT)
        await author.send(BOT, "/start")
        await author.wait_for_text(BOT, "Здравствуйте")
        main = await open_cabinet(author, BOT)
        assert not any("web_app" in b for b in main.buttons)
        # Nor in the platform bot: its tracker card, the dashboard and "My partner programs".
        await author.send(PLATFORM, "/start")
        menu = await author.wait_for_message(PLATFORM, lambda m: any(BOT in b["text"] for b in m.buttons))
        await author.click(menu, next(b["text"] for b in menu.buttons if BOT in b["text"]))
        card = await shown(author, f"@{BOT}", PLATFORM)
        await author.click(card, "📈 Показатели")
        dash = await shown(author, "показатели", PLATFORM)
        programs = await open_programs(author)
        assert not web_apps(card) and not web_apps(dash) and not web_apps(programs)
        assert runtime.http is None  # polling, no YooKassa, no web cabinet: no side server either


def web_apps(message) -> dict[str, str]:
    return {b["text"]: b["web_app"]["url"] for b in message.buttons if "web_app" in b}


async def test_the_platform_bots_webapp_buttons_and_its_login(tg, database_url, tmp_path):
    token = tracker_token(63)
    tg.add_bot(token, BOT, "Vera")
    author = tg.user(1063, "Anna", language_code="ru")
    stranger = tg.user(1064, "Oleg", language_code="ru")
    platform_id = PLATFORM_TOKEN.split(":")[0]
    settings = make_settings(tg, database_url, tmp_path, webhook_host="127.0.0.1", webhook_port=0,
                             webapp_base_url=BASE)
    async with running_platform(settings) as runtime, aiohttp.ClientSession() as http:
        await create_tracker(author, token, BOT)
        tracker = await Tracker.get(username=BOT)
        dashboard_url = f"{BASE}/app/platform/{platform_id}/dashboard/{tracker.id}"
        card = author.last_message(PLATFORM)
        assert web_apps(card) == {"📈 Показатели на странице": dashboard_url}
        await author.click(card, "📈 Показатели")
        dash = await shown(author, "показатели", PLATFORM)
        assert web_apps(dash) == {"📈 Показатели на странице": dashboard_url}
        programs = await open_programs(author)
        assert web_apps(programs) == {"📊 Программы на странице": f"{BASE}/app/platform/{platform_id}/programs"}

        # The pages log in with initData signed by the platform bot's token; the session is the author's.
        server = f"http://127.0.0.1:{runtime.http.port}"

        async def session_of(user_id: int) -> dict[str, str]:
            user = json.dumps({"id": user_id, "first_name": "Anna", "language_code": "ru"})
            init_data = sign_init_data({"user": user, "auth_date": str(int(time.time()))}, PLATFORM_TOKEN)
            async with http.post(f"{server}/app/platform/{platform_id}/session", json={"init_data": init_data}) as r:
                assert r.status == 200
                return {"Authorization": "Bearer " + (await r.json())["session"]}

        async with http.get(dashboard_url.replace(BASE, server)) as r:
            assert r.status == 200 and "dashboard.js" in await r.text()
        api = f"{server}/api/v1/trackers/{tracker.id}/dashboard"
        async with http.get(api, headers=await session_of(author.id)) as r:
            assert r.status == 200 and (await r.json())["name"] == tracker.name
        async with http.get(api, headers=await session_of(stranger.id)) as r:
            assert r.status == 404
        async with http.get(f"{server}/api/v1/programs", headers=await session_of(author.id)) as r:
            assert r.status == 200
        user = json.dumps({"id": author.id, "first_name": "Anna"})
        by_tracker_bot = sign_init_data({"user": user, "auth_date": str(int(time.time()))}, token)
        async with http.post(f"{server}/app/platform/{platform_id}/session", json={"init_data": by_tracker_bot}) as r:
            assert r.status == 401
