"""The partner cabinet's summaries, kept by database triggers in the same transaction as the rows
they sum: link funnels (`link_totals`), network counts by level (`network_totals`), the open
periods behind the forecast (`open_period_totals`), level-1 refunds (`refund_totals`) and the
author's list of partners (`partner_roster`). Models in models/referral.py.

Why triggers: clicks, starts, payments, refunds and periods are written from many places (the
dispatcher, the payment providers, refunds, settlement, the simulator, raw bulk loads). A trigger
sees every one of them, commits or rolls back with it, and fires once per row that really
changed: a retried step that inserts nothing (ON CONFLICT DO NOTHING, an existing key) changes
no total, so the totals are idempotent for free.

One change is left to the code that makes it: a period leaving "open" (settled, or cancelled by a
refund). The periods' trigger does not watch `status` at all, so SQLite does not even enter it for
settlement's UPDATE of thousands of rows a batch; the code that closes periods takes them out of
the open totals with one grouped statement a level (`periods_closed`). Any other way to close a
period must call it too, and must not change a period's status together with a watched column.

Each trigger applies a row's contribution with the sign of the change: -1 for the OLD row, +1 for
the NEW one, computed against the other tables as they are at that moment. So after every
statement each summary equals the direct aggregate over the base tables; `backfill()` computes the
same aggregates from scratch (the migration runs it on existing data, the tests compare).

The chain's depth is `LEVELS`, every column the rows carry (l1_id..l6_id, as deep as a commission
schedule can go); the tables are keyed by level number. Past level 1 a row with nobody at a level
adds nothing there (only level 1's "nobody" is read: the author's share of uninvited clients), so
the usual short chains cost a deeper schedule no writes.
"""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.backends.base.client import BaseDBAsyncClient

from models.sql import id_chunks, sql

LEVELS = 6
# Ids bound in one statement of periods_closed: a whole settlement batch at once (SQLite since 3.32
# and PostgreSQL take 32,766 parameters), seven statements a batch rather than seventy.
BATCH_IDS = 5_000
TABLES = ("link_totals", "network_totals", "open_period_totals", "refund_totals", "partner_roster")


def _upsert(table: str, key: str, columns: str) -> str:
    """`ON CONFLICT (key) DO UPDATE` adding each of `columns` to what is there."""
    adds = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns.split(", "))
    return f"ON CONFLICT ({key}) DO UPDATE SET {adds}"


def _locked(r: str) -> str:
    return f"(CASE WHEN {r}.locked_at IS NOT NULL THEN 1 ELSE 0 END)"


def _membership(r: str, s: str) -> list[str]:
    """A membership row's contribution, `s` ("1" or "-1") times."""
    paid = (
        f"COALESCE((SELECT SUM(p.amount_kopecks) FROM payments p WHERE p.tracker_id = {r}.tracker_id "
        f"AND p.user_id = {r}.user_id AND NOT p.refunded), 0)"
    )
    out = [
        "INSERT INTO link_totals (link_id, clicks, starts, paying, revenue_kopecks) "
        f"SELECT {r}.invite_link_id, 0, {s}, {s} * {_locked(r)}, "
        f"{s} * (CASE WHEN {r}.locked_at IS NOT NULL THEN {paid} ELSE 0 END) "
        f"WHERE {r}.invite_link_id IS NOT NULL " + _upsert("link_totals", "link_id", "starts, paying, revenue_kopecks"),
    ]
    for n in range(1, LEVELS + 1):
        out.append(
            "INSERT INTO network_totals (holder_id, level, tracker_id, people, paying) "
            f"SELECT {r}.l{n}_id, {n}, {r}.tracker_id, {s}, {s} * {_locked(r)} WHERE {r}.l{n}_id IS NOT NULL "
            + _upsert("network_totals", "holder_id, level, tracker_id", "people, paying")
        )
    out.append(
        "INSERT INTO refund_totals (tracker_id, partner_id, payments, refunded) "
        f"SELECT {r}.tracker_id, {r}.l1_id, {s} * x.n, {s} * x.r FROM (SELECT COUNT(*) AS n, "
        "COALESCE(SUM(CASE WHEN p.refunded THEN 1 ELSE 0 END), 0) AS r FROM payments p "
        f"WHERE p.tracker_id = {r}.tracker_id AND p.user_id = {r}.user_id) x "
        f"WHERE {r}.l1_id IS NOT NULL AND x.n > 0 "
        + _upsert("refund_totals", "tracker_id, partner_id", "payments, refunded")
    )
    out += _roster(r, f"{r}.user_id", "0", f"{s} * (CASE WHEN {r}.is_partner THEN 1 ELSE 0 END)", f"{r}.is_partner")
    return out


