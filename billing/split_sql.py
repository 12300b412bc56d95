"""billing.split's rules for a batch of settled periods, computed in the database.

Settlement used to split each period in Python and send every share back as a row of an
`executemany`: per row, a Python object, eight bound parameters and a call into the driver. Here
one `INSERT ... SELECT` per 1,000 periods makes the same rows from the periods themselves (their
`margin_kopecks` already marked), so the driver binds a thousand ids instead of five thousand rows.

The statement follows `billing.split.split_margin` exactly; tests/billing/test_split_sql.py holds
it to `split_margin` for any margin and schedule, and the settlement tests to the whole ledger:

- each of the schedule's roles (platform, author, l1 .. l<depth>) gets
  `margin * weight / total` rounded down; the kopecks left over go one each to the largest
  remainders `margin * weight % total`, ties to the earlier role (each role's place counted with
  the schedule's weights as constants: no window function, no sort);
- the holders: the platform's share and every level nobody holds go to the platform's account;
  the author is the tracker's; level 1 of a client nobody invited is the author's when the
  schedule says so; a zero share is not written;
- a referral share of a flagged partner (billing.fraud) is written as `held`;
- a margin <= 0 is one `loss` entry of the margin on the platform;
- a period whose revenue the author collected gets the author's `collected` entry of -revenue.

Exactness: the database's integers are 64-bit (SQLite turns an overflowing product into a float),
so a period whose margin times the schedule's total could reach 2^62 is left to the Python split
(`fits`); none does at any real price: a plan costs at most billing.plans.MAX_PRICE_KOPECKS
(10^8), a margin never exceeds the revenue, and a schedule's total is 100 scaled by its percents'
decimal places (1,000 for 12.5%): the products stay below 2^62 up to 8 decimal places.
"""

from __future__ import annotations

from collections.abc import Collection

from tortoise.backends.base.client import BaseDBAsyncClient

from billing.split import LEVEL_ROLES, Weights
from models.enums import Collector, EntryKind, Role, SourceType
from models.sql import execute_count, id_chunks, is_postgres

CHUNK = 1_000  # periods a statement: well under every driver's limit on bound parameters
_SAFE_PRODUCT = 2**62


def fits(margin: int, weights: Weights) -> bool:
    """Whether the database splits this margin exactly (its products stay in 64-bit integers)."""
    return abs(margin) * weights.total < _SAFE_PRODUCT


def bound(weights: Weights) -> int:
    """The largest |margin| `fits` takes under `weights`."""
    return (_SAFE_PRODUCT - 1) // weights.total


async def write_entries(
    conn: BaseDBAsyncClient, period_ids: list[int], weights: Weights, platform_account: int, now_ts: object,
    held: Collection[int] = (),
) -> int:
    """The ledger entries of `period_ids` (settled in this transaction, margins marked, each within
    `fits`) under `weights`; the number written. A referral share of a user in `held` (flagged:
    billing.fraud) is written as `held`. A second call writes nothing (the ledger's key)."""
    written = 0
    now = "CAST(? AS TIMESTAMPTZ)" if is_postgres(conn) else "?"  # PostgreSQL infers no type in a SELECT list
    for chunk, marks in id_chunks(period_ids, CHUNK):
        query = _statement(weights, int(platform_account), now, marks, held)
        written += await execute_count(conn, query, [now_ts, *chunk])  # in the text's order
    return written


def _roles(weights: Weights) -> str:
    """The rows each period makes, as a table (idx, role, kind): the schedule's roles in rounding
    order, then its loss and its collected entry. Constants of the compiled schedule, no input."""
    rows = [(i, role.value, _ACCRUAL) for i, role in enumerate(weights.roles)]
    rows += [(_LOSS_ROW, Role.PLATFORM.value, _LOSS), (_COLLECTED_ROW, Role.AUTHOR.value, _COLLECTED)]
    return " UNION ALL ".join(f"SELECT {i} AS idx, '{role}' AS role, '{kind}' AS kind" for i, role, kind in rows)


def _holder(weights: Weights) -> str:
    """Who holds the row `x.idx` of period `p`: NULL (the platform) for the platform's share and
    the loss, the tracker's author for the author's share and the collected entry."""
    levels = [f"p.{role.value}_id" for role in LEVEL_ROLES[: weights.depth]]
    if levels and weights.unattributed_to_author:
        levels[0] = f"COALESCE({levels[0]}, t.author_id)"
    whens = "".join(f" WHEN {i} THEN {holder}" for i, holder in enumerate(["t.author_id", *levels], start=1))
    return f"CASE x.idx{whens} WHEN {_COLLECTED_ROW} THEN t.author_id END"


