"""The Mini App in a real browser: Debian's chromium, headless, driven by Playwright (which never
downloads a browser here). A correctly signed initData shows the seeded partner's cabinet, whose
figures equal the chat cabinet's getters for the same account, before and after the period
filter changes; a forged one shows the refusal. Screenshots go to $ARTIFACTS_DIR (or the test's
tmp dir), and with UPDATE_DOCS_SCREENSHOTS=1 into docs/ for the README.

Without /usr/bin/chromium the test skips, except in CI (CI=true), where it fails: .ci/browser.sh
installs it there."""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest

from billing.partner.earnings import month_labels
from dialogs.tracker.partner import getters as chat
from dialogs.tracker.payouts import getters as payouts_chat
from i18n.catalog import translator
from i18n.format import month_of
from models import User
from services.web.initdata import sign_init_data
from tests.web.conftest import PARTNER, Server, make_config, seed

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
DOCS = Path(__file__).resolve().parents[2] / "docs"
THEME = {"bg_color": "#ffffff", "text_color": "#222222", "hint_color": "#8a8f98", "button_color": "#3390ec",
         "button_text_color": "#ffffff", "secondary_bg_color": "#f0f2f5", "link_color": "#3390ec"}


def _need_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{CHROMIUM} is missing in CI: .ci/browser.sh should have installed Debian's chromium")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium, or .ci/browser.sh)")


@pytest.fixture
def artifacts(tmp_path) -> Path:
    path = Path(os.environ.get("ARTIFACTS_DIR") or tmp_path) / "miniapp"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
async def browser():
    _need_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            await b.close()


def page_url(server: Server, bot_id: int, init_data: str) -> str:
    launch = f"tgWebAppData={quote(init_data, safe='')}&tgWebAppVersion=8.0&tgWebAppPlatform=tdesktop" \
             f"&tgWebAppThemeParams={quote(json.dumps(THEME), safe='')}"
    return f"{server.url}/app/tracker/{bot_id}#{launch}"


def signed(token: str, user_id: int = PARTNER) -> str:
    user = json.dumps({"id": user_id, "first_name": "Ира", "language_code": "ru"}, ensure_ascii=False)
    return sign_init_data({"user": user, "auth_date": str(int(time.time())), "query_id": "AAq"}, token)


async def texts(page, selector: str) -> list[list[str]]:
    cells = "rows => rows.map(r => Array.from(r.children).map(c => c.textContent))"
    return await page.eval_on_selector_all(selector, cells)


async def chart_pixels(page) -> int:
    return await page.evaluate("""() => {
        const c = document.querySelector('#chart canvas');
        if (!c || !c.width || !c.height) return 0;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
        return n; }""")


