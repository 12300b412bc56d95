"""`gptitor` start-up and command errors: each is one sentence on stderr that says what to change,
a non-zero exit and no traceback; and what `migrate` and `refund` say when they work (issue 15).

Most run `bot.cli.main` in this process with stderr captured; the ones about reaching Telegram
run the real command as a process, against the fake Bot API or a port nobody answers on.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from billing.subscriptions import create_subscription
from bot import app, db
from bot.cli import main
from models import Payment, PaymentProvider, Subscription, SubscriptionStatus
from tests.billing.helpers import at, join, make_tracker
from tests.e2e.harness import PLATFORM_TOKEN, free_port

ROOT = Path(__file__).resolve().parent.parent
TRY_LATER = 75  # EX_TEMPFAIL: out of reach for now, a supervisor starts it again; 2: change a setting
SETTINGS = ("BOT_TOKEN", "SECRET_KEY", "SECRET_KEY_FILE", "DATABASE_URL", "TELEGRAM_API_BASE", "REDIS_URL",
            "WEBHOOK_BASE_URL", "PLATFORM_TIMEZONE", "ADMIN_IDS")


@pytest.fixture
def here(tmp_path, monkeypatch):
    """A folder without .env and an environment without the platform's settings."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name in SETTINGS or name.startswith(("COMMISSION__", "PAYMENTS__")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{tmp_path / 'data' / 'gptitor.sqlite3'}")
    return tmp_path


def sentence(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("gptitor: ")]
    assert len(lines) == 1, err
    return lines[0]


def test_webhook_mode_without_its_address_is_refused_at_once(here, monkeypatch, capsys):
    monkeypatch.setenv("BOT_TOKEN", PLATFORM_TOKEN)
    assert main(["run", "--webhook"]) == 2
    assert "--webhook needs WEBHOOK_BASE_URL" in sentence(capsys)
    assert not (here / "data" / "gptitor.sqlite3").exists()  # refused before anything was touched


@pytest.mark.parametrize("command", [["run"], ["migrate"], ["settle"]])
def test_an_unknown_time_zone_names_the_setting(here, monkeypatch, capsys, command):
    monkeypatch.setenv("BOT_TOKEN", PLATFORM_TOKEN)
    monkeypatch.setenv("PLATFORM_TIMEZONE", "Moscow")
    with pytest.raises(SystemExit) as exit_:
        main(command)
    assert exit_.value.code == 2
    assert "PLATFORM_TIMEZONE is malformed ('Moscow' is not a time zone): give an IANA" in sentence(capsys)


@pytest.mark.parametrize("variable, value, says", [
    ("COMMISSION__L1", "40", "COMMISSION__* is malformed (commission shares must add up to 100, not 110)"),
    ("COMMISSION__AUTHOR", "a lot", "COMMISSION__AUTHOR is malformed"),
])
@pytest.mark.parametrize("command", ["settle", "migrate"])
def test_a_bad_commission_share_is_one_sentence(here, monkeypatch, capsys, command, variable, value, says):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SystemExit) as exit_:
        main([command])
    assert exit_.value.code == 2
    line = sentence(capsys)
    assert says in line and "percentages that add up to 100" in line


def test_a_postgres_url_without_the_driver_says_which_extra_to_install(here, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "asyncpg", None)  # as when the [postgres] extra is not installed
    monkeypatch.setenv("DATABASE_URL", "postgres://gptitor:secret@127.0.0.1:5432/gptitor")
    with pytest.raises(SystemExit) as exit_:
        main(["migrate"])
    assert exit_.value.code == 2
    assert "pip install 'gptitor[postgres]'" in sentence(capsys)


def test_a_database_url_of_another_kind_is_refused(here, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "data/gptitor.sqlite3")
    with pytest.raises(SystemExit):
        main(["migrate"])
    assert "give sqlite://data/gptitor.sqlite3 or postgres://" in sentence(capsys)
    monkeypatch.setenv("DATABASE_URL", "mysql://gptitor:hunter2@db/gptitor")
    with pytest.raises(SystemExit):
        main(["migrate"])
    assert "DATABASE_URL 'mysql://gptitor:***@db/gptitor' is not a database this platform runs on" in sentence(capsys)


