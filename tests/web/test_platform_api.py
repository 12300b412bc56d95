"""The Mini App pages the platform bot opens, over real HTTP: a login with the PLATFORM bot's
initData reaches the author's dashboard of their own tracker only (another author's is 404),
"My partner programs" with the chat screen's read model, and each link's QR code, the owner's
only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from billing import partner as partner_money
from billing.commission import schedule_in_force
from billing.dashboard import author_dashboard, recent_months
from models import InviteLink
from tests.web.conftest import AUTHOR, PARTNER, PLATFORM_TOKEN, RIVAL, STRANGER, seed_recent
from tests.web.qr_modules import modules, symbol_of
from tests.web.test_login import init_data, login


@pytest.fixture
async def world(database):
    return await seed_recent(datetime.now(UTC))


async def platform_session(http, server, user_id: int) -> dict[str, str]:
    body = {"init_data": init_data(PLATFORM_TOKEN, user_id)}
    status, body = await login(http, server, "/app/platform/5000/session", body)
    assert status == 200 and body["user_id"] == user_id
    return {"Authorization": "Bearer " + body["session"]}


async def get(http, server, path: str, headers, **params):
    async with http.get(server.url + path, headers=headers, params=params or None) as r:
        body = await (r.json() if r.content_type == "application/json" else r.read())
        return r.status, body, r.content_type


async def test_the_authors_dashboard_is_the_read_models_and_only_theirs(world, server, http):
    author = await platform_session(http, server, AUTHOR)
    status, body, _ = await get(http, server, f"/api/v1/trackers/{world.tracker.id}/dashboard", author, months="3")
    assert status == 200
    now = datetime.now(UTC)
    dash = await author_dashboard(world.tracker, now, "Europe/Moscow")
    months = await recent_months(world.tracker, now, "Europe/Moscow", 3)
    assert (body["active"], body["settled_kopecks"], body["forecast_kopecks"], body["clients_with_cost"]) == \
        (dash.active, dash.settled_kopecks, dash.forecast_kopecks, dash.clients_with_cost)
    assert (dash.active, dash.clients_with_cost, len(dash.top)) == (2, 2, 2) and dash.settled_kopecks > 0
    assert [(m["month"], m["new"], m["churned"], m["revenue_kopecks"], m["token_cost_kopecks"], m["margin_kopecks"])
            for m in body["months"]] == [(m.label, m.new, m.churned, m.revenue_kopecks, m.token_cost_kopecks,
                                          m.margin_kopecks) for m in months]
    assert [m.label for m in months[:2]] == [dash.this.label, dash.last.label]
    assert (months[0], months[1]) == (dash.this, dash.last)  # the period filter's months are the chat's

    # A partner of the tracker, someone else, or the author on another author's tracker: 404, no figures.
    for who, tracker_id in ((PARTNER, world.tracker.id), (STRANGER, world.tracker.id),
                            (AUTHOR, world.other_tracker.id), (AUTHOR, 999_999)):
        status, body, _ = await get(http, server, f"/api/v1/trackers/{tracker_id}/dashboard",
                                    await platform_session(http, server, who))
        assert status == 404 and set(body) == {"error", "message"}, (who, tracker_id)
    for bad in ("1", "37", "x", "9" * 70):
        status, body, _ = await get(http, server, f"/api/v1/trackers/{world.tracker.id}/dashboard", author, months=bad)
        assert status == 400 and body["error"] == "parameter", bad
    status, _, _ = await get(http, server, f"/api/v1/trackers/{world.tracker.id}/dashboard", {})
    assert status == 401


async def test_programs_are_the_chat_screens_read_model(world, server, http):
    partner = await platform_session(http, server, PARTNER)
    status, body, _ = await get(http, server, "/api/v1/programs", partner)
    assert status == 200
    expected = await partner_money.programs(PARTNER, schedule=await schedule_in_force(), tz="Europe/Moscow")
    assert [(i["tracker_id"], i["is_author"], i["links"], i["settled_total_kopecks"], i["forecast_total_kopecks"],
             i["settled_l1_kopecks"]) for i in body["items"]] == \
        [(p.tracker_id, p.is_author, p.links, p.settled.total, p.forecast.total, p.settled.l1) for p in expected]
    assert body["items"][0]["tracker_id"] == world.tracker.id and body["items"][0]["links"] == 2
    assert body["items"][0]["cabinet_url"] == "https://t.me/vera_bot?start=partner"
    assert "settled_l3_kopecks" in body["items"][0] and "settled_l4_kopecks" not in body["items"][0]  # no money there
    status, body, _ = await get(http, server, "/api/v1/programs", await platform_session(http, server, STRANGER))
    assert (status, body["items"]) == (200, [])
    status, text, kind = await get(http, server, "/api/v1/programs", partner, format="csv")
    assert status == 200 and kind == "text/csv" and b"settled_total_kopecks" in text and b"_text" not in text


async def test_a_links_qr_code_is_its_address_and_its_owners_only(world, server, http):
    partner = await platform_session(http, server, PARTNER)
    blog = await InviteLink.get(id=world.links["Blog"])
    status, png, kind = await get(http, server, f"/api/v1/trackers/{world.tracker.id}/links/{blog.id}/qr", partner)
    assert (status, kind) == (200, "image/png")
    assert modules(png) == symbol_of(f"https://t.me/vera_bot?start={blog.code}")
    assert modules(png) != symbol_of(f"https://t.me/vera_bot?start={blog.code}x")

    rival = await platform_session(http, server, RIVAL)
    for headers, tracker_id, link_id in (
        (rival, world.tracker.id, blog.id),  # another partner's link
        (partner, world.tracker.id, world.rival_link),
        (partner, world.other_tracker.id, blog.id),  # the right link under a tracker the person is not in
        (partner, world.tracker.id, 999_999),
    ):
        status, body, _ = await get(http, server, f"/api/v1/trackers/{tracker_id}/links/{link_id}/qr", headers)
        assert status == 404 and body["error"] == "not-found", (tracker_id, link_id)
    status, _, _ = await get(http, server, f"/api/v1/trackers/{world.tracker.id}/links/{blog.id}/qr", {})
    assert status == 401


async def test_the_pages_the_platform_bot_opens(world, server, http):
    for path, script in ((f"/app/platform/5000/dashboard/{world.tracker.id}", "dashboard.js"),
                         ("/app/platform/5000/programs", "programs.js"), ("/app/platform/5000", "cabinet.js")):
        async with http.get(server.url + path) as r:
            page = await r.text()
            assert r.status == 200 and script in page and "miniapp.js" in page, path
            assert "img-src 'self' data: blob:" in r.headers["Content-Security-Policy"]
    for path in ("/app/platform/5000/dashboard/x", "/app/platform/5000/dashboard/", "/app/platform/5000/other",
                 "/app/static/dashboard.js.map"):
        async with http.get(server.url + path) as r:
            assert r.status == 404, path


async def test_the_periods_months_are_each_counted_as_the_chats_month(world):
    """The Mini App's months are the chat dashboard's months (this and last month equal the
    dashboard's), and over seven months they add up to what the world holds, in every time
    zone's month bounds."""
    now = datetime.now(UTC)
    for tz in ("Europe/Moscow", "UTC", "America/Los_Angeles"):
        months = await recent_months(world.tracker, now, tz, 7)
        chat = await author_dashboard(world.tracker, now, tz)
        assert (months[0], months[1]) == (chat.this, chat.last), tz
        assert sum(m.new for m in months) == 8 and sum(m.revenue_kopecks for m in months) > 0
        assert sum(m.churned for m in months) > 0 and sum(m.token_cost_kopecks for m in months) == 15_00


async def test_every_text_the_new_pages_use_is_in_both_catalogs(world, server, http):
    import re
    from pathlib import Path

    static = Path(__file__).resolve().parents[2] / "services" / "web" / "static"
    used = set()
    for name in ("dashboard.html", "programs.html"):
        used |= set(re.findall(r'data-t="([a-z0-9-]+)"', (static / name).read_text(encoding="utf-8")))
    for name in ("dashboard.js", "programs.js", "cabinet.js"):
        script = (static / name).read_text(encoding="utf-8")
        used |= set(re.findall(r'T\["(webapp-[a-z0-9-]+)"\]', script))
        used |= {f"webapp-programs-{role}" for role in ("author", "partner")} if name == "programs.js" else set()
    assert {"webapp-qr", "webapp-dash-title", "webapp-programs-title"} <= used
    for lang in ("ru", "en"):
        async with http.get(f"{server.url}/app/messages/{lang}.json") as r:
            texts = await r.json()
        assert used <= {k for k, v in texts.items() if v}, (lang, used - set(texts))
