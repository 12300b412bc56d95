"""The README's configuration table says what the settings class reads, no more and no less.

Each row names one or more variables (`COMMISSION__PLATFORM`, `__AUTHOR` is short for
`COMMISSION__AUTHOR`); a row with one variable and a plain number as its default must give the
default the code has.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from bot.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def documented() -> dict[str, str]:
    """Variable -> its default cell, from the table under "## Configuration"."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        prefix = ""
        for name in re.findall(r"`([A-Z0-9_]+)`", cells[0]):
            if name.startswith("__"):
                name = prefix + name
            else:
                prefix = name.rsplit("__", 1)[0] if "__" in name else ""
            rows[name] = cells[1]
    return rows


def settings_variables() -> dict[str, object]:
    """Every environment variable the settings read -> its default."""
    found: dict[str, object] = {}
    for name, field in Settings.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            for sub, subfield in kind.model_fields.items():
                found[f"{name}__{sub}".upper()] = subfield.default
        else:
            found[name.upper()] = field.default
    return found


def test_the_configuration_table_lists_exactly_the_settings():
    in_readme, in_code = set(documented()), set(settings_variables())
    assert in_code - in_readme == set(), "read by the code but not in the README's table"
    assert in_readme - in_code == set(), "in the README's table but read by nothing"


def test_plain_number_defaults_match_the_code():
    code = settings_variables()
    checked = 0
    for name, cell in documented().items():
        if re.fullmatch(r"-?\d+(\.\d+)?", cell):
            assert float(cell) == float(code[name]), f"{name}: README says {cell}, the code {code[name]}"
            checked += 1
    assert checked >= 10  # the check reads the table, not nothing
