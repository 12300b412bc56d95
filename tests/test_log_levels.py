"""aiogram's line per handled update is off at INFO (bot.logs.quiet_per_update_logs): /metrics
counts the updates; `--verbose` (DEBUG) brings the lines back."""

from __future__ import annotations

import logging

import pytest

from bot.logs import quiet_per_update_logs


@pytest.fixture
def aiogram_event():
    logger = logging.getLogger("aiogram.event")
    saved = logger.level
    yield logger
    logger.setLevel(saved)


def test_per_update_lines_are_off_at_info_and_warnings_still_pass(aiogram_event):
    quiet_per_update_logs(logging.INFO)
    assert not aiogram_event.isEnabledFor(logging.INFO)
    assert aiogram_event.isEnabledFor(logging.WARNING)


def test_verbose_keeps_the_per_update_lines(aiogram_event):
    aiogram_event.setLevel(logging.NOTSET)
    logging.getLogger().setLevel(logging.DEBUG)
    quiet_per_update_logs(logging.DEBUG)
    assert aiogram_event.isEnabledFor(logging.INFO)
