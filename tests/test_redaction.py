"""The one rule that keeps bot tokens out of logged, stored and shown text (notify.redact), and
the logging set-up that applies it to every record (bot.logs)."""

from __future__ import annotations

import logging

import pytest

from bot.logs import RedactTokens, install_redaction
from notify.redact import describe_error, hide_password, redact

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET = TOKEN.split(":")[1]


@pytest.mark.parametrize("text, expected", [
    (f"https://api.telegram.org/bot{TOKEN}/getUpdates", "https://api.telegram.org/bot123456789:***/getUpdates"),
    (f"url='http://127.0.0.1:8081/bot{TOKEN}/sendMessage'", "url='http://127.0.0.1:8081/bot123456789:***/sendMessage'"),
    (f"/bot123456789%3A{SECRET}/getMe", "/bot123456789%3A***/getMe"),
    (f"BOT_TOKEN={TOKEN} is wrong", "BOT_TOKEN=123456789:*** is wrong"),
    (f"cut off: /bot123456789:{SECRET[:7]}", "cut off: /bot123456789:***"),
    (f"two: bot{TOKEN} and {TOKEN}.", "two: bot123456789:*** and 123456789:***."),
])
def test_the_secret_half_of_a_token_is_masked_and_the_bot_id_kept(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "at 12:30 the payment 12345:67 was settled", "ratio 1:2, host db:5432", "user 100500: no answer",
    "payload t:12:a1b2c3", "",
])
def test_text_without_a_token_is_left_alone(text):
    assert redact(text) == text


def test_an_error_is_described_on_one_line_masked_before_it_is_cut():
    error = OSError(f"Cannot connect\n to https://api.telegram.org/bot{TOKEN}/getUpdates " + "x" * 500)
    text = describe_error(error, limit=70)
    assert "\n" not in text and len(text) == 70 and SECRET[:4] not in text
    assert text.startswith("OSError: Cannot connect to https://api.telegram.org/bot123456789:***/")


@pytest.mark.parametrize("url, shown", [
    ("postgres://gptitor:hunter2@db:5432/gptitor", "postgres://gptitor:***@db:5432/gptitor"),
    ("redis://:hunter2@cache:6379/0", "redis://:***@cache:6379/0"),
    ("sqlite://data/gptitor.sqlite3", "sqlite://data/gptitor.sqlite3"),
    ("http://[broken", "http://[broken"),
])
def test_a_url_is_printed_without_its_password(url, shown):
    assert hide_password(url) == shown


@pytest.fixture
def redacting_logs(caplog):
    install_redaction()
    install_redaction()  # a second start-up changes nothing
    caplog.set_level(logging.INFO)
    return caplog


def test_a_record_from_any_logger_is_masked_in_its_message_and_arguments(redacting_logs):
    logging.getLogger("aiogram.event").warning("request to %s failed: %s", f"/bot{TOKEN}/getMe",
                                               ValueError(f"bot{TOKEN}"))
    logging.getLogger("deep.child.logger").info(f"token {TOKEN} in the message itself")
    messages = [r.getMessage() for r in redacting_logs.records]
    assert messages == ["request to /bot123456789:***/getMe failed: bot123456789:***",
                        "token 123456789:*** in the message itself"]
    assert SECRET not in redacting_logs.text


def test_a_traceback_and_its_chained_cause_are_masked(redacting_logs):
    try:
        try:
            raise ConnectionError(f"Connection timeout to host https://api.telegram.org/bot{TOKEN}/getMe")
        except ConnectionError as cause:
            raise RuntimeError("Request timeout error") from cause
    except RuntimeError:
        logging.getLogger("bot.app").exception("start failed")
        logging.getLogger("bot.app").info("where we were", stack_info=True)
    [failed, where] = redacting_logs.records
    assert "Connection timeout to host https://api.telegram.org/bot123456789:***/getMe" in failed.exc_text
    assert SECRET not in redacting_logs.text and "RuntimeError: Request timeout error" in redacting_logs.text
    assert where.stack_info and SECRET not in where.stack_info


def test_the_handlers_filter_masks_a_record_made_elsewhere():
    install_redaction()
    record = logging.makeLogRecord({"msg": "relayed: %s", "args": (f"bot{TOKEN}",), "levelno": logging.INFO})
    assert any(isinstance(f, RedactTokens) for h in logging.getLogger().handlers for f in h.filters) or \
        not logging.getLogger().handlers
    RedactTokens().filter(record)
    assert record.getMessage() == "relayed: bot123456789:***"


def test_a_broken_format_string_is_left_for_logging_to_report():
    install_redaction()
    make = logging.getLogRecordFactory()
    record = make("x", logging.INFO, __file__, 1, "%d apples", ("many",), None)  # does not raise here
    with pytest.raises(TypeError):
        record.getMessage()  # but where logging reports it, as without the redaction
