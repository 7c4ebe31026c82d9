"""Column types shared by every feature."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import DateTime
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.types import TypeDecorator

#: The largest value every supported database keeps in an INTEGER column (PostgreSQL's int4).
DB_INT_MAX = 2**31 - 1


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (conditional updates decide races with it)."""
    return cast(CursorResult[Any], result).rowcount


class UTCDateTime(TypeDecorator):
    """Store naive UTC, hand back timezone-aware UTC (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)
