"""The Mini App's login over real HTTP: initData signed by the bot in the URL gives a session
scoped to that user and bot; anything else is 401 and no session."""

from __future__ import annotations

import json
import time

from services.web.initdata import sign_init_data
from tests.web.conftest import PARTNER, PLATFORM_TOKEN


def init_data(token: str, user_id: int = PARTNER, *, age: int = 5) -> str:
    user = json.dumps({"id": user_id, "first_name": "Ира", "language_code": "en"})
    return sign_init_data({"user": user, "auth_date": str(int(time.time()) - age), "query_id": "q"}, token)


async def login(http, server, path: str, body) -> tuple[int, dict]:
    async with http.post(server.url + path, data=body if isinstance(body, str) else json.dumps(body)) as r:
        return r.status, await r.json()


async def test_a_genuine_login_gives_a_session_for_that_tracker_only(world, server, http):
    bot_id = world.tracker.bot_id
    status, body = await login(http, server, f"/app/tracker/{bot_id}/session",
                               {"init_data": init_data(world.tokens[bot_id])})
    assert status == 200 and body["user_id"] == PARTNER and body["lang"] == "en"
    headers = {"Authorization": "Bearer " + body["session"]}
    async with http.get(server.url + "/api/v1/me", headers=headers) as r:
        me = await r.json()
    assert (me["user_id"], me["scope_tracker_id"]) == (PARTNER, world.tracker.id)
    async with http.get(server.url + f"/api/v1/trackers/{world.other_tracker.id}/network", headers=headers) as r:
        assert r.status == 404


async def test_the_platform_bots_login_sees_every_tracker_of_the_person(world, server, http):
    status, body = await login(http, server, "/app/platform/5000/session", {"init_data": init_data(PLATFORM_TOKEN)})
    assert status == 200
    async with http.get(server.url + "/api/v1/me", headers={"Authorization": "Bearer " + body["session"]}) as r:
        assert (await r.json())["scope_tracker_id"] is None


async def test_forged_expired_other_bots_or_missing_init_data_is_401(world, server, http):
    bot_id = world.tracker.bot_id
    path = f"/app/tracker/{bot_id}/session"
    good = init_data(world.tokens[bot_id])
    forged = good.replace("%22id%22%3A+10", "%22id%22%3A+20")
    assert forged != good
    bad = [
        {"init_data": forged},
        {"init_data": init_data(world.tokens[bot_id], age=3601)},  # older than the window
        {"init_data": init_data(PLATFORM_TOKEN)},  # opened from the platform bot, replayed here
        {"init_data": ""},
        {},
        {"init_data": ["x"]},
        "not json",
    ]
    for body in bad:
        status, answer = await login(http, server, path, body)
        assert status == 401 and "session" not in answer, body
        assert answer["error"] == "webapp-refused" and "Telegram" in answer["message"]
    # The platform's login refuses a tracker's initData the same way.
    assert (await login(http, server, "/app/platform/5000/session", {"init_data": good}))[0] == 401


async def test_an_unknown_bot_or_a_forged_session_gets_nothing(world, server, http):
    status, _ = await login(http, server, "/app/tracker/424242/session", {"init_data": init_data("424242:x")})
    assert status == 404
    assert (await login(http, server, "/app/platform/5001/session", {"init_data": init_data(PLATFORM_TOKEN)}))[0] == 404
    status, body = await login(http, server, f"/app/tracker/{world.tracker.bot_id}/session",
                               {"init_data": init_data(world.tokens[world.tracker.bot_id])})
    prefix, payload, mac = body["session"].split(".")
    async with http.get(server.url + "/api/v1/me", headers={"Authorization": f"Bearer {prefix}.{payload}x.{mac}"}) as r:
        assert r.status == 401