def _roster(r: str, user: str, links: str, named: str, when: str) -> list[str]:
    return [
        f"INSERT INTO partner_roster (tracker_id, user_id, links, named) SELECT {r}.tracker_id, {user}, {links}, "
        f"{named} WHERE {when} " + _upsert("partner_roster", "tracker_id, user_id", "links, named"),
        f"DELETE FROM partner_roster WHERE tracker_id = {r}.tracker_id AND user_id = {user} AND links = 0 "
        "AND named = 0",
    ]


def _payment(r: str, s: str) -> list[str]:
    member = f"FROM memberships m WHERE m.tracker_id = {r}.tracker_id AND m.user_id = {r}.user_id"
    return [
        "INSERT INTO link_totals (link_id, clicks, starts, paying, revenue_kopecks) "
        f"SELECT m.invite_link_id, 0, 0, 0, {s} * {r}.amount_kopecks {member} "
        f"AND m.invite_link_id IS NOT NULL AND m.locked_at IS NOT NULL AND NOT {r}.refunded "
        + _upsert("link_totals", "link_id", "revenue_kopecks"),
        "INSERT INTO refund_totals (tracker_id, partner_id, payments, refunded) "
        f"SELECT {r}.tracker_id, m.l1_id, {s}, {s} * (CASE WHEN {r}.refunded THEN 1 ELSE 0 END) {member} "
        "AND m.l1_id IS NOT NULL " + _upsert("refund_totals", "tracker_id, partner_id", "payments, refunded"),
    ]


def _click(r: str, s: str) -> list[str]:
    return [
        f"INSERT INTO link_totals (link_id, clicks, starts, paying, revenue_kopecks) SELECT {r}.link_id, {s}, 0, 0, 0 "
        "WHERE 1 = 1 " + _upsert("link_totals", "link_id", "clicks")
    ]


def _link(r: str, s: str) -> list[str]:
    return _roster(r, f"{r}.owner_id", s, "0", "1 = 1")


def _period(r: str, s: str) -> list[str]:
    out = []
    for n in range(0, LEVELS + 1):
        holder = "0" if n == 0 else f"COALESCE({r}.l{n}_id, 0)"
        somebody = f" AND {r}.l{n}_id IS NOT NULL" if n > 1 else ""
        out.append(
            "INSERT INTO open_period_totals (holder_id, level, tracker_id, revenue_kopecks, periods) "
            f"SELECT {holder}, {n}, {r}.tracker_id, {r}.revenue_kopecks, {s} WHERE {r}.status = 'open'{somebody} "
            + _upsert("open_period_totals", "holder_id, level, tracker_id, revenue_kopecks", "periods")
        )
    return out


_CHAIN = tuple(f"l{n}_id" for n in range(1, LEVELS + 1))
# table -> (the columns whose change moves a total, the row's contribution)
WATCHED = {
    "memberships": (("tracker_id", "user_id", "invite_link_id", "locked_at", "is_partner", *_CHAIN), _membership),
    "payments": (("tracker_id", "user_id", "amount_kopecks", "refunded"), _payment),
    "invite_clicks": (("link_id",), _click),
    "invite_links": (("tracker_id", "owner_id"), _link),
    # not `status`: a period leaving "open" is reported by the code that closes it (periods_closed)
    "accounting_periods": (("tracker_id", "revenue_kopecks", *_CHAIN), _period),
}
# The form migration 0017 installed (status watched, only open -> settled left to the code), which
# 0017 keeps and a downgrade past 0018 puts back. When another table's columns change, a migration
# must install the new form and this one must keep the old columns.
_WATCHED_0017 = {**WATCHED, "accounting_periods": (("tracker_id", "status", "revenue_kopecks", *_CHAIN), _period)}
_SKIPPED_0017 = {"accounting_periods": "OLD.status = 'open' AND NEW.status = 'settled'"}


