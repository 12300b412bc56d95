"""The `gptitor` command (and `python -m bot`): bot/cli.py, with the garbage collector off while
it imports the platform (bot/collector.py says why)."""

from __future__ import annotations

from bot import collector


def main() -> int:
    collector.defer()  # before the first import of the platform
    try:
        from bot.cli import main as cli_main

        return cli_main()
    finally:
        collector.ready()  # if the command failed before it said its imports were done
