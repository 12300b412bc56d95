"""The cabinet's summaries (models/summaries.py) equal the direct aggregates over the base tables
after any history: starts through links (some twice, as a retried update would), payments,
refunds, periods settled or cancelled, partners named, links moved, members and clicks deleted.

Two checks after each history: every trigger-kept table equals the same aggregate computed from
scratch (`summaries.backfill`), and every cabinet read (funnels, network, forecast, the author's
partners page, the refund alert) equals the query it replaced, run here over the base tables.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise import connections

from billing import partner
from billing.partner.earnings import role_share
from models import AccountingPeriod, InviteClick, InviteLink, Membership, Payment, summaries
from models import sql as db
from models.enums import PeriodStatus
from referral import record_start, stats
from tests.referral.conftest import make_tracker, make_user, pay

USERS = list(range(2, 7))
AUTHORS = (1, 11)

step = st.one_of(
    st.tuples(st.just("link"), st.sampled_from(USERS + [1]), st.integers(0, 1)),
    st.tuples(st.just("start"), st.sampled_from(USERS), st.integers(0, 1), st.integers(0, 6), st.booleans()),
    st.tuples(st.just("pay"), st.sampled_from(USERS), st.integers(0, 1), st.sampled_from([100_000, 200_000, 99_999])),
    st.tuples(st.just("refund"), st.integers(0, 20)),
    st.tuples(st.just("period"), st.integers(0, 20), st.sampled_from(["settled", "cancelled"])),
    st.tuples(st.just("name"), st.sampled_from(USERS), st.integers(0, 1), st.booleans()),
    st.tuples(st.just("move"), st.integers(0, 10), st.integers(0, 6)),
    st.tuples(st.just("unclick"), st.integers(0, 10)),
    st.tuples(st.just("leave"), st.sampled_from(USERS), st.integers(0, 1)),
)


async def _wipe(conn) -> None:
    for table in ("accounting_periods", "subscriptions", "payments", "invite_clicks", "memberships", "invite_links"):
        await conn.execute_script(f"DELETE FROM {table}")


async def _snapshot(conn) -> dict[str, set[tuple]]:
    """Each summary's rows without the all-zero ones (a total that went back to nothing)."""
    keys = {
        "link_totals": "link_id",
        "network_totals": "holder_id, level, tracker_id",
        "open_period_totals": "holder_id, level, tracker_id, revenue_kopecks",
        "refund_totals": "tracker_id, partner_id",
        "partner_roster": "tracker_id, user_id",
    }
    out = {}
    for table, key in keys.items():
        rows = await conn.execute_query_dict(f"SELECT * FROM {table}")
        width = len(key.split(", "))
        out[table] = {
            tuple(row[c] for c in key.split(", "))
            + tuple(v for k, v in dict(row).items() if k not in key.split(", ") and k != "id")
            for row in rows
            if any(v for k, v in dict(row).items() if k not in key.split(", ") and k != "id")
        }
        assert all(len(t) > width for t in out[table])
    return out


async def _run(history, trackers) -> None:
    links: list[InviteLink] = []
    for action, *args in history:
        if action == "link":
            owner, t = args
            links.append(await InviteLink.create(tracker_id=trackers[t].id, owner_id=owner, code=f"c{len(links)}x"))
        elif action == "start":
            user, t, k, again = args
            code = links[k % len(links)].code if links and k < 5 else ""  # 6: no link
            for _ in range(2 if again else 1):  # a retried /start counts once
                await record_start(trackers[t].id, user, code)
        elif action == "pay":
            user, t, amount = args
            if not await Membership.exists(tracker_id=trackers[t].id, user_id=user):
                await record_start(trackers[t].id, user, "")  # a payer has always started
            await pay(trackers[t].id, user, amount)
        elif action == "refund":
            payments = await Payment.all().order_by("id")
            if payments:
                await Payment.filter(id=payments[args[0] % len(payments)].id).update(refunded=True)
        elif action == "period":
            k, status = args
            periods = await AccountingPeriod.filter(status=PeriodStatus.OPEN).order_by("id")
            if periods:
                period_id = periods[k % len(periods)].id
                await AccountingPeriod.filter(id=period_id).update(status=status)
                # as billing.settlement and billing.refunds do after closing periods
                await summaries.periods_closed(connections.get("default"), [period_id])
        elif action == "name":
            user, t, named = args
            await Membership.filter(tracker_id=trackers[t].id, user_id=user).update(is_partner=named)
        elif action == "move":
            k, target = args
            members = await Membership.all().order_by("id")
            if members and links:
                member, link = members[k % len(members)], links[target % len(links)]
                if link.tracker_id == member.tracker_id:
                    await Membership.filter(id=member.id).update(invite_link_id=link.id)
        elif action == "unclick":
            clicks = await InviteClick.all().order_by("id")
            if clicks:
                await InviteClick.filter(id=clicks[args[0] % len(clicks)].id).delete()
        elif action == "leave":
            user, t = args
            if not await Payment.exists(tracker_id=trackers[t].id, user_id=user):
                await Membership.filter(tracker_id=trackers[t].id, user_id=user).delete()


