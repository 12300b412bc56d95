"""The web cabinet's settings and wiring: a clear sentence for a bad base, the session key and
the bots' tokens as the composition root hands them over."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings
from bot.crypto import SecretBox, generate_key
from bot.webapp import web_config
from services.web.initdata import BotRef
from tests.referral.conftest import make_tracker

TOKEN = "100000001:" + "P" * 35


def settings(tmp_path, **kw):
    return load_settings(bot_token=TOKEN, secret_key=generate_key(), secret_key_file=tmp_path / "k", **kw)


def test_the_base_must_be_https_and_says_so_in_one_sentence(tmp_path):
    with pytest.raises(ConfigError) as exc:
        settings(tmp_path, webapp_base_url="http://cabinet.example.test")
    assert "WEBAPP_BASE_URL" in str(exc.value) and "https" in str(exc.value) and "\n" not in str(exc.value)
    assert settings(tmp_path, webapp_base_url="https://c.example.test/").webapp_base_url == "https://c.example.test"
    assert settings(tmp_path, webapp_base_url="").webapp_base_url is None


async def test_the_bots_tokens_and_sessions_as_wired(database, tmp_path):
    s = settings(tmp_path)
    box = SecretBox(s.secret_key.get_secret_value())
    tracker = await make_tracker(1)
    tracker.token_encrypted = box.encrypt("777:tracker-token")
    await tracker.save()
    config = web_config(s, box)
    assert await config.bot_token("platform", 100000001) == TOKEN
    assert await config.bot_token("platform", 100000002) is None
    assert await config.bot_token("tracker", tracker.bot_id) == "777:tracker-token"
    assert await config.bot_token("tracker", 123) is None
    # Two workers with the same SECRET_KEY read each other's sessions.
    token = config.signer.encode(config.signer.issue(42, BotRef("tracker", tracker.bot_id)))
    assert web_config(s, box).signer.decode(token).user_id == 42
