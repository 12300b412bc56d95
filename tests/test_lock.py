"""deploy/requirements.lock, which the image and the systemd install use, still satisfies
pyproject.toml: every dependency of the platform and of its PostgreSQL and Redis extras is pinned
there, with hashes, at a version the project's ranges allow. `scripts/lock` rewrites it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "deploy" / "requirements.lock"
# The deployed interpreter: the image's python:3.11 on Linux.
TARGET = {"python_version": "3.11", "python_full_version": "3.11.9", "sys_platform": "linux",
          "platform_system": "Linux", "implementation_name": "cpython",
          "platform_python_implementation": "CPython", "extra": ""}


def locked() -> dict[str, list[tuple[str, str, int]]]:
    """name -> [(version, marker, hashes)] as the lock pins them."""
    pins: dict[str, list[tuple[str, str, int]]] = {}
    text = LOCK.read_text(encoding="utf-8")
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        head = block.splitlines()[0]
        match = re.match(r"([A-Za-z0-9_.-]+)==([^ ;\\]+)\s*(?:;([^\\]*))?", head)
        if match:
            name, version, marker = match.groups()
            pins.setdefault(canonicalize_name(name), []).append(
                (version, (marker or "").strip(), block.count("--hash=sha256:")))
    return pins


def deployed_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    return [Requirement(r) for r in [*project["dependencies"], *extras["postgres"], *extras["redis"]]]


def test_the_lock_pins_every_dependency_within_pyproject_ranges_with_hashes():
    pins = locked()
    assert len(pins) > 20, "the lock was not read"
    for requirement in deployed_requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is in pyproject.toml but not in the lock: run scripts/lock"
        versions = [v for v, marker, _ in pins[name] if not marker or Marker(marker).evaluate(TARGET)]
        assert versions, f"{requirement.name}: no pin for Python 3.11 on Linux"
        for version in versions:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"the lock pins {requirement.name}=={version}, pyproject.toml wants {requirement.specifier}:"
                " run scripts/lock")
    unhashed = [name for name, entries in pins.items() if any(hashes == 0 for *_, hashes in entries)]
    assert unhashed == [], f"pinned without a hash: {unhashed}"
