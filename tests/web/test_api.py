"""The REST API over real HTTP: every endpoint, its figures equal the chat cabinet's read model,
and every bad input (someone else's things, revoked tokens, the rate, bad parameters)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openapi_spec_validator import validate

from billing import partner as partner_money
from billing.commission import add_schedule
from billing.payouts import my_payouts
from referral import network
from services.web.tokens import active_tokens, create_token, revoke_token
from tests.web.conftest import BOX, PARTNER, RIVAL, STRANGER, Server, make_config


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def get(http, server, path: str, token: str, **params):
    async with http.get(server.url + path, headers=auth(token), params=params or None) as r:
        body = await (r.json() if r.content_type == "application/json" else r.text())
        return r.status, body, r.headers


async def test_the_document_is_valid_openapi_and_lists_every_route(server, http):
    async with http.get(server.url + "/api/openapi.json") as r:
        doc = await r.json()
    validate(doc)
    routes = {f"/{r.resource.canonical.lstrip('/')}" for r in server.app.router.routes()
              if r.resource and r.resource.canonical.startswith("/api/v1/")}
    assert routes == set(doc["paths"])


async def test_links_and_funnel_equal_the_cabinets(world, server, http):
    _, token = await create_token(PARTNER)
    status, body, _ = await get(http, server, f"/api/v1/trackers/{world.tracker.id}/links", token)
    assert status == 200
    expected = await partner_money.links_stats(world.tracker.id, PARTNER)
    assert [(i["id"], i["clicks"], i["starts"], i["paying"], i["revenue_kopecks"], i["earned_kopecks"])
            for i in body["items"]] == [(s.link_id, s.clicks, s.starts, s.paying, s.revenue_kopecks, s.earned_kopecks)
                                        for s in sorted(expected, key=lambda s: -s.link_id)]
    blog = next(i for i in body["items"] if i["label"] == "Blog")
    assert (blog["starts"], blog["paying"], blog["earned_kopecks"] > 0) == (5, 3, True)
    assert blog["url"] == f"https://t.me/vera_bot?start={blog['code']}"
    status, one, _ = await get(http, server, f"/api/v1/trackers/{world.tracker.id}/links/{blog['id']}", token)
    assert (status, one) == (200, blog)


async def test_the_network_lists_the_levels_the_schedule_in_force_pays(world, server, http):
    _, token = await create_token(PARTNER)
    path = f"/api/v1/trackers/{world.tracker.id}/network"
    _, three, _ = await get(http, server, path, token)
    assert [i["level"] for i in three["items"]] == [1, 2, 3]
    await add_schedule({"platform": Decimal(15), "author": Decimal(20), "levels": [Decimal(30), Decimal(20),
                                                                                Decimal(10), Decimal(5)]})
    _, four, _ = await get(http, server, path, token)
    deeper = (await network(world.tracker.id, PARTNER, depth=4)).levels
    assert four["items"] == [{"level": lv.level, "people": lv.people, "paying": lv.paying} for lv in deeper]
    assert [i["level"] for i in four["items"]] == [1, 2, 3, 4]


async def test_cursor_pagination_walks_every_item_once(world, server, http):
    _, token = await create_token(PARTNER)
    seen, cursor = [], None
    while True:
        params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        status, body, _ = await get(http, server, "/api/v1/accruals", token, **params)
        assert status == 200 and len(body["items"]) <= 1
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    _, whole, _ = await get(http, server, "/api/v1/accruals", token, limit="200")
    assert seen == [i["id"] for i in whole["items"]] and len(seen) >= 4
    settled = await partner_money.settled_by_level(None, PARTNER)
    assert sum(i["amount_kopecks"] for i in whole["items"]) == settled.total


async def test_statements_earnings_network_payouts_equal_the_read_model(world, server, http):
    _, token = await create_token(PARTNER)
    tid = world.tracker.id
    _, body, _ = await get(http, server, f"/api/v1/trackers/{tid}/statements", token, months="36", limit="200")
    months = await partner_money.monthly_earnings_by_level(tid, PARTNER, months=36, tz="Europe/Moscow")
    assert [(i["month"], i["l1_kopecks"], i["total_kopecks"]) for i in body["items"]] == \
        [(m.month, m.amounts.l1, m.amounts.total) for m in reversed(months)]
    assert sum(i["total_kopecks"] for i in body["items"]) > 0
    _, page1, _ = await get(http, server, f"/api/v1/trackers/{tid}/statements", token, months="36", limit="2")
    _, page2, _ = await get(http, server, f"/api/v1/trackers/{tid}/statements", token, months="36", limit="2",
                            cursor=page1["next_cursor"])
    assert [i["month"] for i in page1["items"] + page2["items"]] == [i["month"] for i in body["items"][:4]]

    _, e, _ = await get(http, server, f"/api/v1/trackers/{tid}/earnings", token)
    expected = await partner_money.earnings(tid, PARTNER)
    assert (e["settled"]["total_kopecks"], e["settled"]["l1_kopecks"]) == (expected.settled.total, expected.settled.l1)

    _, net, _ = await get(http, server, f"/api/v1/trackers/{tid}/network", token)
    levels = (await network(tid, PARTNER)).levels
    assert net["items"] == [{"level": lv.level, "people": lv.people, "paying": lv.paying} for lv in levels]

    _, pay, _ = await get(http, server, "/api/v1/payouts", token)
    mine = await my_payouts(BOX, PARTNER)
    assert [(i["id"], i["amount_kopecks"], i["destination"]) for i in pay["items"]] == \
        [(v.id, v.amount_kopecks, v.masked) for v in mine]
    assert "4111" not in str(pay)

    _, me, _ = await get(http, server, "/api/v1/me", token)
    b = await partner_money.balance(PARTNER)
    assert (me["balance"]["available_kopecks"], me["balance"]["reserved_kopecks"]) == (b.available, b.reserved)
    assert [t["id"] for t in me["trackers"]] == [tid]


async def test_every_list_has_a_csv_variant(world, server, http):
    _, token = await create_token(RIVAL)
    tid = world.tracker.id
    for path in (f"/api/v1/trackers/{tid}/links", f"/api/v1/trackers/{tid}/statements",
                 f"/api/v1/trackers/{tid}/network", "/api/v1/accruals", "/api/v1/payouts"):
        async with http.get(server.url + path, headers=auth(token), params={"format": "csv"}) as r:
            assert r.status == 200 and r.content_type == "text/csv", path
            rows = list(csv.reader(io.StringIO(await r.text())))
        assert rows and not any(c.endswith("_text") for c in rows[0]), path
    _, text, _ = await get(http, server, f"/api/v1/trackers/{tid}/links", token, format="csv")
    assert "'=rival" in text  # a label is never a formula in a spreadsheet


async def test_another_partners_link_or_a_foreign_tracker_is_404(world, server, http):
    _, token = await create_token(PARTNER)
    tid = world.tracker.id
    other = world.other_tracker.id
    for path in (f"/api/v1/trackers/{tid}/links/{world.rival_link}", f"/api/v1/trackers/{tid}/links/999999",
                 f"/api/v1/trackers/{other}/links", f"/api/v1/trackers/{other}/statements",
                 "/api/v1/trackers/999999/network"):
        status, body, _ = await get(http, server, path, token)
        assert (status, body["error"]) == (404, "not-found"), path
    status, _, _ = await get(http, server, "/api/v1/accruals", token, tracker_id=str(world.other_tracker.id))
    assert status == 404
    # A token narrowed to one tracker sees nothing of another, even one the person is in.
    _, narrow = await create_token(STRANGER, world.other_tracker.id)
    status, _, _ = await get(http, server, f"/api/v1/trackers/{world.tracker.id}/links", narrow)
    assert status == 404


async def test_a_revoked_token_is_refused_at_once_and_bad_tokens_too(world, server, http):
    row, token = await create_token(PARTNER)
    assert (await get(http, server, "/api/v1/me", token))[0] == 200
    assert await revoke_token(PARTNER, row.id)
    status, body, headers = await get(http, server, "/api/v1/me", token)
    assert (status, headers["WWW-Authenticate"]) == (401, "Bearer") and "Bearer" in body["message"]
    assert not await revoke_token(RIVAL, row.id) and await active_tokens(PARTNER) == []
    for bad in ("", "gpt_nonsense", token + "x", "s1.abc.def"):
        assert (await get(http, server, "/api/v1/me", bad))[0] == 401


async def test_over_the_rate_is_429_with_retry_after(world, http):
    server = Server(make_config(world, rate=3))
    await server.start()
    try:
        _, token = await create_token(PARTNER)
        _, other = await create_token(RIVAL)
        statuses = [(await get(http, server, "/api/v1/me", token))[0] for _ in range(3)]
        status, body, headers = await get(http, server, "/api/v1/me", token)
        assert statuses == [200, 200, 200] and status == 429
        assert int(headers["Retry-After"]) >= 1 and headers["Retry-After"] in body["message"]
        assert (await get(http, server, "/api/v1/me", other))[0] == 200  # per token
    finally:
        await server.runner.cleanup()


async def test_bad_query_parameters_are_400_with_a_message(world, server, http):
    _, token = await create_token(PARTNER)
    tid = world.tracker.id
    cases = [
        ("/api/v1/accruals", {"limit": "0"}, "limit"),
        ("/api/v1/accruals", {"limit": "201"}, "limit"),
        ("/api/v1/accruals", {"limit": "ten"}, "limit"),
        ("/api/v1/accruals", {"cursor": "-1"}, "cursor"),
        ("/api/v1/accruals", {"cursor": "9" * 70}, "cursor"),
        ("/api/v1/accruals", {"format": "xml"}, "format"),
        ("/api/v1/accruals", {"colour": "red"}, "colour"),
        ("/api/v1/accruals", {"tracker_id": "x1"}, "tracker_id"),
        (f"/api/v1/trackers/{tid}/statements", {"months": "37"}, "months"),
        (f"/api/v1/trackers/{tid}/statements", {"cursor": "2025-13"}, "cursor"),
        ("/api/v1/payouts", {"cursor": "x" * 2000}, "query"),
        (f"/api/v1/trackers/{tid}/links", {"archived": "maybe"}, "archived"),
    ]
    for path, params, name in cases:
        status, body, _ = await get(http, server, path, token, **params)
        assert (status, body["error"]) == (400, "parameter"), (path, params)
        assert f'"{name}"' in body["message"] or f"«{name}»" in body["message"], body
    async with http.get(server.url + "/api/v1/accruals?limit=1&limit=2", headers=auth(token)) as r:
        assert r.status == 400
    status, body, _ = await get(http, server, "/api/v1/accruals", token, limit="0", lang="ru")
    assert "Параметр «limit»" in body["message"]
