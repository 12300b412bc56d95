"""Our scheduler interface: what the platform needs from a scheduler, and nothing of APScheduler.

Jobs are named by text, "package.module:function", and take plain keyword arguments (ids,
strings, numbers, lists and dicts of them), never live objects such as a `Bot`: a job resolves
what it needs when it runs. That keeps jobs storable in a persistent job store later and lets
every implementation (APScheduler, a fake in tests) run the same job functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

JobKwargs = Mapping[str, Any]


@runtime_checkable
class Scheduler(Protocol):
    def add_interval_job(
        self,
        func: str,
        *,
        job_id: str,
        seconds: float,
        kwargs: JobKwargs | None = None,
        first_run_at: datetime | None = None,
    ) -> None:
        """Run `func` every `seconds` (first at `first_run_at`, default one interval from now).
        An existing job with the same id is replaced."""

    def add_date_job(self, func: str, *, job_id: str, run_at: datetime, kwargs: JobKwargs | None = None) -> None:
        """Run `func` once at `run_at`. An existing job with the same id is replaced."""

    def remove_job(self, job_id: str) -> None:
        """Forget a job; no error if there is none."""

    def start(self) -> None:
        """Start running jobs (call from inside the running event loop)."""

    def shutdown(self, wait: bool = False) -> None:
        """Stop; with `wait`, let running jobs finish."""


_PLAIN = (str, int, float, bool, type(None))


def check_job(func: str, kwargs: JobKwargs | None) -> dict[str, Any]:
    """Validate a job reference and its arguments; returns the kwargs as a plain dict."""
    module, sep, name = func.partition(":")
    if not (module and sep and name.isidentifier()):
        raise ValueError(f"a job is named 'package.module:function', not {func!r}")
    plain = dict(kwargs or {})
    for key, value in plain.items():
        _check_plain(f"{func}({key}=...)", value)
    return plain


def _check_plain(where: str, value: Any) -> None:
    if isinstance(value, _PLAIN):
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_plain(where, item)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: mapping keys must be strings")
            _check_plain(where, item)
        return
    raise TypeError(f"{where}: job arguments must be plain values (ids, strings, numbers), not {type(value).__name__}")
