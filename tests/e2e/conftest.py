"""Every e2e test is also a check of how numbers read: whatever a bot sent during the test
(texts, captions and button labels, edits included) is scanned for shapes that only appear when a
number skipped i18n.format, and the test that produced one fails at teardown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.screen_shapes import unformatted


@pytest.fixture(autouse=True)
def numbers_read_naturally(request: pytest.FixtureRequest) -> Iterator[None]:
    if "fake_telegram" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("fake_telegram")
    yield
    found = unformatted(server.everything_sent())
    if found:
        pytest.fail("numbers that skipped i18n.format reached a chat:\n" + "\n".join(found), pytrace=False)