def _share(weights: Weights) -> str:
    """Role `x.idx`'s share of the margin m, as billing.split.role_amounts computes it: the floor
    of m * weight / total, plus one kopeck if the role is among the `left` largest remainders
    (ties to the earlier role). A role's place in that order is the number of roles ahead of it,
    written out for each role with the schedule's weights as constants: no sort, no window."""
    m, total = "p.margin_kopecks", int(weights.total)
    weight = [int(w) for w in weights.weights]
    floors = [f"{m} * {w} / {total}" for w in weight]
    rem = [f"{m} * {w} % {total}" for w in weight]
    left = f"{m} - ({' + '.join(floors)})"
    cases = []
    for i in range(len(weight)):
        ahead = [f"CASE WHEN {rem[j]} {'>=' if j < i else '>'} {rem[i]} THEN 1 ELSE 0 END"
                 for j in range(len(weight)) if j != i]
        place = " + ".join(ahead) or "0"
        cases.append(f" WHEN {i} THEN {floors[i]} + CASE WHEN {place} < {left} THEN 1 ELSE 0 END")
    return f"CASE x.idx{''.join(cases)} END"


_ACCRUAL, _HELD, _LOSS, _COLLECTED = (k.value for k in (EntryKind.ACCRUAL, EntryKind.HELD, EntryKind.LOSS,
                                                          EntryKind.COLLECTED))
_PERIOD, _COLLECTION = SourceType.PERIOD.value, SourceType.COLLECTION.value
_COLLECTED_BY_AUTHOR = Collector.AUTHOR.value
_LOSS_ROW, _COLLECTED_ROW = 98, 99  # after every role: the period's rows in the Python split's order


def _statement(weights: Weights, platform_account: int, now: str, marks: str, held: Collection[int]) -> str:
    limit = bound(weights)
    kind = "s.kind"
    if held:  # user ids as integer literals: a few flagged partners, no parameter limit to mind
        referral = "', '".join(role.value for role in LEVEL_ROLES)
        flagged = ", ".join(str(int(uid)) for uid in sorted(held))
        kind = (f"CASE WHEN s.kind = '{_ACCRUAL}' AND s.role IN ('{referral}') AND s.holder IN ({flagged}) "
                f"THEN '{_HELD}' ELSE s.kind END")
    # One row per (period, row of _roles) that has something to write; CROSS JOIN keeps the
    # periods as the outer loop (SQLite does not reorder it), so the rows come period by period.
    return f"""
        INSERT INTO ledger_entries (account_id, kind, role, amount_kopecks, source_type, source_id, tracker_id,
                                    created_at)
        SELECT COALESCE(a.id, {platform_account}), {kind}, s.role, s.amount,
               CASE WHEN s.kind = '{_COLLECTED}' THEN '{_COLLECTION}' ELSE '{_PERIOD}' END,
               s.period_id, s.tracker_id, {now}
        FROM (
            SELECT p.id AS period_id, p.tracker_id, x.idx, x.role, x.kind, {_holder(weights)} AS holder,
                   CASE x.kind WHEN '{_LOSS}' THEN p.margin_kopecks
                               WHEN '{_COLLECTED}' THEN -p.revenue_kopecks
                               ELSE {_share(weights)} END AS amount
            FROM accounting_periods p
            JOIN trackers t ON t.id = p.tracker_id
            CROSS JOIN ({_roles(weights)}) x
            WHERE p.id IN ({marks}) AND CASE x.kind
                WHEN '{_ACCRUAL}' THEN p.margin_kopecks > 0 AND p.margin_kopecks <= {limit}
                WHEN '{_LOSS}' THEN p.margin_kopecks <= 0 AND p.margin_kopecks >= -{limit}
                ELSE p.collector = '{_COLLECTED_BY_AUTHOR}' END
        ) s
        LEFT JOIN accounts a ON a.user_id = s.holder
        WHERE s.amount <> 0 OR s.kind <> '{_ACCRUAL}'
        ON CONFLICT (source_type, source_id, account_id, role, kind) DO NOTHING"""
