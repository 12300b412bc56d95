"""Shared fixtures: a fresh SQLite file per test, built by the real migrations.

The migrations run once per session into a template file; each test gets a copy of it, which is
the same schema at a fraction of the cost.
"""

from __future__ import annotations

import asyncio
import shutil

import pytest

from bot import db

pytest_plugins = ["tests.fakes.fixtures"]


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "schema.sqlite3"

    async def build() -> None:
        await db.migrate(f"sqlite://{path}")
        await db.close()

    asyncio.run(build())
    return path


@pytest.fixture
def database_url(tmp_path, migrated_template) -> str:
    path = tmp_path / "test.sqlite3"
    shutil.copy(migrated_template, path)
    return f"sqlite://{path}"


@pytest.fixture
async def database(database_url):
    await db.init(database_url, run_migrations=False)
    try:
        yield database_url
    finally:
        await db.close()