@pytest.mark.parametrize("command", [["migrate"], ["settle"], ["refund", "1", "--record-only"]])
def test_a_database_that_cannot_be_reached_is_one_sentence_without_its_password(here, monkeypatch, capsys,
                                                                                  command):
    monkeypatch.setenv("DATABASE_URL", f"postgres://gptitor:hunter2@127.0.0.1:{free_port()}/gptitor")
    assert main(command) == TRY_LATER
    line = sentence(capsys)
    assert line.startswith("gptitor: the database postgres://gptitor:***@127.0.0.1:") and "cannot be opened" in line
    assert "check DATABASE_URL" in line and "hunter2" not in line


@pytest.mark.parametrize("command", [["migrate"], ["settle"]])
def test_a_sqlite_file_that_cannot_be_made_is_one_sentence(here, monkeypatch, capsys, command):
    (here / "a-file").write_text("", encoding="utf-8")  # where the database's folder should be
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{here / 'a-file' / 'gptitor.sqlite3'}")
    assert main(command) == 2  # a path to fix, not a server to wait for
    assert "cannot be opened" in sentence(capsys)


def test_migrate_names_what_it_applied_and_then_that_nothing_was(here, capsys):
    names = sorted(path.stem for path in (ROOT / "models" / "migrations").glob("[0-9]*.py"))
    assert main(["migrate"]) == 0
    assert f"gptitor: applied {len(names)} migration(s): {', '.join(names)}." in capsys.readouterr().out
    assert main(["migrate"]) == 0
    assert "already up to date; nothing applied" in capsys.readouterr().out


def test_refunding_a_payment_that_does_not_exist_is_our_sentence(here, monkeypatch, capsys):
    assert main(["migrate"]) == 0
    assert main(["refund", "999", "--record-only"]) == 1  # no BOT_TOKEN in the environment
    assert sentence(capsys) == ("gptitor: payment 999 was not refunded: no payment has this id "
                                "(the payments table lists them).")
    monkeypatch.setenv("BOT_TOKEN", PLATFORM_TOKEN)
    assert main(["refund", "999"]) == 1
    assert "no payment has this id" in sentence(capsys)


def test_a_refund_recorded_only_needs_no_bot_token(here, capsys):
    url = os.environ["DATABASE_URL"]

    async def paid() -> int:
        await db.init(url)
        try:
            tracker = await make_tracker()
            await join(tracker, 5)
            payment = await Payment.create(tracker=tracker, user_id=5, provider=PaymentProvider.TELEGRAM,
                                           external_id="ch_1", plan_kind="month", currency="RUB",
                                           amount_minor=200_000, amount_kopecks=200_000)
            await create_subscription(tracker.id, 5, "month", 200_000, at(2030, 1, 1), payment_id=payment.id)
            return payment.id
        finally:
            await db.close()

    payment_id = asyncio.run(paid())
    assert main(["refund", str(payment_id), "--record-only"]) == 0
    assert f"payment {payment_id} refunded, 1 unsettled period(s) cancelled" in capsys.readouterr().out

    async def status() -> SubscriptionStatus:
        await db.init(url, run_migrations=False)
        try:
            return (await Subscription.get(payment_id=payment_id)).status
        finally:
            await db.close()

    assert asyncio.run(status()) == SubscriptionStatus.REFUNDED


def test_a_bot_api_that_never_answers_is_reported_within_the_start_up_timeout(here, monkeypatch, capsys):
    monkeypatch.setattr(app, "STARTUP_TIMEOUT", 1)
    with socket.socket() as silent:  # takes connections (the kernel's backlog), answers nothing
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.setenv("TELEGRAM_API_BASE", f"http://127.0.0.1:{silent.getsockname()[1]}")
        monkeypatch.setenv("BOT_TOKEN", PLATFORM_TOKEN)
        started = time.monotonic()
        assert main(["run"]) == TRY_LATER
    assert time.monotonic() - started < 30  # migrations included; the wait for Telegram was 1 s
    line = sentence(capsys)
    assert "did not answer" in line and "TELEGRAM_API_BASE" in line and PLATFORM_TOKEN not in line


# -- the real command, as a process ---------------------------------------------------------------


def run_gptitor(cwd: Path, *args: str, **env: str) -> tuple[int, str]:
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS and not k.startswith("COMMISSION__")}
    base.update({"PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite://{cwd / 'data' / 'gptitor.sqlite3'}", **env})
    proc = subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=base, capture_output=True,
                          text=True, timeout=120)
    return proc.returncode, proc.stderr


