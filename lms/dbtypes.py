"""Column types shared by every feature."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import DateTime
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.types import TypeDecorator

from lms.errors import NotFound

T = TypeVar("T")

#: The largest value every supported database keeps in an INTEGER column (PostgreSQL's int4).
DB_INT_MAX = 2**31 - 1


def get_or_not_found(model: type[T], ident: int, message: str) -> T:
    """The row of `model` with primary key `ident`, or NotFound(message) (a 404 in views)."""
    from lms.extensions import db

    row = db.session.get(model, ident)
    if row is None:
        raise NotFound(message)
    return row


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
