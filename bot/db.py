"""Database: tortoise config, schema migrations and SQLite tuning.

Migrations are tortoise-orm's own (`tortoise makemigrations`, files in `models/migrations/`):
unlike aerich's SQL files they are dialect-neutral operations, so the same migrations build the
schema on SQLite and on PostgreSQL. `gptitor run` applies them at start; a user never has to.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.exceptions import DBConnectionError
from tortoise.migrations.executor import MigrationExecutor

from billing.policy import clear_cache as clear_policy_cache
from billing.rates import clear_caches
from bot.private_files import private_file, tighten
from models import MODEL_MODULES, fresh_schema
from notify.redact import describe_error, hide_password

log = logging.getLogger(__name__)


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": connection_config(database_url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "models.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def connection_config(database_url: str) -> Any:
    """One entry of tortoise's `connections`: SQLite with our tuning, anything else by its URL."""
    if database_url.startswith("sqlite://"):
        path = Path(database_url.removeprefix("sqlite://"))
        # WAL lets readers go on while the settlement writes; NORMAL is safe with WAL and
        # halves the cost of each commit (see ARCHITECTURE.md, "Measured").
        connection: Any = {
            "engine": "models.sqlite_engine",  # trigger-safe row counts: see the module
            "credentials": {
                "file_path": str(path),
                "busy_timeout": 10000,  # first: the PRAGMAs after it wait for a lock instead of failing
                "journal_mode": "WAL",
                "journal_size_limit": 64 * 1024 * 1024,
                "foreign_keys": "ON",
                "synchronous": "NORMAL",
            },
        }
    else:
        connection = database_url
    return connection


def _prepare_sqlite(database_url: str) -> None:
    """The database file (with its folder) made 0600 before SQLite opens it: SQLite gives the
    -wal and -shm files the same mode, and a file SQLite made would be 0644 under the usual umask."""
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        path = Path(database_url.removeprefix("sqlite://"))
        private_file(path)
        for journal in ("-wal", "-shm", "-journal"):
            tighten(path.with_name(path.name + journal))


class DatabaseUnavailable(Exception):
    """The database cannot be opened or reached; `str()` is one sentence for the operator.
    `retry`: a database server that may come back (SQLite's file will not fix itself)."""

    def __init__(self, sentence: str, *, retry: bool) -> None:
        super().__init__(sentence)
        self.retry = retry


def _unreachable(exc: BaseException) -> bool:
    """A refused, unknown, timed-out or unwritable database, as opposed to a failing statement."""
    if isinstance(exc, OSError | DBConnectionError):
        return True
    # PostgreSQL refusing the login (a wrong password, no such role), without importing asyncpg
    return any(c.__name__ == "InvalidAuthorizationSpecificationError" for c in type(exc).__mro__)


async def migrate(database_url: str) -> list[str]:
    """Bring the schema up to date (idempotent); the names of the migrations applied now. An empty
    database is built from the models in one step (models/fresh_schema.py says why)."""
    applied: list[str] = []

    def progress(event: str, _app: str, name: str) -> None:
        if event == "apply_done":
            applied.append(name)

    config = tortoise_config(database_url)
    try:
        _prepare_sqlite(database_url)
        # what tortoise's `migrate` does, with the empty database's shortcut before it
        await Tortoise.init(config=config, init_connections=False)
        connection = connections.get("default")
        if await fresh_schema.is_empty(connection):
            built = await fresh_schema.build(connection, config["apps"])
            if built is not None:
                return built
        await MigrationExecutor(connection, config["apps"]).migrate(progress=progress)
    except Exception as exc:
        if not _unreachable(exc):
            raise
        raise DatabaseUnavailable(
            f"the database {hide_password(database_url)} cannot be opened ({describe_error(exc, 200)}): "
            "check DATABASE_URL, that the database server runs and lets this user in, or for SQLite that "
            "this user may write to the file's folder.", retry=not database_url.startswith("sqlite://"),
        ) from None
    return applied


async def init(database_url: str, *, run_migrations: bool = True, global_fallback: bool = False) -> None:
    """Connect (after migrating). `global_fallback` lets tasks that did not inherit the caller's
    context (scheduler jobs, other tasks in tests) use the same connection."""
    if run_migrations:
        await migrate(database_url)  # prepares the SQLite file too, and says so when it cannot
    else:
        _prepare_sqlite(database_url)
    _forget_the_last_database()
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=global_fallback)


async def close() -> None:
    _forget_the_last_database()
    await Tortoise.close_connections()


def _forget_the_last_database() -> None:
    """What belongs to one database: the price and rate caches, the cost policy, and tortoise's
    prepared INSERTs, which it keys by connection name alone (so a process that opens SQLite and
    then PostgreSQL as "default", as `copy-data` and the tests do, would send one the other's SQL)."""
    clear_caches()
    clear_policy_cache()
    EXECUTOR_CACHE.clear()


@asynccontextmanager
async def database(database_url: str) -> AsyncIterator[None]:
    await init(database_url)
    try:
        yield
    finally:
        await close()


def is_sqlite() -> bool:
    return connections.get("default").capabilities.dialect == "sqlite"


# For `python -m tortoise -c bot.db.DEV_CONFIG makemigrations` (see the README).
DEV_CONFIG = tortoise_config("sqlite://data/dev.sqlite3")
