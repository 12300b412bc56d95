"""The image holds every package the project installs: a package added to pyproject.toml but not
copied by deploy/Dockerfile would be missing from the image only, where no test runs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_dockerfile_copies_every_package_and_the_locales():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\S+) \./\1$", (ROOT / "deploy" / "Dockerfile").read_text(), re.M))
    assert packages - copied == set(), "packages the image lacks"
    assert "locales" in copied
    assert all((ROOT / p / "__init__.py").exists() for p in packages)