def _changed(table: str, columns: Sequence[str], differ: str, skipped: dict[str, str]) -> str:
    changed = " OR ".join(f"OLD.{c} {differ} NEW.{c}" for c in columns)
    return f"({changed}) AND NOT ({skipped[table]})" if table in skipped else changed


def _sqlite_install(watched: dict, skipped: dict[str, str]) -> list[str]:
    out = []
    for table, (columns, rows) in watched.items():
        name = f"summaries_{table}"
        changed = _changed(table, columns, "IS NOT", skipped)
        for event, body in (
            ("INSERT", rows("NEW", "1")),
            ("DELETE", rows("OLD", "-1")),
            (f"UPDATE OF {', '.join(columns)}", rows("OLD", "-1") + rows("NEW", "1")),
        ):
            suffix = event.split()[0].lower()
            when = f" WHEN {changed}" if suffix == "update" else ""
            out.append(
                f"CREATE TRIGGER {name}_{suffix} AFTER {event} ON {table}{when} BEGIN "
                + " ".join(f"{statement};" for statement in body)
                + " END"
            )
    return out


def _sqlite_remove() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS summaries_{t}_{e}" for t in WATCHED for e in ("insert", "delete", "update")]


def _postgres_install(watched: dict, skipped: dict[str, str]) -> list[str]:
    out = []
    for table, (columns, rows) in watched.items():
        name = f"summaries_{table}"
        old = " ".join(f"{statement};" for statement in rows("OLD", "-1"))
        new = " ".join(f"{statement};" for statement in rows("NEW", "1"))
        changed = _changed(table, columns, "IS DISTINCT FROM", skipped)
        out += [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP <> 'INSERT' THEN {old} END IF; IF TG_OP <> 'DELETE' THEN {new} END IF; RETURN NULL; END $$",
            f"CREATE TRIGGER {name}_change AFTER INSERT OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
            f"CREATE TRIGGER {name}_update AFTER UPDATE OF {', '.join(columns)} ON {table} FOR EACH ROW "
            f"WHEN ({changed}) EXECUTE FUNCTION {name}()",
        ]
    return out


def _postgres_remove() -> list[str]:
    out = []
    for table in WATCHED:
        out += [
            f"DROP TRIGGER IF EXISTS summaries_{table}_change ON {table}",
            f"DROP TRIGGER IF EXISTS summaries_{table}_update ON {table}",
            f"DROP FUNCTION IF EXISTS summaries_{table}()",
        ]
    return out


