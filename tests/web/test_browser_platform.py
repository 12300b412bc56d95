"""The Mini App pages the platform bot opens, in a real browser (Debian's chromium, headless, as
test_browser.py): with initData signed by the PLATFORM bot's token, the author's dashboard shows
the chat dashboard's figures, before and after the period filter changes; "My partner programs"
shows the chat screen's; its tracker opens the partner cabinet, where a link's QR code is the
link's. A forged initData and another author's tracker show the refusal and nothing else.
Screenshots go to $ARTIFACTS_DIR (or the test's tmp dir), with UPDATE_DOCS_SCREENSHOTS=1 into docs/."""

from __future__ import annotations

import base64
import json
import os
import shutil
from datetime import UTC, datetime
from types import SimpleNamespace
from urllib.parse import quote

import pytest

from dialogs.platform.programs.getters import programs_getter
from dialogs.platform.trackers.dashboard import dashboard_getter
from i18n.catalog import translator
from models import InviteLink, User
from services.trackers import TrackerService
from tests.web.conftest import AUTHOR, PARTNER, PLATFORM_TOKEN, Server, make_config, seed_recent
from tests.web.qr_modules import modules, symbol_of
from tests.web.test_browser import DOCS, THEME, artifacts, browser, chart_pixels, signed, texts  # noqa: F401

pytestmark = pytest.mark.browser

SETTINGS = SimpleNamespace(commission=None, timezone="Europe/Moscow", webapp_base_url=None, bot_id=5000)
READY = "body[data-state=ready]"


def platform_url(server: Server, path: str, init_data: str) -> str:
    launch = (f"tgWebAppData={quote(init_data, safe='')}&tgWebAppVersion=8.0&tgWebAppPlatform=tdesktop"
              f"&tgWebAppThemeParams={quote(json.dumps(THEME), safe='')}")
    return f"{server.url}/app/platform/5000{path}#{launch}"


@pytest.fixture
async def world(database):
    return await seed_recent(datetime.now(UTC))


@pytest.fixture
async def server(world):
    s = Server(make_config(world))
    await s.start()
    yield s
    await s.runner.cleanup()


def keep(artifacts, name: str, docs_name: str) -> None:
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        shutil.copy(artifacts / name, DOCS / docs_name)


async def test_the_dashboard_page_shows_the_chat_dashboards_figures(world, server, browser, artifacts):
    page = await browser.new_page(viewport={"width": 420, "height": 900}, device_scale_factor=2)
    await page.goto(platform_url(server, f"/dashboard/{world.tracker.id}", signed(PLATFORM_TOKEN, AUTHOR)))
    await page.wait_for_selector(READY, timeout=20_000)

    i18n = translator("ru")
    manager = SimpleNamespace(start_data={"tracker_id": world.tracker.id}, dialog_data={}, middleware_data={})
    chat = await dashboard_getter(manager, TrackerService(None), await User.get(id=AUTHOR), i18n, SETTINGS)  # type: ignore[arg-type]

    async def shown(key: str) -> str:
        return await page.text_content(f'[data-k="{key}"]') or ""

    months = await texts(page, "#months tbody tr")
    top = await texts(page, "#top tbody tr")

    def month(row: list[str]) -> str:
        return i18n("dashboard-month", month=row[0], new=row[1], churned=row[2], revenue=row[3], cost=row[4],
                    margin=row[5])

    # The chat's message, written from the page's figures, is the chat's message.
    as_chat = i18n(
        "dashboard", name=await shown("name"), active=await shown("active"), this=month(months[0]),
        last=month(months[1]), clients=await shown("clients"), median=await shown("median"),
        p90=await shown("p90"), estimate=await shown("estimate"),
        top="\n".join(i18n("dashboard-top-line", name=n, cost=c) for n, c in top) or "—",
        settled=await shown("settled"), forecast=await shown("forecast"),
    )  # fmt: skip
    assert as_chat == chat["dashboard"]
    assert len(months) == 12 and len(top) == 2 and await chart_pixels(page) > 500
    await page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)

    # The period filter: three months, the same first three rows, the chart redrawn.
    await page.click('.period button[data-months="3"]')
    await page.wait_for_selector('#months[data-months="3"]', timeout=10_000)
    await page.wait_for_selector(READY, timeout=10_000)
    assert await texts(page, "#months tbody tr") == months[:3]
    assert await chart_pixels(page) > 500
    keep(artifacts, "dashboard.png", "miniapp-dashboard.png")


