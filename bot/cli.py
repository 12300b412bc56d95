"""`gptitor` command line: run, migrate, settle, simulate, refund, copy-data, keygen.

Every command that needs settings reports a bad or missing one as one sentence and exit code 2,
never a traceback.

`run` and `refund` import the platform (aiogram, aiogram-dialog, openai: seconds) inside their
functions, for start-up time: `keygen`, `migrate`, `settle` and `simulate` do not need it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys

from billing import simulate
from billing.settlement import settle_due_periods
from bot import collector, copydata, db
from bot.config import ConfigError, DatabaseSettings, Settings, load_database_settings, load_settings
from bot.crypto import SecretBox, generate_key
from bot.logs import install_redaction, quiet_per_update_logs
from i18n.format import report_rub
from notify.redact import hide_password, redact

SETTINGS_EXIT = 2  # the operator must change a setting; a restart alone will not help
TRY_LATER_EXIT = os.EX_TEMPFAIL  # 75: Telegram or the database out of reach; a supervisor starts it again


def _fail(sentence: str, code: int = SETTINGS_EXIT) -> int:
    """One sentence on stderr (never a token, whatever an error quoted), and the exit code."""
    print(f"gptitor: {redact(sentence)}", file=sys.stderr)
    return code


def _settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise SystemExit(_fail(str(exc))) from None


def _database_settings_or_exit() -> DatabaseSettings:
    # migrate, settle and refund --record-only need only the database, not the bot token.
    try:
        return load_database_settings()
    except ConfigError as exc:
        raise SystemExit(_fail(str(exc))) from None


def _cmd_run(args: argparse.Namespace) -> int:
    settings = _settings_or_exit()
    if args.workers < 1:
        return _fail(f"--workers {args.workers}: give 1 or more worker processes.")
    if args.webhook and not settings.webhook_base_url:
        return _fail("--webhook needs WEBHOOK_BASE_URL, the public https address Telegram sends updates to "
                     "(e.g. https://bots.example.com).")
    if args.workers > 1:
        if not args.webhook:
            return _fail("several workers need --webhook: Telegram gives each bot's updates to one "
                         "getUpdates caller at a time.")
        from bot.workers import run_workers  # start-up time, see the module's docstring

        collector.ready()  # the imports are done (bot/collector.py)
        return run_workers(settings, args.workers)
    from bot.app import StartupError, run_platform  # start-up time, see the module's docstring

    collector.ready()  # the imports are done: collect from here on (bot/collector.py)
    try:
        asyncio.run(run_platform(settings, webhook=args.webhook))
    except StartupError as exc:
        return _fail(str(exc), TRY_LATER_EXIT if exc.retry else SETTINGS_EXIT)
    return 0


def _cmd_migrate(_args: argparse.Namespace) -> int:
    database_url = _database_settings_or_exit().database_url

    async def go() -> list[str]:
        try:
            return await db.migrate(database_url)
        finally:
            await db.close()

    applied = asyncio.run(go())
    if applied:
        print(f"gptitor: applied {len(applied)} migration(s): {', '.join(applied)}.")
    else:
        print("gptitor: the database schema was already up to date; nothing applied.")
    return 0


def _cmd_settle(_args: argparse.Namespace) -> int:
    # Settlement needs only the database and the commission schedule, not the bot token.
    settings = _database_settings_or_exit()

    async def go():
        await db.init(settings.database_url)
        try:
            return await settle_due_periods(schedule=settings.commission)
        finally:
            await db.close()

    result = asyncio.run(go())
    print(
        f"gptitor: settled {result.periods} periods, margin {result.margin_kopecks} kopecks "
        f"({report_rub(result.margin_kopecks)} RUB), {result.entries} ledger entries."
    )
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    if not args.verbose:  # the report is the output; settlement's progress lines are noise here
        for name in ("", "tortoise"):
            logging.getLogger(name).setLevel(logging.WARNING)
    try:
        report = asyncio.run(simulate.run(args.scenario, database=db.database, months=args.months,
                                          per_month=args.per_month, levels=args.levels))
    except simulate.ScenarioError as exc:
        print(f"gptitor: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report.as_json(), ensure_ascii=False) if args.json else simulate.format_report(report))
    return 0


def _cmd_refund(args: argparse.Namespace) -> int:
    """Refund one payment: Stars through the tracker bot, YooKassa through the API; the
    subscription's unsettled periods are cancelled and the client is told (through the outbox).
    `--record-only` talks to nobody, so it needs only the database."""
    from billing.payments import RefundNotPossible, refund_payment

    if args.record_only:
        database_url = _database_settings_or_exit().database_url

        async def go():
            await db.init(database_url)
            try:
                return await refund_payment(args.payment_id, record_only=True)
            finally:
                await db.close()
    else:
        settings = _settings_or_exit()
        from bot.registry import BotRegistry  # start-up time, see the module's docstring
        from services.payments import PaymentService

        async def go():
            await db.init(settings.database_url)
            registry = BotRegistry(settings.telegram_api_base)
            service = PaymentService(settings.payments, SecretBox(settings.secret_key.get_secret_value()),
                                     registry, timezone=settings.timezone)
            try:
                return await service.refund(args.payment_id)
            finally:
                await service.close()
                await registry.close()
                await db.close()

    try:
        outcome = asyncio.run(go())
    except RefundNotPossible as exc:
        return _fail(f"payment {args.payment_id} was not refunded: {exc}.", 1)
    except db.DatabaseUnavailable:
        raise  # main() says it, as for every command
    except Exception as exc:  # noqa: BLE001 - one sentence, not a traceback
        return _fail(f"payment {args.payment_id} was not refunded ({type(exc).__name__}: {exc}).", 1)
    if outcome.result is None and not outcome.payment.refunded:
        print(f"gptitor: refund of payment {args.payment_id} requested; YooKassa confirms it later.")
    elif outcome.already:
        print(f"gptitor: payment {args.payment_id} was already refunded.")
    else:
        cancelled = outcome.result.cancelled_periods if outcome.result else 0
        print(f"gptitor: payment {args.payment_id} refunded, {cancelled} unsettled period(s) cancelled.")
    return 0


def _cmd_copy_data(args: argparse.Namespace) -> int:
    for name in ("", "tortoise"):  # the table below is the output
        logging.getLogger(name).setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    print(f"gptitor: copying {hide_password(args.source)} -> {hide_password(args.target)} "
          "(stop the platform first: rows written during the copy may be missed)")
    try:
        report = asyncio.run(copydata.copy_data(args.source, args.target, progress=lambda line: print(f"  {line}")))
    except copydata.CopyError as exc:
        print(f"gptitor: nothing copied: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - one sentence, not a traceback
        print(f"gptitor: the copy failed ({type(exc).__name__}: {exc}); the copy's rows were rolled back",
              file=sys.stderr)
        return 1
    print(copydata.format_report(report))
    return 0 if report.matches else 1


def _cmd_keygen(_args: argparse.Namespace) -> int:
    print(generate_key())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gptitor", description="GPTitor: paid AI tracker bots in Telegram.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start the platform bot and every tracker bot")
    run.add_argument("--webhook", action="store_true", help="serve webhooks instead of long polling")
    run.add_argument("--workers", type=int, default=1,
                     help="webhook worker processes sharing the port and the (PostgreSQL) database")
    run.set_defaults(func=_cmd_run)

    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(func=_cmd_migrate)
    sub.add_parser("settle", help="settle every accounting period that has ended").set_defaults(func=_cmd_settle)

    simulate = sub.add_parser("simulate", help="run a money scenario on a temporary database (docs/simulate.md)")
    simulate.add_argument("scenario", help="self, representatives, snowball, or a TOML file")
    simulate.add_argument("--json", action="store_true", help="one JSON object; totals in kopecks")
    simulate.add_argument("--months", type=int, default=None, help="months to simulate (snowball: 18)")
    simulate.add_argument(
        "--per-month", type=int, default=1, help="snowball: new subscribers each subscriber brings a month"
    )
    simulate.add_argument(
        "--levels", default=None, metavar="30,20,10,5",
        help="the referral levels' percents, level 1 first (0 to 6 of them); the author keeps "
             "their share and the platform takes the rest",
    )
    simulate.set_defaults(func=_cmd_simulate)
    sub.add_parser("keygen", help="print a new SECRET_KEY for .env").set_defaults(func=_cmd_keygen)
    refund = sub.add_parser("refund", help="refund a payment and end its subscription")
    refund.add_argument("payment_id", type=int, help="the payment's id (payments table)")
    refund.add_argument("--record-only", action="store_true",
                        help="the money was returned elsewhere (the provider's dashboard): only record it")
    refund.set_defaults(func=_cmd_refund)
    copy = sub.add_parser("copy-data", help="copy every row into another, empty database (e.g. SQLite to PostgreSQL)")
    copy.add_argument("--from", dest="source", required=True, metavar="URL", help="e.g. sqlite://data/gptitor.sqlite3")
    copy.add_argument("--to", dest="target", required=True, metavar="URL", help="e.g. postgres://user:pass@host/db")
    copy.set_defaults(func=_cmd_copy_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_per_update_logs(level)
    install_redaction()
    if args.func is not _cmd_run:
        collector.ready()  # `run` imports the platform first (refund imports a little, with it on)
    try:
        return args.func(args)
    except db.DatabaseUnavailable as exc:
        return _fail(str(exc), TRY_LATER_EXIT if exc.retry else SETTINGS_EXIT)
    except KeyboardInterrupt:  # Ctrl-C before the platform took over SIGINT (it then stops cleanly)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
