"""`gptitor` command line: run, migrate, settle, simulate, keygen.

Every command that needs settings reports a bad or missing one as one sentence and exit code 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.config import ConfigError, DatabaseSettings, Settings, load_settings


def _settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        print(f"gptitor: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _cmd_run(args: argparse.Namespace) -> int:
    settings = _settings_or_exit()
    from bot.app import run_platform

    asyncio.run(run_platform(settings, webhook=args.webhook))
    return 0


def _cmd_migrate(_args: argparse.Namespace) -> int:
    from bot import db

    database_url = _database_url_only()

    async def go() -> None:
        await db.migrate(database_url)
        await db.close()

    asyncio.run(go())
    print("gptitor: the database schema is up to date.")
    return 0


def _database_url_only() -> str:
    # migrate needs only the database, not the bot token.
    return DatabaseSettings().database_url


def _cmd_keygen(_args: argparse.Namespace) -> int:
    from bot.crypto import generate_key

    print(generate_key())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gptitor", description="GPTitor: paid AI tracker bots in Telegram.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start the platform bot and every tracker bot")
    run.add_argument("--webhook", action="store_true", help="serve webhooks instead of long polling")
    run.set_defaults(func=_cmd_run)

    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(func=_cmd_migrate)
    sub.add_parser("keygen", help="print a new SECRET_KEY for .env").set_defaults(func=_cmd_keygen)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
