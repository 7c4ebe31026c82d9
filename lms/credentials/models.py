"""Credentials: a minimal but real record (issue 12 makes it the full credential).

Serial numbers are allocated per year from ``credential_serials`` with one conditional
``UPDATE ... SET last = last + 1 ... RETURNING last``: the row lock makes two concurrent
issues take different serials, on PostgreSQL and SQLite alike.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.dbtypes import UTCDateTime
from lms.extensions import db

CREDENTIAL_ACTIVE = "active"
CREDENTIAL_STATES = ("active", "revoked")


class CredentialSerial(db.Model):
    """The last serial issued in a year."""

    __tablename__ = "credential_serials"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Credential(db.Model):
    __tablename__ = "credentials"
    __table_args__ = (
        CheckConstraint("state IN ('active','revoked')", name="state"),
        Index("ix_credentials_user_id", "user_id"),
        Index("ix_credentials_issued_by_id", "issued_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    credential_id: Mapped[str] = mapped_column(String(40), unique=True)
    issued_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(20), default=CREDENTIAL_ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user = relationship("User", foreign_keys=[user_id])
