"""`gptitor simulate` under a schedule of any depth: the seed's snowball figures come out with a
fourth level at 5%; the schedule comes from `--levels` or the scenario file's [commission]."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from billing.simulate import ScenarioError, run
from bot import db

ROOT = Path(__file__).resolve().parents[2]
SEED_LEVELS = "30,20,10,5"


def test_the_seeds_snowball_figures_through_the_cli():
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "simulate", "snowball", "--levels", SEED_LEVELS, "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["levels"] == 4
    months = {m["month"]: m for m in report["monthly"]}
    # month 12: 11 at L1, 55 at L2, 165 at L3, 330 at L4 -> 11x420 + 55x280 + 165x140 + 330x70 RUB
    assert months[12]["first_by_level"] == {"l1": 462_000, "l2": 1_540_000, "l3": 2_310_000, "l4": 2_310_000}
    assert months[12]["first_income"] == 6_622_000  # 66,220 RUB, the seed's figure
    assert months[18]["first_income"] == 30_702_000  # 307,020 RUB, the seed's figure


async def test_two_a_month_reach_the_seeds_figure_in_month_8():
    report = await run("snowball", months=8, per_month=2, levels=SEED_LEVELS, database=db.database)
    months = {m["month"]: m for m in report.monthly}
    assert months[8]["first_income"] == 10_780_000  # 107,800 RUB, the seed's figure
    assert sum(report.totals.values()) == report.margin_kopecks
    # the author keeps 20%, the platform takes the rest: 15%
    assert report.levels == 4


async def test_the_seeds_worked_examples_keep_their_figures_under_the_default():
    report = await run("representatives", database=db.database)
    assert report.totals == {"author": 210_000_000, "sasha": 21_000_000, "masha": 84_000_000,
                             "platform": 175_000_000}
    report = await run("self", database=db.database)
    assert report.totals == {"author": 70_000_000, "platform": 70_000_000}


async def test_three_levels_given_explicitly_are_the_default():
    explicit = await run("snowball", months=12, levels="30,20,10", database=db.database)
    default = await run("snowball", months=12, database=db.database)
    assert explicit.monthly == default.monthly and explicit.totals == default.totals


async def test_no_levels_pays_only_author_and_platform():
    report = await run("self", levels="", database=db.database)
    assert report.totals == {"author": 28_000_000, "platform": 112_000_000}
    assert set(report.by_role["platform"]) == {"platform"}


@pytest.mark.parametrize("commission", [
    'levels = ["30", "20", "10", "5"]',
    "l1 = 30\nl2 = 20\nl3 = 10\nl4 = 5",
])
async def test_a_four_level_scenario_file_pays_the_fourth_ancestor(tmp_path, commission):
    path = tmp_path / "deep.toml"
    path.write_text(
        f"""
[[partner]]
name = "a"
[[partner]]
name = "b"
invited_by = "a"
[[partner]]
name = "c"
invited_by = "b"
[[partner]]
name = "d"
invited_by = "c"
[[partner]]
name = "e"
invited_by = "d"

[[cohort]]
invited_by = "e"
subscribers = 10

[commission]
platform = 15
author = 20
{commission}
""",
        encoding="utf-8",
    )
    report = await run(str(path), database=db.database)
    margin = 10 * 140_000
    assert report.totals == {"author": margin * 20 // 100, "a": 0, "b": margin * 5 // 100, "c": margin * 10 // 100,
                             "d": margin * 20 // 100, "e": margin * 30 // 100, "platform": margin * 15 // 100}


@pytest.mark.parametrize("levels", ["30,20,10,50", "30,x", "1,1,1,1,1,1,1", "-5", "30,,10"])
async def test_bad_levels_are_explained(levels):
    with pytest.raises(ScenarioError) as caught:
        await run("snowball", months=2, levels=levels, database=db.database)
    assert "--levels" in str(caught.value)


@pytest.mark.parametrize("commission", [
    'platform = 20\nauthor = 20\nl1 = 30\nl2 = 20\nl4 = 10',            # a gap
    'platform = 20\nauthor = 20\nlevels = ["10", "10", "10", "10", "10", "5", "5"]',  # seven levels
    'platform = 20\nauthor = 20\nlevels = "30,20,10"',                  # not a list
    'platform = 20\nauthor = 20\nlevels = [60, 30, -10]',               # negative
    'platform = 20\nauthor = 20\nl1 = 30\nlevels = [30, 20, 10]',       # both
])
async def test_a_bad_commission_table_is_explained(tmp_path, commission):
    path = tmp_path / "bad.toml"
    path.write_text(f"[[cohort]]\nsubscribers = 1\n[commission]\n{commission}\n", encoding="utf-8")
    with pytest.raises(ScenarioError):
        await run(str(path), database=db.database)


def test_bad_levels_on_the_command_line_are_one_sentence():
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "simulate", "snowball", "--levels", "60,50"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "--levels" in done.stderr
