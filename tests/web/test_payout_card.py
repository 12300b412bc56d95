"""The Mini App's payout card page over real HTTP and in a real browser: YooKassa's widget (the
fake's, served like the real one) takes the card number; the page posts only the synonym and the
mask with its initData session; nothing else may save a card."""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import quote

import pytest

from billing import payouts as po
from models import PayoutCard
from services.web.tokens import create_token
from tests.fakes.yookassa_server import FakeYooKassa
from tests.fakes.yookassa_widget import TEST_CARD
from tests.web.conftest import BOX, PARTNER, Server, make_config
from tests.web.test_browser import artifacts, browser, signed  # noqa: F401 (fixtures)
from tests.web.test_login import init_data, login


@pytest.fixture
async def yk():
    async with FakeYooKassa() as fake:
        yield fake


@pytest.fixture
async def card_server(world, yk):
    config = dataclasses.replace(make_config(world), payout_widget_url=yk.widget_url, payout_account_id=yk.shop_id)
    s = Server(config)
    await s.start()
    yield s
    await s.runner.cleanup()


async def session_of(http, server, world) -> str:
    bot_id = world.tracker.bot_id
    status, body = await login(http, server, f"/app/tracker/{bot_id}/session",
                               {"init_data": init_data(world.tokens[bot_id])})
    assert status == 200
    return body["session"]


async def post_card(http, server, token: str | None, body) -> tuple[int, dict]:
    headers = {"Accept-Language": "ru", **({"Authorization": f"Bearer {token}"} if token else {})}
    async with http.post(server.url + "/app/payout-card", data=json.dumps(body), headers=headers) as r:
        return r.status, await r.json()


async def test_a_session_saves_the_widgets_token_and_mask(world, yk, card_server, http):
    session = await session_of(http, card_server, world)
    given = yk.payout_cards.issue(TEST_CARD)
    status, body = await post_card(http, card_server, session, {**given, "number": "ignored"})
    assert status == 200 and body["masked"] == "•••• 4477"
    card = await po.current_card(BOX, PARTNER)
    assert card.token == given["payout_token"] and card.last4 == "4477" and card.issuer == "Fake Bank"


async def test_anything_but_a_session_with_a_card_synonym_is_refused(world, yk, card_server, http):
    given = yk.payout_cards.issue(TEST_CARD)
    _, api_token = await create_token(PARTNER)
    assert (await post_card(http, card_server, api_token, given))[0] == 401  # the read-only API's token
    assert (await post_card(http, card_server, None, given))[0] == 401
    assert (await post_card(http, card_server, "gps1.forged.mac", given))[0] == 401
    session = await session_of(http, card_server, world)
    for bad in ({**given, "last4": "44"}, {**given, "payout_token": "<script>"}, {"number": TEST_CARD}, ["x"]):
        status, body = await post_card(http, card_server, session, bad)
        assert status == 400 and body["message"] == "Данные карты не подошли. Добавьте карту ещё раз.", bad
    assert await PayoutCard.all().count() == 0


async def test_the_page_lets_the_widget_in_and_the_config_names_it(world, yk, card_server, server, http):
    async with http.get(f"{card_server.url}/app/tracker/{world.tracker.bot_id}/card") as r:
        assert r.status == 200 and 'id="payout-form"' in await r.text()
        csp = r.headers["Content-Security-Policy"]
    assert f"script-src 'self' {yk.base_url}" in csp and f"frame-src {yk.base_url}" in csp
    async with http.get(card_server.url + "/app/card-config.json") as r:
        assert await r.json() == {"widget_url": yk.widget_url, "account_id": yk.shop_id}
    async with http.get(card_server.url + "/app/tracker/abc/card") as r:
        assert r.status == 404
    # Without the payout account (the `server` fixture): no widget, no card to save.
    async with http.get(server.url + "/app/card-config.json?lang=en") as r:
        assert r.status == 404 and (await r.json())["message"] == "Card payouts are not available right now."
    async with http.get(f"{server.url}/app/tracker/{world.tracker.bot_id}/card") as r:
        assert "frame-src 'none'" in r.headers["Content-Security-Policy"]
    session = await session_of(http, server, world)
    assert (await post_card(http, server, session, yk.payout_cards.issue(TEST_CARD)))[0] == 404


@pytest.mark.browser
async def test_in_a_browser_the_number_goes_to_the_widget_and_only_the_mask_comes_back(
        world, yk, card_server, browser, artifacts):
    bot_id = world.tracker.bot_id
    launch = f"tgWebAppData={quote(signed(world.tokens[bot_id]), safe='')}&tgWebAppVersion=8.0"
    page = await browser.new_page(viewport={"width": 420, "height": 700})
    sent: list[str] = []
    page.on("request", lambda r: sent.append(f"{r.url} {r.post_data or ''}"))
    await page.goto(f"{card_server.url}/app/tracker/{bot_id}/card#{launch}")
    await page.wait_for_selector("body[data-state=ready]", timeout=20_000)
    assert await page.text_content("h1") == "Карта для выплат"

    await page.fill("#yookassa-card-number", "5555 5555 5555 4478")  # one digit off: the widget says so
    await page.click("#yookassa-card-submit")
    await page.wait_for_selector("#yookassa-card-error:not([hidden])", timeout=20_000)
    assert await PayoutCard.all().count() == 0

    await page.fill("#yookassa-card-number", TEST_CARD)
    await page.click("#yookassa-card-submit")
    await page.wait_for_selector("body[data-state=saved]", timeout=20_000)
    assert await page.text_content("#masked") == "•••• 4477"
    await page.screenshot(path=str(artifacts / "payout-card.png"), full_page=True)
    card = await po.current_card(BOX, PARTNER)
    assert card is not None and card.token in yk.payout_cards.tokens and card.last4 == "4477"
    # The number went to YooKassa's address only, never to the platform's.
    ours = [s for s in sent if s.startswith(card_server.url)]
    assert ours and not any("5555555555554477" in s.replace(" ", "") for s in ours)
    assert any('"first6": "555555"' in s.replace('":"', '": "') for s in ours)  # the mask does come
    assert any("5555555555554477" in s.replace(" ", "") for s in sent if s.startswith(yk.base_url))
