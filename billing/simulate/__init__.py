"""`gptitor simulate`: a money scenario run through the production code on a throwaway database.

The scenario's people, memberships, subscriptions, periods and metered cost are written to a
fresh SQLite file in a temporary directory (in bulk), then `billing.settlement` settles them with
`billing.split`, exactly as in production, and the report is read back from the ledger. So a
figure printed here is a figure the platform would accrue. Scenario format: docs/simulate.md.

`scenario` checks what to run, `engine` writes and settles it, `report` reads and prints the result.

Scenarios:
- `self`, `representatives`: the seed's worked examples (2,000 RUB a month, 600 RUB token cost);
- `snowball`: every subscriber brings `per_month` new subscribers a month. The network grows
  exponentially, so it is simulated by cohorts: one database subscriber stands for everyone who
  joined in the same month in the same position relative to the first subscriber, and pays for
  all of them. Shares are proportional, so the totals are the same as one row per person (up to
  the rounding of the odd kopeck, which here happens per cohort instead of per person);
- a path to a TOML file.
"""

from billing.simulate.engine import Database, run
from billing.simulate.report import Report, format_report
from billing.simulate.scenario import SCENARIO_NAMES, Scenario, ScenarioError, load_scenario

__all__ = ["SCENARIO_NAMES", "Database", "Report", "Scenario", "ScenarioError", "format_report", "load_scenario", "run"]