# The same aggregates from scratch, for existing data.
def _backfill() -> list[str]:
    locked_paid = (
        "SELECT m.invite_link_id AS link_id, SUM(p.amount_kopecks) AS revenue FROM memberships m "
        "JOIN payments p ON p.tracker_id = m.tracker_id AND p.user_id = m.user_id AND NOT p.refunded "
        "WHERE m.invite_link_id IS NOT NULL AND m.locked_at IS NOT NULL GROUP BY m.invite_link_id"
    )
    out = [
        "INSERT INTO link_totals (link_id, clicks, starts, paying, revenue_kopecks) "
        "SELECT l.id, COALESCE(c.n, 0), COALESCE(m.n, 0), COALESCE(m.paying, 0), COALESCE(r.revenue, 0) "
        "FROM invite_links l "
        "LEFT JOIN (SELECT link_id, COUNT(*) AS n FROM invite_clicks GROUP BY link_id) c ON c.link_id = l.id "
        "LEFT JOIN (SELECT invite_link_id, COUNT(*) AS n, COUNT(locked_at) AS paying FROM memberships "
        "WHERE invite_link_id IS NOT NULL GROUP BY invite_link_id) m ON m.invite_link_id = l.id "
        f"LEFT JOIN ({locked_paid}) r ON r.link_id = l.id",
        "INSERT INTO refund_totals (tracker_id, partner_id, payments, refunded) "
        "SELECT m.tracker_id, m.l1_id, COUNT(*), SUM(CASE WHEN p.refunded THEN 1 ELSE 0 END) FROM payments p "
        "JOIN memberships m ON m.tracker_id = p.tracker_id AND m.user_id = p.user_id "
        "WHERE m.l1_id IS NOT NULL GROUP BY m.tracker_id, m.l1_id",
        "INSERT INTO partner_roster (tracker_id, user_id, links, named) "
        "SELECT tracker_id, uid, SUM(links), SUM(named) FROM ("
        "SELECT tracker_id, owner_id AS uid, 1 AS links, 0 AS named FROM invite_links UNION ALL "
        "SELECT tracker_id, user_id, 0, 1 FROM memberships WHERE is_partner) x GROUP BY tracker_id, uid",
        "INSERT INTO open_period_totals (holder_id, level, tracker_id, revenue_kopecks, periods) "
        "SELECT 0, 0, tracker_id, revenue_kopecks, COUNT(*) FROM accounting_periods WHERE status = 'open' "
        "GROUP BY tracker_id, revenue_kopecks",
    ]
    for n in range(1, LEVELS + 1):
        out += [
            "INSERT INTO network_totals (holder_id, level, tracker_id, people, paying) "
            f"SELECT l{n}_id, {n}, tracker_id, COUNT(*), COUNT(locked_at) FROM memberships "
            f"WHERE l{n}_id IS NOT NULL GROUP BY l{n}_id, tracker_id",
            "INSERT INTO open_period_totals (holder_id, level, tracker_id, revenue_kopecks, periods) "
            f"SELECT COALESCE(l{n}_id, 0), {n}, tracker_id, revenue_kopecks, COUNT(*) FROM accounting_periods "
            f"WHERE status = 'open'{'' if n == 1 else f' AND l{n}_id IS NOT NULL'} "
            f"GROUP BY COALESCE(l{n}_id, 0), tracker_id, revenue_kopecks",
        ]
    return out


async def periods_closed(conn: BaseDBAsyncClient, period_ids: Sequence[int]) -> None:
    """Periods just taken out of "open" (settled, or cancelled by a refund) leave the open-period
    totals: in the transaction that closed them, one grouped statement a level for each
    BATCH_IDS of them. Pass only ids this transaction changed (a period passed twice would leave twice)."""
    for chunk, marks in id_chunks(period_ids, BATCH_IDS):
        for n in range(0, LEVELS + 1):
            holder = "0" if n == 0 else f"COALESCE(l{n}_id, 0)"
            somebody = f" AND l{n}_id IS NOT NULL" if n > 1 else ""
            await conn.execute_query(sql(conn,
                "INSERT INTO open_period_totals (holder_id, level, tracker_id, revenue_kopecks, periods) "
                f"SELECT {holder}, {n}, tracker_id, revenue_kopecks, -COUNT(*) FROM accounting_periods "
                f"WHERE id IN ({marks}) AND status <> 'open'{somebody} "
                f"GROUP BY {'' if n == 0 else holder + ', '}tracker_id, revenue_kopecks "
                + _upsert("open_period_totals", "holder_id, level, tracker_id, revenue_kopecks", "periods")), chunk)


def _dialect(conn: BaseDBAsyncClient) -> str:
    dialect = conn.capabilities.dialect
    if dialect not in ("sqlite", "postgres"):
        raise RuntimeError(f"no cabinet summaries written for {dialect}")
    return dialect


async def install(conn: BaseDBAsyncClient, *, as_in_0017: bool = False) -> None:
    watched, skipped = (_WATCHED_0017, _SKIPPED_0017) if as_in_0017 else (WATCHED, {})
    build = _sqlite_install if _dialect(conn) == "sqlite" else _postgres_install
    statements = build(watched, skipped)
    for statement in statements:
        await conn.execute_script(statement)


async def remove(conn: BaseDBAsyncClient) -> None:
    statements = _sqlite_remove() if _dialect(conn) == "sqlite" else _postgres_remove()
    for statement in statements:
        await conn.execute_script(statement)


async def backfill(conn: BaseDBAsyncClient) -> None:
    """Every summary recomputed from the base tables (run with the triggers off or in the same
    transaction as their install, so no write lands in between)."""
    for table in TABLES:
        await conn.execute_script(f"DELETE FROM {table}")
    for statement in _backfill():
        await conn.execute_script(statement)
