"""Shared fixtures: a fresh database per test, built as `gptitor migrate` builds one.

By default every test gets a SQLite file. With `TEST_DATABASE_URL=postgres://user:pass@host:port/db`
the same tests run on that PostgreSQL server instead (`.ci/run` does both): each test gets its own
database there, dropped afterwards. The URL's database is only used to create and drop the others.

The schema is built once per session into a template (a file, or a PostgreSQL template database);
each test gets a copy of it, which is the same schema at a fraction of the cost.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import pytest

from bot import db

pytest_plugins = ["tests.fakes.fixtures"]

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
ON_POSTGRES = TEST_DATABASE_URL.startswith(("postgres://", "postgresql://", "asyncpg://"))
if TEST_DATABASE_URL and not ON_POSTGRES:
    raise pytest.UsageError(f"TEST_DATABASE_URL must be a postgres:// URL, got {TEST_DATABASE_URL!r}")

# Names carry the pid so that two pytest runs can share one server; a run that was killed leaves
# databases behind, which the next run drops (its pid is gone).
DB_PREFIX = "gptitor_test_"
_counter = itertools.count(1)


def postgres_url(database: str) -> str:
    """TEST_DATABASE_URL pointing at another database of the same server."""
    parts = urlsplit(TEST_DATABASE_URL)
    return urlunsplit(("postgres", parts.netloc, "/" + database, parts.query, ""))


def _run(coro):
    # In a thread of its own: asyncio.run here would replace the event loop pytest-asyncio set up
    # for the test.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _admin(*statements: str) -> list:
    import asyncpg

    parts = urlsplit(TEST_DATABASE_URL)
    conn = await asyncpg.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username,
        password=parts.password, database=parts.path.lstrip("/") or "postgres",
    )
    try:
        rows = []
        for statement in statements:
            rows = await conn.fetch(statement)
        return rows
    finally:
        await conn.close()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _drop_leftovers() -> None:
    rows = _run(_admin(f"SELECT datname FROM pg_database WHERE datname LIKE '{DB_PREFIX}%'"))
    stale = []
    for (name,) in rows:
        pid = name.removeprefix(DB_PREFIX).split("_")[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            stale.append(name)
    if stale:
        _run(_admin(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in stale)))


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    if not ON_POSTGRES:
        path = tmp_path_factory.mktemp("template") / "schema.sqlite3"

        async def build() -> None:
            await db.migrate(f"sqlite://{path}")
            await db.close()

        asyncio.run(build())
        yield path
        return

    _drop_leftovers()
    name = f"{DB_PREFIX}{os.getpid()}_template"
    _run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'))

    async def build_pg() -> None:
        await db.migrate(postgres_url(name))
        await db.close()

    _run(build_pg())
    try:
        yield name
    finally:
        _run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def database_url(tmp_path, migrated_template):
    if not ON_POSTGRES:
        path = tmp_path / "test.sqlite3"
        shutil.copy(migrated_template, path)
        yield f"sqlite://{path}"
        return

    name = f"{DB_PREFIX}{os.getpid()}_{next(_counter)}"
    _run(_admin(f'CREATE DATABASE "{name}" TEMPLATE "{migrated_template}"'))
    try:
        yield postgres_url(name)
    finally:
        # FORCE: a test that failed may have left its pool open.
        _run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def empty_database_urls(tmp_path):
    """`make(label)`: the URL of a new, empty database (a SQLite file, or a PostgreSQL database
    dropped after the test), for tests of how a schema is built."""
    made: list[str] = []

    def make(label: str) -> str:
        if not ON_POSTGRES:
            return f"sqlite://{tmp_path / f'{label}.sqlite3'}"
        name = f"{DB_PREFIX}{os.getpid()}_{label}_{next(_counter)}"
        _run(_admin(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return postgres_url(name)

    yield make
    if made:
        _run(_admin(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in made)))


@pytest.fixture
async def database(database_url):
    await db.init(database_url, run_migrations=False)
    try:
        yield database_url
    finally:
        await db.close()
