"""GET /api/v1/trackers/{id}/periods: the chat cabinet's statement of settled periods over HTTP,
from the same read model (billing.partner.statement), page by page, the person's own only."""

from __future__ import annotations

import csv
import io

from billing.partner import settled_by_level, statement
from services.web.tokens import create_token
from tests.web.conftest import PARTNER, RIVAL
from tests.web.test_api import get


async def test_the_periods_are_the_statements_lines_page_by_page(world, server, http):
    _, token = await create_token(PARTNER)
    path = f"/api/v1/trackers/{world.tracker.id}/periods"
    seen, cursor = [], None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        status, body, _ = await get(http, server, path, token, **params)
        assert status == 200 and len(body["items"]) <= 2
        seen += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            break
    lines = await statement.settled_lines(world.tracker.id, PARTNER, limit=1000)
    assert [(i["id"], i["client"], i["branch"], i["role"], i["margin_kopecks"], i["share_kopecks"]) for i in seen] == \
        [(line.entry_id, line.client, line.branch, line.role, line.margin_kopecks, line.amount_kopecks)
         for line in lines]
    assert len(seen) >= 4 and {i["role"] for i in seen} == {"l1"} and all(i["client"] for i in seen)
    assert sum(i["share_kopecks"] for i in seen) == (await settled_by_level(world.tracker.id, PARTNER)).total
    page = await statement.settled_page(world.tracker.id, PARTNER, per_page=100)
    assert page.count == len(seen) and page.total_kopecks == sum(i["share_kopecks"] for i in seen)


async def test_the_period_filter_a_csv_and_nothing_of_another_partner(world, server, http):
    _, token = await create_token(PARTNER)
    path = f"/api/v1/trackers/{world.tracker.id}/periods"
    status, body, _ = await get(http, server, path, token, period="month")
    assert (status, body["items"]) == (200, [])  # the world was settled in 2025
    status, body, _ = await get(http, server, path, token, period="week")
    assert (status, body["error"]) == (400, "parameter")
    _, mine, _ = await get(http, server, path, token, limit="200")
    _, rival_token = await create_token(RIVAL)
    _, theirs, _ = await get(http, server, path, rival_token, limit="200")
    assert not {i["id"] for i in mine["items"]} & {i["id"] for i in theirs["items"]}
    status, text, headers = await get(http, server, path, token, format="csv", limit="200")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [int(row["id"]) for row in rows] == [i["id"] for i in mine["items"]]
    status, body, _ = await get(http, server, f"/api/v1/trackers/{world.other_tracker.id}/periods", token)
    assert (status, body["error"]) == (404, "not-found")
