"""The files that hold secrets are the platform user's alone from their first byte: the key file
0600, written atomically and once; `data/` 0700; the SQLite database and its journal 0600 (issue 15)."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from bot import db
from bot.config import ConfigError, load_settings
from bot.private_files import write_once
from models import User
from tests.e2e.harness import PLATFORM_TOKEN


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask():
    """The most permissive umask: the modes must not depend on the operator's."""
    previous = os.umask(0)
    yield
    os.umask(previous)


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("SECRET_KEY", "SECRET_KEY_FILE", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_the_key_file_and_its_folder_are_private_whatever_the_umask(here, loose_umask):
    key = load_settings(bot_token=PLATFORM_TOKEN).secret_key.get_secret_value()
    path = here / "data" / "secret.key"
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert path.read_text(encoding="utf-8") == key + "\n"
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]  # no temporary file left behind
    assert load_settings(bot_token=PLATFORM_TOKEN).secret_key.get_secret_value() == key


def test_a_key_file_others_could_read_is_tightened(here):
    first = load_settings(bot_token=PLATFORM_TOKEN).secret_key.get_secret_value()
    path = here / "data" / "secret.key"
    path.chmod(0o644)  # as an older version left it
    assert load_settings(bot_token=PLATFORM_TOKEN).secret_key.get_secret_value() == first
    assert mode(path) == 0o600


def test_racing_writers_agree_on_one_key(here):
    path = here / "keys" / "secret.key"
    results: list[str] = []
    barrier = threading.Barrier(8)

    def write(n: int) -> None:
        barrier.wait()
        results.append(write_once(path, f"key-{n}\n"))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and results[0] == path.read_text(encoding="utf-8")
    assert sorted(p.name for p in path.parent.iterdir()) == ["secret.key"]


def test_a_key_file_that_cannot_be_written_is_one_sentence(here):
    (here / "a-file").write_text("", encoding="utf-8")  # where its folder should be: even root cannot
    with pytest.raises(ConfigError, match="SECRET_KEY_FILE .* cannot be read or written .* or set SECRET_KEY"):
        load_settings(bot_token=PLATFORM_TOKEN, secret_key_file=here / "a-file" / "secret.key")


def test_a_key_file_with_something_else_in_it_is_one_sentence(here):
    (here / "secret.key").write_text("not a key\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="does not hold a key made by `gptitor keygen`: restore it"):
        load_settings(bot_token=PLATFORM_TOKEN, secret_key_file=here / "secret.key")


async def test_the_database_and_its_journal_are_private(here, loose_umask):
    path = here / "data" / "gptitor.sqlite3"
    await db.init(f"sqlite://{path}")
    try:
        await User.create(id=1, first_name="Ann")  # a write: WAL and shared memory files exist now
        journal = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
        assert all(p.exists() for p in journal)
        assert [mode(p) for p in (path, *journal)] == [0o600] * 3
        assert mode(path.parent) == 0o700
    finally:
        await db.close()


async def test_a_database_others_could_read_is_tightened(here):
    path = here / "old.sqlite3"
    await db.migrate(f"sqlite://{path}")
    await db.close()
    path.chmod(0o644)
    await db.init(f"sqlite://{path}")
    await db.close()
    assert mode(path) == 0o600
