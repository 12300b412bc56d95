"""The Mini App's files and texts over HTTP: only what is there, the chart library from here."""

from __future__ import annotations

from pathlib import Path

from i18n.catalog import translator

STATIC = Path(__file__).resolve().parents[2] / "services" / "web" / "static"


async def test_the_page_its_files_and_nothing_else(world, server, http):
    async with http.get(f"{server.url}/app/tracker/{world.tracker.bot_id}") as r:
        assert r.status == 200 and "cabinet.js" in await r.text()
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    for name, kind in (("uplot.min.js", "text/javascript"), ("cabinet.js", "text/javascript"),
                       ("cabinet.css", "text/css")):
        async with http.get(f"{server.url}/app/static/{name}") as r:
            assert (r.status, r.content_type) == (200, kind), name
    for path in ("/app/static/uplot.LICENSE.txt", "/app/static/..%2Fserver.py", "/app/static/nothing.js",
                 "/app/robots/1", "/app/tracker/x1", "/app/messages/de.json"):
        async with http.get(server.url + path) as r:
            assert r.status == 404, path


async def test_the_page_takes_no_script_from_elsewhere():
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    script = (STATIC / "cabinet.js").read_text(encoding="utf-8")
    assert "https://" not in page and "//cdn" not in script
    assert "MIT" in (STATIC / "uplot.LICENSE.txt").read_text(encoding="utf-8")


async def test_the_messages_are_the_catalogs(world, server, http):
    for lang in ("ru", "en"):
        async with http.get(f"{server.url}/app/messages/{lang}.json") as r:
            texts = await r.json()
        assert texts["webapp-title"] == translator(lang)("webapp-title")
        assert all(key.startswith("webapp-") for key in texts) and len(texts) > 30
    used = {line.split('data-t="')[1].split('"')[0] for line in (STATIC / "index.html").read_text().split("<")
            if 'data-t="' in line}
    assert used <= set(texts), used - set(texts)