async def test_the_cabinet_page_shows_the_chat_cabinets_figures(database, browser, artifacts):
    now = datetime.now(UTC)
    start = now - timedelta(days=150)
    world = await seed(start, [start + timedelta(days=d) for d in (40, 75, 110)] + [now])
    server = Server(make_config(world))
    await server.start()
    try:
        page = await browser.new_page(viewport={"width": 420, "height": 900}, device_scale_factor=2)
        await page.goto(page_url(server, world.tracker.bot_id, signed(world.tokens[world.tracker.bot_id])))
        await page.wait_for_selector("body[data-state=ready]", timeout=20_000)

        i18n, user = translator("ru"), await User.get(id=PARTNER)
        manager = SimpleNamespace(dialog_data={}, middleware_data={})
        settings = SimpleNamespace(commission=None, timezone="Europe/Moscow")
        # The chat shows the balance (one over all trackers) on its "Balance and payouts" screen.
        main = await payouts_chat.main_getter(manager, SimpleNamespace(min_kopecks=0), user, i18n)
        for key in ("available", "accrued", "reserved", "paid"):
            assert await page.text_content(f'[data-k="balance.{key}"]') == main[key], key

        shown = await page.eval_on_selector_all("#links .link", """cards => cards.map(c => [+c.dataset.link,
            c.querySelector('.label').textContent, ...['clicks', 'starts', 'paying', 'revenue', 'earned']
            .map(f => c.querySelector(`[data-f="${f}"] b`).textContent)])""")
        expected = []
        for link_id, *_ in shown:
            card = await chat.link_getter(SimpleNamespace(dialog_data={"link_id": link_id}, middleware_data={}),
                                          world.tracker, user, i18n)
            expected.append([link_id, card["label"], str(card["clicks"]), str(card["starts"]), str(card["paying"]),
                             card["revenue"], card["earned"]])
        assert shown == expected and len(expected) == 2

        earnings = await chat.earnings_getter(manager, world.tracker, user, i18n, settings)
        total = (await texts(page, '#levels tbody tr[data-level="total"]'))[0]
        assert total[1:] == [earnings["settled_total"], earnings["forecast_total"]]
        months = await texts(page, "#months tbody tr")
        as_chat = [i18n("partner-month-line", month=m, total=t, levels=" · ".join(
            i18n("partner-month-level", level=n, amount=x) for n, x in enumerate(amounts, start=1)))
            for m, t, *amounts in months]
        assert "\n".join(as_chat) == earnings["months_text"] and len(months) >= 2
        assert await chart_pixels(page) > 500

        network = await chat.network_getter(manager, world.tracker, user, i18n, settings)
        levels = await texts(page, "#network tbody tr")  # level, people, paying
        assert [i18n("partner-network-level", level=n, people=int(people), paying=int(paying))
                for n, (_, people, paying) in enumerate(levels, start=1)] == network["levels"].splitlines()
        assert len(levels) == 3
        assert len(await texts(page, "#payouts tbody tr")) == 2
        await page.screenshot(path=str(artifacts / "cabinet.png"), full_page=True)

        # The period filter: three months are the chat's lines of those months, the chart redrawn.
        await page.click('.period button[data-months="3"]')
        await page.wait_for_selector('#months[data-months="3"]', timeout=10_000)
        await page.wait_for_selector("body[data-state=ready]", timeout=10_000)
        window = {month_of(label, "ru") for label in month_labels(3, now, "Europe/Moscow")}
        short = await texts(page, "#months tbody tr")
        assert short == [m for m in months if m[0] in window] and len(short) < len(months)
        assert await chart_pixels(page) > 500
        await page.screenshot(path=str(artifacts / "cabinet-3-months.png"), full_page=True)
        if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
            shutil.copy(artifacts / "cabinet.png", DOCS / "miniapp-cabinet.png")
    finally:
        await server.runner.cleanup()


async def test_a_forged_init_data_shows_the_refusal_and_nothing_else(database, browser, artifacts):
    world = await seed()
    server = Server(make_config(world))
    await server.start()
    try:
        page = await browser.new_page(viewport={"width": 420, "height": 500})
        forged = signed(world.tokens[world.tracker.bot_id]).replace("%22id%22%3A+10", "%22id%22%3A+20")
        await page.goto(page_url(server, world.tracker.bot_id, forged))
        await page.wait_for_selector("body[data-state=refused]", timeout=20_000)
        assert translator("ru")("webapp-refused") == (await page.text_content("#refused")).strip()
        assert await page.is_hidden("#cabinet")
        assert await page.text_content('[data-k="balance.available"]') == ""
        await page.screenshot(path=str(artifacts / "refused.png"))
        if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
            shutil.copy(artifacts / "refused.png", DOCS / "miniapp-refused.png")
    finally:
        await server.runner.cleanup()


def test_without_chromium_it_skips_outside_ci_and_fails_in_ci(monkeypatch, tmp_path):
    import tests.web.test_browser as me

    monkeypatch.setattr(me, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        me._need_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="missing in CI"):
        me._need_chromium()
