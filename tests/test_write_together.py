"""models.sql.write_together: several writes as one transaction (on SQLite one round trip to the
database thread), all or nothing, and never mixed with another coroutine's statements."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.sql import default_connection, rows, sql, write_together

INSERT = "INSERT INTO scratch (v, note) VALUES (?, ?)"


@pytest.fixture
async def scratch(database):
    conn = default_connection()
    await conn.execute_script("CREATE TABLE scratch (v INTEGER PRIMARY KEY, note TEXT NOT NULL)")
    return conn


async def values(conn) -> list[int]:
    return [r[0] for r in await rows(conn, "SELECT v FROM scratch ORDER BY v", [])]


async def test_every_step_is_written_single_rows_and_many(scratch):
    await write_together(scratch, [
        (INSERT, [(1, "one")]),
        (INSERT, [(2, "two"), (3, "three")]),
        ("UPDATE scratch SET note = ? WHERE v = ?", [("uno", 1)]),
        (INSERT, []),  # a step without rows is skipped
    ])  # fmt: skip
    assert await values(scratch) == [1, 2, 3]
    assert (await rows(scratch, "SELECT note FROM scratch WHERE v = 1", []))[0][0] == "uno"


async def test_a_failing_step_undoes_the_steps_before_it_and_leaves_the_connection_usable(scratch):
    await write_together(scratch, [(INSERT, [(1, "kept")])])
    with pytest.raises(IntegrityError):
        await write_together(scratch, [(INSERT, [(2, "undone")]), (INSERT, [(1, "duplicate")])])
    assert await values(scratch) == [1]
    # Not left inside a transaction: a plain statement commits on its own, and so does the next batch.
    await scratch.execute_query(sql(scratch, INSERT), [4, "plain"])
    await write_together(scratch, [(INSERT, [(5, "next")])])
    async with in_transaction() as tx:
        await tx.execute_query(sql(tx, INSERT), [6, "orm"])
    assert await values(scratch) == [1, 4, 5, 6]


async def test_inside_a_transaction_the_steps_join_it(scratch):
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await write_together(default_connection(), [(INSERT, [(1, "joined")])])
            raise RuntimeError("the caller's transaction fails")
    assert await values(scratch) == []


async def test_batches_and_tortoise_transactions_at_once_never_interleave(scratch):
    async def batch(n: int) -> None:
        await write_together(scratch, [(INSERT, [(n, "batch")]), (INSERT, [(n + 1000, "batch")])])

    async def transaction(n: int) -> None:
        async with in_transaction() as tx:
            await tx.execute_query(sql(tx, INSERT), [n, "tx"])
            await asyncio.sleep(0)  # let the batches try to run in the middle of it
            await tx.execute_query(sql(tx, INSERT), [n + 1000, "tx"])

    await asyncio.gather(*(batch(n) if n % 2 else transaction(n) for n in range(1, 81)))
    assert await values(scratch) == sorted([*range(1, 81), *range(1001, 1081)])
