"""Shared fixtures: a fresh SQLite file per test, migrated with the real migrations."""

from __future__ import annotations

import pytest

from bot import db


@pytest.fixture
def database_url(tmp_path) -> str:
    return f"sqlite://{tmp_path / 'test.sqlite3'}"


@pytest.fixture
async def database(database_url):
    await db.init(database_url)
    try:
        yield database_url
    finally:
        await db.close()
