"""Credentials, their append-only audit history, and their signed certificates.

- ``credentials``: one row per credential issued. ``state`` is what a registrar decides
  (active, suspended, revoked); grace and expiry come from the CE engine (``lms.credits``).
  At most one credential per holder that is not revoked: the partial unique index
  ``uq_credentials_user_live`` makes the automatic grant happen once, whatever races.
- ``credential_serials``: serial numbers are allocated per year with one conditional
  ``UPDATE ... SET last = last + 1 ... RETURNING last``: the row lock makes two concurrent
  issues take different serials, on PostgreSQL and SQLite alike.
- ``credential_events``: every change of state (who, when, why, from → to). Rows are only
  ever added: a trigger refuses UPDATE and DELETE on both backends (:data:`EVENT_TRIGGERS`),
  as the CE ledger does; deleting needs a row in ``ce_ledger_unlock`` in the same transaction
  (a deliberate erasure: an account purge, test clean-up).
- ``certificates``: each signed PDF made for a credential (kept in ``lms.storage``); the one
  with ``superseded_at`` NULL is current, older ones are listed as superseded.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    DDL,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.dbtypes import UTCDateTime
from lms.extensions import db

CREDENTIAL_ACTIVE = "active"
CREDENTIAL_SUSPENDED = "suspended"
CREDENTIAL_REVOKED = "revoked"
CREDENTIAL_STATES = (CREDENTIAL_ACTIVE, CREDENTIAL_SUSPENDED, CREDENTIAL_REVOKED)
#: An event that records the issue itself (from_state is NULL).
EVENT_ISSUED = "issued"


class CredentialSerial(db.Model):
    """The last serial issued in a year."""

    __tablename__ = "credential_serials"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Credential(db.Model):
    __tablename__ = "credentials"
    __table_args__ = (
        CheckConstraint("state IN ('active','suspended','revoked')", name="state"),
        Index("ix_credentials_user_id", "user_id"),
        Index("ix_credentials_issued_by_id", "issued_by_id"),
        Index("uq_credentials_user_live", "user_id", unique=True,
              sqlite_where=text("state <> 'revoked'"),
              postgresql_where=text("state <> 'revoked'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    credential_id: Mapped[str] = mapped_column(String(40), unique=True)
    issued_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    #: True when granted automatically on the last requirement; False when a registrar issued it.
    automatic: Mapped[bool] = mapped_column(default=False)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(20), default=CREDENTIAL_ACTIVE)
    #: The public reason of the last suspension or revocation ("" while active).
    state_reason: Mapped[str] = mapped_column(Text, default="")
    state_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user = relationship("User", foreign_keys=[user_id])


class CredentialEvent(db.Model):
    """One change of a credential's state (append-only; see the module docstring)."""

    __tablename__ = "credential_events"
    __table_args__ = (
        Index("ix_credential_events_credential", "credential_id", "at"),
        Index("ix_credential_events_by_id", "by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id",
                                                          ondelete="RESTRICT"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")

    by = relationship("User", foreign_keys=[by_id])


class Certificate(db.Model):
    """A signed PDF certificate of a credential; the current one has no ``superseded_at``."""

    __tablename__ = "certificates"
    __table_args__ = (
        Index("ix_certificates_credential", "credential_id", "created_at"),
        Index("uq_certificates_current", "credential_id", unique=True,
              sqlite_where=text("superseded_at IS NULL"),
              postgresql_where=text("superseded_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id",
                                                          ondelete="RESTRICT"))
    storage_key: Mapped[str] = mapped_column(String(100))
    holder_name: Mapped[str] = mapped_column(String(200))
    valid_until: Mapped[date | None] = mapped_column(Date)
    #: Why it was made: issued, renewal, name change, re-issued.
    reason: Mapped[str] = mapped_column(String(60))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CertificateBundle(db.Model):
    """A ZIP of a cohort's current certificates, made by a background task."""

    __tablename__ = "certificate_bundles"
    __table_args__ = (
        CheckConstraint("status IN ('pending','ready','failed')", name="status"),
        Index("ix_certificate_bundles_requested_by_id", "requested_by_id", "created_at"),
        Index("ix_certificate_bundles_cohort_id", "cohort_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    storage_key: Mapped[str | None] = mapped_column(String(100))
    count: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    cohort = relationship("Cohort")


_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION credential_events_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM ce_ledger_unlock) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION USING ERRCODE = 'raise_exception',
    MESSAGE = 'credential_events is append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql
"""
_PG_TRIGGER = """
CREATE TRIGGER credential_events_append_only BEFORE UPDATE OR DELETE ON credential_events
FOR EACH ROW EXECUTE FUNCTION credential_events_append_only()
"""
_SQLITE_UPDATE = """
CREATE TRIGGER credential_events_no_update BEFORE UPDATE ON credential_events
BEGIN SELECT RAISE(ABORT, 'credential_events is append-only: UPDATE refused'); END
"""
_SQLITE_DELETE = """
CREATE TRIGGER credential_events_no_delete BEFORE DELETE ON credential_events
WHEN NOT EXISTS (SELECT 1 FROM ce_ledger_unlock)
BEGIN SELECT RAISE(ABORT, 'credential_events is append-only: DELETE refused'); END
"""

#: (dialect, statement) pairs that make the audit history append-only; the migration runs
#: the same. No "%" in them: DDL() formats its text with the table's names.
EVENT_TRIGGERS: tuple[tuple[str, str], ...] = (
    ("postgresql", _PG_FUNCTION), ("postgresql", _PG_TRIGGER),
    ("sqlite", _SQLITE_UPDATE), ("sqlite", _SQLITE_DELETE),
)
EVENT_TRIGGER_DROPS: tuple[tuple[str, str], ...] = (
    ("postgresql", "DROP TRIGGER IF EXISTS credential_events_append_only ON credential_events"),
    ("postgresql", "DROP FUNCTION IF EXISTS credential_events_append_only()"),
    ("sqlite", "DROP TRIGGER IF EXISTS credential_events_no_update"),
    ("sqlite", "DROP TRIGGER IF EXISTS credential_events_no_delete"),
)

for _dialect, _statement in EVENT_TRIGGERS:  # db.create_all (tests) gets the triggers too
    event.listen(CredentialEvent.__table__, "after_create",
                 DDL(_statement).execute_if(dialect=_dialect))