def test_no_route_to_telegram_names_telegram_api_base(here):
    code, err = run_gptitor(here, "run", BOT_TOKEN=PLATFORM_TOKEN, TELEGRAM_API_BASE=f"http://127.0.0.1:{free_port()}")
    assert code == TRY_LATER and "Traceback" not in err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("gptitor: the Bot API at http://127.0.0.1:") and "TELEGRAM_API_BASE" in last
    assert PLATFORM_TOKEN.split(":")[1] not in err


def test_run_without_its_database_stops_with_one_sentence(here):
    code, err = run_gptitor(here, "run", BOT_TOKEN=PLATFORM_TOKEN,
                            DATABASE_URL=f"postgres://gptitor:hunter2@127.0.0.1:{free_port()}/gptitor")
    assert code == TRY_LATER and "Traceback" not in err, err
    assert "cannot be opened" in err.strip().splitlines()[-1] and "hunter2" not in err


async def gptitor_against(fake_telegram, cwd: Path, *args: str, **env: str) -> tuple[int, str]:
    """The real command as a process while the fake Bot API answers in this test's event loop."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, cwd=cwd, stderr=asyncio.subprocess.PIPE,
        env={**{k: v for k, v in os.environ.items() if k not in SETTINGS}, "PYTHONPATH": str(ROOT),
             "BOT_TOKEN": PLATFORM_TOKEN, "TELEGRAM_API_BASE": fake_telegram.base_url,
             "DATABASE_URL": f"sqlite://{cwd / 'data' / 'gptitor.sqlite3'}", **env},
    )
    _, err = await asyncio.wait_for(proc.communicate(), 120)
    text = err.decode()
    assert "Traceback" not in text, text
    return proc.returncode, text.strip().splitlines()[-1]


async def test_a_token_telegram_rejects_is_one_sentence(here, fake_telegram):
    # The fake knows no bot with this token: getMe answers 401 Unauthorized, as Telegram does.
    assert await gptitor_against(fake_telegram, here, "run") == (
        2, "gptitor: Telegram rejected BOT_TOKEN: it was revoked or mistyped; get the current token from @BotFather.")
    assert fake_telegram.calls_to("getMe")


async def test_a_webhook_address_telegram_refuses_is_one_sentence(here, fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, "gptitor_bot")
    code, line = await gptitor_against(fake_telegram, here, "run", "--webhook", WEBHOOK_BASE_URL="bots.example.com",
                                       WEBHOOK_HOST="127.0.0.1", WEBHOOK_PORT=str(free_port()))
    assert code == 2
    assert line == ("gptitor: Telegram refused the webhook address bots.example.com (Bad Request: bad webhook: An "
                    "HTTPS URL must be provided for webhook): WEBHOOK_BASE_URL must be a public https address "
                    "on port 443, 80, 88 or 8443.")


async def test_a_port_in_use_is_one_sentence(here, fake_telegram):
    fake_telegram.add_bot(PLATFORM_TOKEN, "gptitor_bot")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code, line = await gptitor_against(fake_telegram, here, "run", "--webhook", WEBHOOK_HOST="127.0.0.1",
                                           WEBHOOK_PORT=str(port), WEBHOOK_BASE_URL="https://bots.example.com")
    assert code == TRY_LATER
    assert line.startswith(f"gptitor: cannot listen on 127.0.0.1:{port} (") and "WEBHOOK_PORT" in line


@pytest.mark.parametrize("error, code", [
    (app.StartupError("Telegram rejected BOT_TOKEN", retry=False), 2),  # the parent stops every worker
    (app.StartupError("the Bot API did not answer", retry=True), 1),  # the parent starts this one again
    (db.DatabaseUnavailable("the database cannot be opened", retry=True), 1),
])
def test_a_worker_that_cannot_start_tells_its_parent_whether_to_try_again(monkeypatch, capsys, error, code):
    from bot import workers

    async def failing(*_args, **_kwargs):
        raise error

    monkeypatch.setattr(workers, "run_platform", failing)
    monkeypatch.setattr(workers.logging, "basicConfig", lambda **_: None)  # the parent's logging stays as it is
    with pytest.raises(SystemExit) as exit_:
        workers._worker_main(None, 0, 20)
    assert exit_.value.code == code
    assert sentence(capsys) == f"gptitor: {error}"
