"""The `gptitor` command starts with the garbage collector off and turns it on once the platform
has started (bot/collector.py); a program that only imports the platform keeps its own setting."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import collector
from tests.e2e.harness import PLATFORM_TOKEN, PLATFORM_USERNAME, make_settings, running_platform
from tests.waiting import eventually

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
    collector.ready()  # a second call (the preload, then the command's end) changes nothing
    assert gc.get_freeze_count() == 0


def test_a_program_that_turned_the_collector_off_keeps_it_off(collector_restored):
    gc.disable()
    collector.defer()
    collector.ready()
    assert not gc.isenabled() and gc.get_freeze_count() == 0


async def test_the_platform_turns_the_deferred_collector_on_once_it_has_started(
    collector_restored, fake_telegram, database_url, tmp_path
):
    fake_telegram.add_bot(PLATFORM_TOKEN, PLATFORM_USERNAME, "GPTitor")
    settings = make_settings(fake_telegram, database_url, tmp_path)
    gc.enable()
    collector.defer()
    async with running_platform(settings):
        await eventually(gc.isenabled, "the collector to be on again after the start")


def test_python_dash_m_bot_is_the_command(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "bot", "keygen"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.strip()) >= 40  # a Fernet key
