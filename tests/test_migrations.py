"""The migrations and the models agree: `makemigrations` on the current models writes nothing.

A model changed without its migration would otherwise be found by the next person who runs
`makemigrations`, with a migration they did not mean to write (the first migration once lost
`users.id`'s `generated=False`, and the next generated migration dropped and re-added the column
that holds every Telegram id). Runs on the suite's database, SQLite or PostgreSQL.
"""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from bot.db import tortoise_config


def _describe(operation) -> str:
    fields = {k: v for k, v in vars(operation).items() if not k.startswith("_")}
    return f"{type(operation).__name__}({', '.join(f'{k}={v!r}' for k, v in fields.items())})"


async def test_generating_migrations_from_the_models_produces_nothing(database_url):
    config = tortoise_config(database_url)
    await Tortoise.init(config=config)
    try:
        writers = await MigrationAutodetector(Tortoise.apps, config["apps"]).changes()
    finally:
        await Tortoise.close_connections()
    pending = [f"{writer.name}: {_describe(op)}" for writer in writers for op in writer.operations]
    assert pending == [], "models/ differs from models/migrations/; write a migration:\n" + "\n".join(pending)


def test_the_migrations_are_one_chain_each_after_the_one_numbered_before_it():
    """Branches merged side by side each add a migration after the same parent; left so, the
    chain forks, and which of two heads runs first is up to the runner."""
    import importlib
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "models" / "migrations"
    names = sorted(p.stem for p in folder.glob("[0-9][0-9][0-9][0-9]_*.py"))
    assert [int(n[:4]) for n in names] == list(range(1, len(names) + 1)), names
    for before, name in zip(names, names[1:], strict=False):
        migration = importlib.import_module(f"models.migrations.{name}").Migration
        assert migration.dependencies == [("models", before)], f"{name} depends on {migration.dependencies}"
