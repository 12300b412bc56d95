"""Kept only for `billing/simulate.py`, which is being split in another branch: the helpers live
in `models.sql`. Delete this module once simulate imports `models.sql` directly."""

from models.sql import default_connection, sql, ts

__all__ = ["default_connection", "sql", "ts"]
