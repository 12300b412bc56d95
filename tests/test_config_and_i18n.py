"""Settings errors a person can act on, secrets at rest, and complete locale catalogs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.crypto import SecretBox, generate_key
from i18n.catalog import catalog_keys, for_user, pick_lang

ROOT = Path(__file__).resolve().parent.parent
GOOD_TOKEN = "123456789:" + "A" * 35


def test_missing_token_names_botfather(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    with pytest.raises(ConfigError) as err:
        load_settings(secret_key=generate_key())
    assert "@BotFather" in str(err.value)
    assert "Traceback" not in str(err.value)


@pytest.mark.parametrize("token", ["hello", "123:short", "abc:" + "A" * 35])
def test_malformed_token_is_one_clear_sentence(token, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="BOT_TOKEN is malformed.*@BotFather"):
        load_settings(bot_token=token, secret_key=generate_key())


def test_bad_secret_key_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="gptitor keygen"):
        load_settings(bot_token=GOOD_TOKEN, secret_key="not-a-key")


def test_commission_schedule_must_add_up(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COMMISSION__L1", "40")
    with pytest.raises(ConfigError, match="add up to 100"):
        load_settings(bot_token=GOOD_TOKEN, secret_key=generate_key())


def test_without_secret_key_one_is_made_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_settings(bot_token=GOOD_TOKEN).secret_key.get_secret_value()
    assert load_settings(bot_token=GOOD_TOKEN).secret_key.get_secret_value() == first
    assert (tmp_path / "data" / "secret.key").stat().st_mode & 0o077 == 0


def test_admin_ids_from_a_comma_list(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ADMIN_IDS", "1, 22 333")
    assert load_settings(bot_token=GOOD_TOKEN, secret_key=generate_key()).admin_ids == [1, 22, 333]


def test_gptitor_run_without_token_exits_at_once(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "SECRET_KEY")}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode != 0
    assert "@BotFather" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert time.monotonic() - started < 30


def test_secrets_round_trip_and_do_not_leak():
    box = SecretBox(generate_key())
    sealed = box.encrypt(GOOD_TOKEN)
    assert GOOD_TOKEN not in sealed
    assert box.decrypt(sealed) == GOOD_TOKEN
    with pytest.raises(ValueError, match="SECRET_KEY"):
        SecretBox(generate_key()).decrypt(sealed)


def test_webhook_secret_is_per_bot_and_verifiable():
    box = SecretBox(generate_key())
    a, b = box.webhook_secret(1), box.webhook_secret(2)
    assert a != b and re.fullmatch(r"[A-Za-z0-9_-]{1,256}", a)
    assert box.verify("webhook:1", a, 48) and not box.verify("webhook:1", b, 48)


def test_language_choice():
    assert pick_lang("en-US") == "en"
    assert pick_lang("ru") == "ru"
    assert pick_lang("de") == "ru"  # Russian first
    assert pick_lang(None) == "ru"
    assert for_user("en")("btn-back") != for_user("ru")("btn-back")


def test_catalogs_have_the_same_keys():
    assert catalog_keys("ru") == catalog_keys("en")


KEY_USE = re.compile(
    r"""(?:\b(?:i18n|Tr|TrackerError|t)\(|\b(?:notice|key)=|["']key["']:)"""
    r"""\s*["']([a-z][a-z0-9]*(?:-[a-z0-9]+)+)["']"""
)


def test_every_key_used_in_code_exists():
    keys = catalog_keys("ru")
    used = set()
    for folder in ("bot", "handlers", "dialogs", "billing", "referral", "scheduler", "llm"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(KEY_USE.findall(path.read_text(encoding="utf-8")))
    assert used, "the scan found no keys at all"
    assert sorted(used - keys) == []


def test_the_platform_time_zone_ignores_tortoises_timezone_variable(tmp_path, monkeypatch):
    # tortoise-orm sets TIMEZONE=UTC in the environment when it starts.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIMEZONE", "UTC")
    assert load_settings(bot_token=GOOD_TOKEN).timezone == "Europe/Moscow"
    monkeypatch.setenv("PLATFORM_TIMEZONE", "Asia/Yekaterinburg")
    assert load_settings(bot_token=GOOD_TOKEN).timezone == "Asia/Yekaterinburg"
