"""The one dialect helper (models.sql): what each backend is given for the same query and time."""

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from models.sql import marks, parse_ts, sql, ts, utc


def _conn(dialect: str):
    return SimpleNamespace(capabilities=SimpleNamespace(dialect=dialect))


def test_placeholders_are_renumbered_for_postgres_only():
    query = "SELECT 1 FROM t WHERE a = ? AND b IN (" + marks(2) + ")"
    assert sql(_conn("sqlite"), query) == query
    assert sql(_conn("postgres"), query) == "SELECT 1 FROM t WHERE a = $1 AND b IN ($2, $3)"


def test_timestamps_are_utc_on_both_backends():
    moscow = datetime(2026, 11, 23, 21, 5, 43, 85575, tzinfo=timezone(timedelta(hours=3)))
    assert ts(_conn("sqlite"), moscow) == "2026-11-23 18:05:43.085575+00:00"
    on_postgres = ts(_conn("postgres"), moscow)
    assert on_postgres == moscow and on_postgres.tzinfo == UTC


def test_naive_datetimes_are_refused_not_guessed():
    with pytest.raises(ValueError):
        ts(_conn("sqlite"), datetime(2026, 11, 23, 18, 5))
    with pytest.raises(ValueError):
        utc(datetime(2026, 11, 23, 18, 5))


def test_parse_reads_either_backend_and_keeps_null():
    at = datetime(2026, 11, 23, 18, 5, 43, tzinfo=UTC)
    assert parse_ts("2026-11-23 18:05:43+00:00") == at
    assert parse_ts(at.astimezone(timezone(timedelta(hours=3)))) == at
    assert parse_ts(None) is None