async def _direct_checks(conn, trackers) -> None:
    for tracker in trackers:
        t = tracker.id
        for user in [tracker.author_id, *USERS]:
            # link funnels: the queries links_funnel ran before the totals
            for link in await stats.links_funnel(t, user, include_archived=True):
                rows = await db.rows(
                    conn,
                    "SELECT (SELECT COUNT(*) FROM invite_clicks WHERE link_id = ?), "
                    "(SELECT COUNT(*) FROM memberships WHERE invite_link_id = ?), "
                    "(SELECT COUNT(locked_at) FROM memberships WHERE invite_link_id = ?), "
                    "(SELECT COALESCE(SUM(p.amount_kopecks), 0) FROM memberships m JOIN payments p "
                    "ON p.tracker_id = m.tracker_id AND p.user_id = m.user_id AND NOT p.refunded "
                    "WHERE m.invite_link_id = ? AND m.locked_at IS NOT NULL)",
                    [link.link_id] * 4,
                )
                assert (link.clicks, link.starts, link.paying, link.revenue_kopecks) == tuple(rows[0])
            net = await stats.network(t, user, depth=6)  # every level the chain can carry
            for level in net.levels:
                rows = await db.rows(
                    conn,
                    f"SELECT COUNT(*), COUNT(locked_at) FROM memberships WHERE l{level.level}_id = ? "
                    "AND tracker_id = ?",
                    [user, t],
                )
                assert (level.people, level.paying) == tuple(rows[0])
            forecast = await partner.forecast_by_level(t, user)
            share = role_share(None)
            expected: dict[str, int] = {}
            rows = await db.rows(
                conn,
                "SELECT l1_id, l2_id, l3_id, revenue_kopecks FROM accounting_periods WHERE status = 'open' "
                "AND tracker_id = ?",
                [t],
            )
            for *chain, revenue in rows:
                for n, holder in enumerate(chain, start=1):
                    if holder == user:
                        expected[f"l{n}"] = expected.get(f"l{n}", 0) + share(f"l{n}", revenue)
                if user == tracker.author_id:
                    expected["author"] = expected.get("author", 0) + share("author", revenue)
            assert forecast == partner.LevelAmounts.from_roles(expected)
        # the author's page: everyone with a link here or named, not the author
        rows = await db.rows(
            conn, "SELECT owner_id FROM invite_links WHERE tracker_id = ? UNION "
            "SELECT user_id FROM memberships WHERE tracker_id = ? AND is_partner", [t, t]
        )  # fmt: skip
        expected_ids = sorted({row[0] for row in rows} - {tracker.author_id})
        page = await stats.partners(t, tracker.author_id, limit=100)
        assert page.total == len(expected_ids) and [p.user_id for p in page.partners] == expected_ids
        for p in page.partners:
            rows = await db.rows(
                conn,
                "SELECT COUNT(*), COUNT(locked_at) FROM memberships WHERE l1_id = ? AND tracker_id = ?",
                [p.user_id, t],
            )
            assert (p.members, p.subscribers) == tuple(rows[0])
        # the refund alert with every threshold down: each partner's payments and refunds
        alerts = await stats.refund_rate_by_partner(t, min_refunds=0, min_rate="0")
        rows = await db.rows(
            conn,
            "SELECT m.l1_id, COUNT(*), SUM(CASE WHEN p.refunded THEN 1 ELSE 0 END) FROM payments p "
            "JOIN memberships m ON m.tracker_id = p.tracker_id AND m.user_id = p.user_id "
            "WHERE p.tracker_id = ? AND m.l1_id IS NOT NULL AND m.l1_id <> ? GROUP BY m.l1_id",
            [t, tracker.author_id],
        )
        assert {(a.partner_id, a.payments, a.refunded) for a in alerts} == {tuple(row) for row in rows}
        assert all(a.rate == Decimal(a.refunded) / a.payments for a in alerts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(step, min_size=10, max_size=40))
async def test_every_summary_equals_the_direct_aggregate_after_any_history(database, history):
    conn = connections.get("default")
    trackers = [await make_tracker(a) for a in AUTHORS] if not await _trackers() else await _trackers()
    for user in USERS:
        if not await _user_exists(user):
            await make_user(user)
    try:
        await _run(history, trackers)
        kept = await _snapshot(conn)
        await _direct_checks(conn, trackers)
        async with _in_tx(conn) as tx:  # recompute from scratch, compare, and leave the kept ones
            await summaries.backfill(tx)
            assert await _snapshot(tx) == kept
            raise _Rollback
    except _Rollback:
        pass
    finally:
        await _wipe(conn)


class _Rollback(Exception):
    pass


def _in_tx(conn):
    from tortoise.transactions import in_transaction

    return in_transaction(conn.connection_name)


async def _trackers():
    from models import Tracker

    return await Tracker.all().order_by("id")


async def _user_exists(user_id: int) -> bool:
    from models import User

    return await User.exists(id=user_id)
