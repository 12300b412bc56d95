"""The `gptitor` command imports the platform with the garbage collector off and turns it on
before any work (bot/collector.py); a program that only imports the platform keeps its own setting."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bot import cli, collector, db
from tests.e2e.harness import PLATFORM_TOKEN
from tests.test_cli import here  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def collector_restored():
    was_enabled = gc.isenabled()
    yield
    gc.unfreeze()  # what ready() froze belongs to this test process, which goes on
    collector._deferred = False
    (gc.enable if was_enabled else gc.disable)()


def test_deferred_collection_comes_back_once_and_freezes_what_the_start_built(collector_restored):
    gc.enable()
    collector.defer()
    assert not gc.isenabled()
    collector.ready()
    assert gc.isenabled() and gc.get_freeze_count() > 0
    gc.unfreeze()
    collector.ready()  # a second call (the command's, then the launcher's) changes nothing
    assert gc.get_freeze_count() == 0


def test_a_program_that_turned_the_collector_off_keeps_it_off(collector_restored):
    gc.disable()
    collector.defer()
    collector.ready()
    assert not gc.isenabled() and gc.get_freeze_count() == 0


def test_run_collects_again_once_imported_before_the_platform_touches_the_database(
    collector_restored, here, monkeypatch
):
    import bot.app

    seen = []

    async def platform(settings, *, webhook):
        seen.append(gc.isenabled())

    monkeypatch.setattr(bot.app, "run_platform", platform)
    monkeypatch.setenv("BOT_TOKEN", PLATFORM_TOKEN)
    gc.enable()
    collector.defer()
    assert cli.main(["run"]) == 0
    assert seen == [True]


def test_other_commands_collect_again_before_they_start(collector_restored, here, monkeypatch):
    seen = []

    async def migrate(database_url):
        seen.append(gc.isenabled())
        return []

    monkeypatch.setattr(db, "migrate", migrate)
    gc.enable()
    collector.defer()
    assert cli.main(["migrate"]) == 0
    assert seen == [True]


def test_the_gptitor_command_is_the_launcher():
    with open(ROOT / "pyproject.toml", "rb") as f:
        assert tomllib.load(f)["project"]["scripts"]["gptitor"] == "bot.launch:main"


def test_python_dash_m_bot_is_the_command(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "bot", "keygen"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.strip()) >= 40  # a Fernet key
