"""What a simulation found: read back from the ledger into a `Report`, printed as a table or JSON."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from billing.simulate.scenario import PLATFORM
from i18n.format import report_count, report_rub
from models.enums import Role
from models.sql import default_connection, sql


@dataclass
class Report:
    scenario: str
    subscribers: int
    periods: int
    revenue_kopecks: int
    token_cost_kopecks: int
    margin_kopecks: int
    loss_kopecks: int
    parties: list[str]
    by_role: dict[str, dict[str, int]]  # party -> role -> kopecks (LOSS under "loss")
    monthly: list[dict[str, Any]] = field(default_factory=list)  # snowball only
    levels: int = 3  # the referral levels of the scenario's schedule
    notes: list[str] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        """Each party's accrued kopecks; the platform's net of losses, so they add up to the margin."""
        return {party: sum(self.by_role.get(party, {}).values()) for party in self.parties}

    def as_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "subscribers": self.subscribers,
            "periods": self.periods,
            "revenue": self.revenue_kopecks,
            "token_cost": self.token_cost_kopecks,
            "margin": self.margin_kopecks,
            "loss": self.loss_kopecks,
            "levels": self.levels,
            "totals": self.totals,
            "by_role": {party: dict(self.by_role.get(party, {})) for party in self.parties},
            **({"monthly": self.monthly} if self.monthly else {}),
            "units": "kopecks",
        }


async def monthly_income(
    conn: BaseDBAsyncClient, user_id: int, period_month: dict[int, int]
) -> dict[int, dict[str, int]]:
    _, rows = await conn.execute_query(
        sql(
            conn,
            "SELECT l.source_id, l.role, l.amount_kopecks FROM ledger_entries l JOIN accounts a ON a.id = l.account_id"
            " WHERE a.user_id = ? AND l.source_type = 'period'",
        ),
        [user_id],
    )
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for period_id, role, amount in rows:
        out[period_month[period_id]][role] += int(amount)
    return out


async def read_report(name: str, subscribers: int, parties: list[str], names: dict[int, str], *,
                      levels: int = 3) -> Report:
    conn = default_connection()
    _, rows = await conn.execute_query(
        "SELECT COUNT(*), COALESCE(SUM(revenue_kopecks), 0), COALESCE(SUM(token_cost_kopecks), 0), "
        "COALESCE(SUM(margin_kopecks), 0), "
        "COALESCE(SUM(CASE WHEN margin_kopecks < 0 THEN margin_kopecks ELSE 0 END), 0) "
        "FROM accounting_periods WHERE status = 'settled'"
    )
    periods, revenue, cost, margin, loss = (int(v) for v in rows[0])
    _, rows = await conn.execute_query(
        "SELECT a.key, a.user_id, l.kind, l.role, SUM(l.amount_kopecks) "
        "FROM ledger_entries l JOIN accounts a ON a.id = l.account_id "
        "WHERE l.source_type = 'period' GROUP BY a.key, a.user_id, l.kind, l.role"
    )
    by_role: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, user_id, kind, role, amount in rows:
        party = PLATFORM if key == "platform" else names.get(user_id, "subscribers")
        by_role[party]["loss" if kind == "loss" else role] += int(amount)
    if "subscribers" in by_role:
        parties = [*parties[:-1], "subscribers", parties[-1]]
    return Report(
        scenario=name,
        subscribers=subscribers,
        periods=periods,
        revenue_kopecks=revenue,
        token_cost_kopecks=cost,
        margin_kopecks=margin,
        loss_kopecks=loss,
        parties=parties,
        by_role={party: dict(roles) for party, roles in by_role.items()},
        levels=levels,
    )


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    rows = list(rows)
    widths = [max(len(str(line[i])) for line in [header, *rows]) for i in range(len(header))]
    fmt = lambda line: "  ".join(  # noqa: E731
        str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i]) for i, cell in enumerate(line)
    )
    return [fmt(header), "  ".join("-" * w for w in widths), *map(fmt, rows)]


def format_report(report: Report) -> str:
    lines = [
        f"Scenario {report.scenario}: {report_count(report.subscribers)} subscribers, "
        f"{report_count(report.periods)} periods settled (RUB)",
        f"revenue {report_rub(report.revenue_kopecks)}   token cost {report_rub(report.token_cost_kopecks)}   "
        f"margin {report_rub(report.margin_kopecks)}",
        "",
    ]
    level_names = [f"L{k}" for k in range(1, report.levels + 1)]
    columns = [Role.AUTHOR.value, *(name.lower() for name in level_names), Role.PLATFORM.value]
    has_loss = any("loss" in roles for roles in report.by_role.values())
    header = ["party", "as author", *level_names, "as platform", *(["loss"] if has_loss else []), "total"]
    totals = report.totals
    rows = []
    for party in report.parties:
        roles = report.by_role.get(party, {})
        cells = [report_rub(roles.get(c, 0)) for c in columns] + (
            [report_rub(roles.get("loss", 0))] if has_loss else []
        )
        rows.append([party, *cells, report_rub(totals[party])])
    rows.append(["all", *[""] * (len(header) - 2), report_rub(sum(totals.values()))])
    lines += _table(header, rows)
    if report.monthly:
        lines += ["", "The first subscriber's income by month (RUB):", ""]
        lines += _table(
            ["month", "subscribers", "new", *(f"from {name}" for name in level_names), "income"],
            (
                [
                    str(m["month"]),
                    report_count(m["subscribers"]),
                    report_count(m["new"]),
                    *(report_rub(m["first_by_level"][name.lower()]) for name in level_names),
                    report_rub(m["first_income"]),
                ]
                for m in report.monthly
            ),
        )
    lines += [f"note: {note}" for note in report.notes]
    return "\n".join(lines)

