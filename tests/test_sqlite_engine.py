"""The platform's SQLite client opening one new file from several connections at once, as two
`gptitor migrate` (or `migrate` beside `run`) do on a first start. Switching a new file to WAL
takes an exclusive lock that SQLite refuses at once, busy timeout or not, when two connections
ask for it together: one of them failed with "database is locked" before the client retried."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot import db
from models import sqlite_engine

ROUNDS = 60
CONNECTIONS = 3


async def _open_and_write(path: Path) -> str:
    credentials = db.connection_config(f"sqlite://{path}")["credentials"]
    client = sqlite_engine.Client(connection_name="race", **credentials)
    try:
        await client.create_connection(with_db=True)
        await client.execute_script("CREATE TABLE IF NOT EXISTS opened (n INTEGER)")
        await client.execute_query("INSERT INTO opened (n) VALUES (1)")
        return (await client.execute_query_dict("PRAGMA journal_mode"))[0]["journal_mode"]
    except Exception as exc:  # named in the failure rather than ending the round
        return repr(exc)
    finally:
        await client.close()


async def test_connections_opening_one_new_file_at_once_all_get_in(tmp_path: Path) -> None:
    # each connection has its own thread (aiosqlite), so their PRAGMAs run truly at once
    outcomes = [
        await asyncio.gather(*(_open_and_write(tmp_path / f"new-{n}.sqlite3") for _ in range(CONNECTIONS)))
        for n in range(ROUNDS)
    ]
    assert [o for o in outcomes if o != ["wal"] * CONNECTIONS] == []