QR_PNG = """() => {  // the QR image as shown, drawn at its own size and read back as PNG
    const img = document.querySelector('img.qr'), c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    c.getContext('2d').drawImage(img, 0, 0);
    return c.toDataURL('image/png').split(',')[1]; }"""


async def test_programs_then_the_cabinet_with_a_links_qr_code(world, server, browser, artifacts):
    page = await browser.new_page(viewport={"width": 420, "height": 900}, device_scale_factor=2)
    await page.goto(platform_url(server, "/programs", signed(PLATFORM_TOKEN, PARTNER)))
    await page.wait_for_selector(READY, timeout=20_000)

    i18n = translator("ru")
    chat = await programs_getter(SimpleNamespace(), await User.get(id=PARTNER), i18n, SETTINGS)  # type: ignore[arg-type]
    cards = await page.eval_on_selector_all("#programs .program", """cards => cards.map(c => ({
        role: c.dataset.role, status: c.dataset.status, url: c.dataset.cabinet,
        name: c.querySelector('.name').textContent, username: c.querySelector('.username').textContent,
        ...Object.fromEntries(['settled', 'forecast', 'links']
            .map(f => [f, c.querySelector(`[data-f="${f}"] b`).textContent]))}))""")
    as_chat = "\n\n".join(i18n("programs-line", name=c["name"], username=c["username"], role=c["role"],
                               status=c["status"], settled=c["settled"], forecast=c["forecast"],
                               links=int(c["links"]), links_text=c["links"], url=c["url"]) for c in cards)
    assert as_chat == chat["programs_text"] and len(cards) == 1
    for key in ("available", "accrued", "reserved", "paid"):
        assert await page.text_content(f'[data-k="balance.{key}"]') == chat[key], key
    await page.screenshot(path=str(artifacts / "programs.png"), full_page=True)
    keep(artifacts, "programs.png", "miniapp-programs.png")

    # The program opens the partner cabinet on its tracker, logged in with the same initData.
    await page.click(f'button[data-open="{world.tracker.id}"]')
    await page.wait_for_url(f"**/app/platform/5000?tracker={world.tracker.id}#*", timeout=10_000)
    await page.wait_for_selector(READY, timeout=20_000)
    blog = await InviteLink.get(id=world.links["Blog"])
    await page.click(f'button[data-qr="{blog.id}"]')
    await page.wait_for_function("() => { const i = document.querySelector('img.qr');"
                                 " return !!i && i.complete && i.naturalWidth > 0; }", timeout=10_000)
    shown = modules(base64.b64decode(await page.evaluate(QR_PNG)))
    assert shown == symbol_of(f"https://t.me/vera_bot?start={blog.code}")
    await page.locator(f'[data-link="{blog.id}"]').screenshot(path=str(artifacts / "qr.png"))
    keep(artifacts, "qr.png", "miniapp-qr.png")


async def test_a_forged_init_data_or_another_authors_tracker_shows_only_the_refusal(world, server, browser,
                                                                                     artifacts):
    i18n = translator("ru")
    forged = signed(PLATFORM_TOKEN, AUTHOR).replace("%22id%22%3A+1%2C", "%22id%22%3A+40%2C")
    assert forged != signed(PLATFORM_TOKEN, AUTHOR)
    for path, init_data, message in (
        (f"/dashboard/{world.tracker.id}", forged, i18n("webapp-refused")),
        (f"/dashboard/{world.tracker.id}", signed(world.tokens[world.tracker.bot_id], AUTHOR), i18n("webapp-refused")),
        (f"/dashboard/{world.other_tracker.id}", signed(PLATFORM_TOKEN, AUTHOR), i18n("api-error-not-found")),
        ("/programs", forged, i18n("webapp-refused")),
    ):
        page = await browser.new_page(viewport={"width": 420, "height": 500})
        await page.goto(platform_url(server, path, init_data))
        await page.wait_for_selector("body[data-state=refused]", timeout=20_000)
        assert (await page.text_content("#refused") or "").strip() == message, path
        assert await page.is_hidden(".page")
        assert not any(await page.eval_on_selector_all("[data-k]", "nodes => nodes.map(n => n.textContent)"))
        await page.close()
