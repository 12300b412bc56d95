
from models import Tracker, User


async def test_migrations_build_a_working_schema(database):
    author = await User.create(id=1, first_name="Vera")
    await Tracker.create(bot_id=42, username="vera_bot", name="Vera", author=author, token_encrypted="x")
    assert await Tracker.filter(author=author).count() == 1


def test_no_table_comment_breaks_the_sqlite_migration_runner():
    # tortoise's SQLite migration runner splits statements on ";" and the first docstring line
    # of a model becomes a table comment.
    import models  # noqa: F401  (registers the models)

    for module in models.MODEL_MODULES:
        mod = __import__(module, fromlist=["*"])
        for value in vars(mod).values():
            meta = getattr(value, "_meta", None)
            if meta is not None and getattr(meta, "table_description", None):
                assert ";" not in meta.table_description, value
