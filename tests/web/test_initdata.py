"""Telegram's initData check and the page's session tokens."""

from __future__ import annotations

import json

import pytest
from aiogram.utils.web_app import check_webapp_signature

from services.web.initdata import AuthError, BotRef, SessionSigner, check_init_data, sign_init_data

TOKEN = "123456:AAtest-token-of-the-tracker"
OTHER = "654321:AAtest-token-of-another-bot"
NOW = 1_750_000_000


def fields(user_id: int = 42, auth_date: int = NOW, **extra: str) -> dict[str, str]:
    user = {"id": user_id, "first_name": "Ира & Co", "username": "ira", "language_code": "ru"}
    return {"query_id": "AAH1", "user": json.dumps(user, ensure_ascii=False), "auth_date": str(auth_date), **extra}


def test_genuine_init_data_gives_its_user_and_agrees_with_aiogram():
    signed = sign_init_data(fields(signature="abc-_DEF"), TOKEN)
    # An independent implementation of the same rule accepts what we sign.
    assert check_webapp_signature(TOKEN, signed)
    user = check_init_data(signed, TOKEN, max_age=3600, now=NOW + 10)
    assert (user.id, user.first_name, user.username, user.language_code) == (42, "Ира & Co", "ira", "ru")


@pytest.mark.parametrize(
    "init_data, reason",
    [
        ("", "no initData"),
        ("user=%7B%7D&auth_date=1&hash=00", "hash does not match"),
        ("%%%", "not a query string"),
        ("a" * 9000, "too long"),
    ],
)
def test_malformed_or_missing_init_data_is_refused(init_data, reason):
    with pytest.raises(AuthError, match=reason):
        check_init_data(init_data, TOKEN, max_age=3600, now=NOW)


def test_a_changed_field_breaks_the_hash():
    signed = sign_init_data(fields(user_id=42), TOKEN)
    forged = signed.replace("%22id%22%3A+42", "%22id%22%3A+43")
    assert forged != signed
    with pytest.raises(AuthError, match="hash does not match"):
        check_init_data(forged, TOKEN, max_age=3600, now=NOW)


def test_init_data_of_another_bot_is_refused():
    with pytest.raises(AuthError, match="another bot"):
        check_init_data(sign_init_data(fields(), OTHER), TOKEN, max_age=3600, now=NOW)


def test_old_and_future_init_data_is_refused():
    signed = sign_init_data(fields(auth_date=NOW), TOKEN)
    check_init_data(signed, TOKEN, max_age=3600, now=NOW + 3600)
    with pytest.raises(AuthError, match="expired"):
        check_init_data(signed, TOKEN, max_age=3600, now=NOW + 3601)
    with pytest.raises(AuthError, match="future"):
        check_init_data(signed, TOKEN, max_age=3600, now=NOW - 120)


def test_a_repeated_field_is_refused_even_when_signed():
    signed = sign_init_data(fields(), TOKEN)
    with pytest.raises(AuthError, match="twice"):
        check_init_data(signed + "&auth_date=" + str(NOW), TOKEN, max_age=3600, now=NOW)


def test_signed_data_without_a_user_is_refused():
    signed = sign_init_data({"auth_date": str(NOW), "query_id": "x"}, TOKEN)
    with pytest.raises(AuthError, match="no user"):
        check_init_data(signed, TOKEN, max_age=3600, now=NOW)


def test_session_tokens_name_their_user_and_bot_and_expire():
    signer = SessionSigner(b"k" * 32, lifetime=900)
    token = signer.encode(signer.issue(42, BotRef("tracker", 777), now=NOW))
    session = signer.decode(token, now=NOW + 899)
    assert (session.user_id, session.bot) == (42, BotRef("tracker", 777))
    with pytest.raises(AuthError, match="expired"):
        signer.decode(token, now=NOW + 900)
    with pytest.raises(AuthError, match="forged"):
        SessionSigner(b"x" * 32, lifetime=900).decode(token, now=NOW)
    prefix, payload, mac = token.split(".")
    other = signer.encode(signer.issue(43, BotRef("tracker", 777), now=NOW)).split(".")[1]
    with pytest.raises(AuthError, match="forged"):
        signer.decode(f"{prefix}.{other}.{mac}", now=NOW)
    with pytest.raises(AuthError, match="not a session"):
        signer.decode("gpt_whatever", now=NOW)
