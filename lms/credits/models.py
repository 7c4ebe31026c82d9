"""CE tables: the append-only ledger, holders and their renewals, reported activities, reminders
and audits.

The **ledger** (``ce_ledger_entries``) is the record the programme trusts: rows are only ever
added. A correction is a *reversal* row (``reverses_id`` → the entry, with who and why) plus,
when the hours should stand differently, a new entry. A database trigger refuses UPDATE on
both backends and refuses DELETE unless the same transaction first put a row in
``ce_ledger_unlock`` (a deliberate erasure: an account purge, test clean-up); see
:data:`LEDGER_TRIGGERS`. ``(user_id, source)`` is unique, so one course completion, one
approved activity or one roster line can add hours only once, whatever races.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    DDL,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.dbtypes import UTCDateTime
from lms.extensions import db

# Ledger entry kinds.
KIND_COURSE = "course"        # a platform course completed
KIND_ACTIVITY = "activity"    # a self-reported activity a registrar approved
KIND_ROSTER = "roster"        # a line of a provider's attendance roster
KIND_REVERSAL = "reversal"    # cancels the entry in reverses_id
KIND_CORRECTION = "correction"  # the replacement that follows a reversal
KINDS = (KIND_COURSE, KIND_ACTIVITY, KIND_ROSTER, KIND_REVERSAL, KIND_CORRECTION)

# Reported activity workflow.
ACTIVITY_PENDING = "pending"
ACTIVITY_INFO = "info_requested"
ACTIVITY_APPROVED = "approved"
ACTIVITY_REJECTED = "rejected"
ACTIVITY_STATUSES = (ACTIVITY_PENDING, ACTIVITY_INFO, ACTIVITY_APPROVED, ACTIVITY_REJECTED)

# Renewal records.
RENEWAL_APPROVED = "approved"
RENEWAL_PENDING = "pending"      # a reinstatement waiting for a registrar
RENEWAL_REJECTED = "rejected"
RENEWAL_REVOKED = "revoked"      # a failed audit took its hours back
RENEWAL_STATUSES = (RENEWAL_APPROVED, RENEWAL_PENDING, RENEWAL_REJECTED, RENEWAL_REVOKED)

# Audits.
AUDIT_OPEN = "open"              # drawn: the holder uploads evidence
AUDIT_SUBMITTED = "submitted"    # evidence uploaded: a registrar decides
AUDIT_PASSED = "passed"
AUDIT_FAILED = "failed"
AUDIT_STATUSES = (AUDIT_OPEN, AUDIT_SUBMITTED, AUDIT_PASSED, AUDIT_FAILED)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ",".join(f"'{v}'" for v in values) + ")"


class CeHolder(db.Model):
    """A credential holder's CE record: the date earned and what the last sweep saw."""

    __tablename__ = "ce_holders"
    __table_args__ = (Index("ix_ce_holders_state", "state", "user_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"),
                                         primary_key=True)
    earned_on: Mapped[date] = mapped_column(Date)
    credential_ref: Mapped[str] = mapped_column(String(40), default="")
    # Kept by the daily sweep (the programme view filters on it); the CE page computes live.
    state: Mapped[str] = mapped_column(String(20), default="active")
    state_cycle: Mapped[int] = mapped_column(Integer, default=0)
    swept_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user = relationship("User")


class LedgerEntry(db.Model):
    """One append-only ledger row (see the module docstring)."""

    __tablename__ = "ce_ledger_entries"
    __table_args__ = (
        UniqueConstraint("user_id", "source", name="uq_ce_ledger_entries_user_source"),
        CheckConstraint("hours >= 0", name="hours_not_negative"),
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint("(kind = 'reversal') = (reverses_id IS NOT NULL)", name="reversal_ref"),
        Index("ix_ce_ledger_entries_user_on", "user_id", "earned_on"),
        Index("ix_ce_ledger_entries_created_by_id", "created_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(20))
    # What added it, unique per holder: course:<id>, activity:<id>, roster:<...>, reversal:<id>.
    source: Mapped[str] = mapped_column(String(300))
    earned_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    category: Mapped[str] = mapped_column(String(60))
    activity_type: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(300))
    provider: Mapped[str] = mapped_column(String(200), default="")
    course_code: Mapped[str | None] = mapped_column(String(40))
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("ce_ledger_entries.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="RESTRICT"))

    created_by = relationship("User", foreign_keys=[created_by_id])


class LedgerUnlock(db.Model):
    """A row here, in the same transaction, lets ledger rows be deleted (deliberate erasure)."""

    __tablename__ = "ce_ledger_unlock"

    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(200))


_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION ce_ledger_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM ce_ledger_unlock) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION USING ERRCODE = 'raise_exception',
    MESSAGE = 'ce_ledger_entries is append-only: ' || TG_OP
              || ' refused (reverse the entry instead)';
END;
$$ LANGUAGE plpgsql
"""
_PG_TRIGGER = """
CREATE TRIGGER ce_ledger_append_only BEFORE UPDATE OR DELETE ON ce_ledger_entries
FOR EACH ROW EXECUTE FUNCTION ce_ledger_append_only()
"""
_SQLITE_UPDATE = """
CREATE TRIGGER ce_ledger_no_update BEFORE UPDATE ON ce_ledger_entries
BEGIN SELECT RAISE(ABORT, 'ce_ledger_entries is append-only: UPDATE refused'); END
"""
_SQLITE_DELETE = """
CREATE TRIGGER ce_ledger_no_delete BEFORE DELETE ON ce_ledger_entries
WHEN NOT EXISTS (SELECT 1 FROM ce_ledger_unlock)
BEGIN SELECT RAISE(ABORT, 'ce_ledger_entries is append-only: DELETE refused'); END
"""

#: (dialect, statement) pairs that make the ledger append-only; the migration runs the same.
#: No "%" in them: DDL() formats its text with the table's names.
LEDGER_TRIGGERS: tuple[tuple[str, str], ...] = (
    ("postgresql", _PG_FUNCTION), ("postgresql", _PG_TRIGGER),
    ("sqlite", _SQLITE_UPDATE), ("sqlite", _SQLITE_DELETE),
)
LEDGER_TRIGGER_DROPS: tuple[tuple[str, str], ...] = (
    ("postgresql", "DROP TRIGGER IF EXISTS ce_ledger_append_only ON ce_ledger_entries"),
    ("postgresql", "DROP FUNCTION IF EXISTS ce_ledger_append_only()"),
    ("sqlite", "DROP TRIGGER IF EXISTS ce_ledger_no_update"),
    ("sqlite", "DROP TRIGGER IF EXISTS ce_ledger_no_delete"),
)

for _dialect, _statement in LEDGER_TRIGGERS:  # db.create_all (tests) gets the triggers too
    event.listen(LedgerEntry.__table__, "after_create",
                 DDL(_statement).execute_if(dialect=_dialect))


class CeActivity(db.Model):
    """An activity a holder reported: waits for a registrar; approval appends a ledger entry."""

    __tablename__ = "ce_activities"
    __table_args__ = (
        CheckConstraint(_in("status", ACTIVITY_STATUSES), name="status"),
        CheckConstraint("hours > 0", name="hours_positive"),
        Index("ix_ce_activities_status_submitted", "status", "submitted_at"),
        Index("ix_ce_activities_user_id", "user_id"),
        Index("ix_ce_activities_decided_by_id", "decided_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    provider: Mapped[str] = mapped_column(String(200))
    completed_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    category: Mapped[str] = mapped_column(String(60))
    activity_type: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    evidence_key: Mapped[str | None] = mapped_column(String(100))
    evidence_name: Mapped[str | None] = mapped_column(String(200))
    evidence_link: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default=ACTIVITY_PENDING)
    registrar_note: Mapped[str] = mapped_column(Text, default="")  # reason or question
    holder_answer: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))

    user = relationship("User", foreign_keys=[user_id])


class CeRenewal(db.Model):
    """A renewed cycle (or a reinstatement waiting for / approved by a registrar)."""

    __tablename__ = "ce_renewals"
    __table_args__ = (
        CheckConstraint(_in("status", RENEWAL_STATUSES), name="status"),
        Index("uq_ce_renewals_user_cycle_live", "user_id", "cycle", unique=True,
              sqlite_where=text("status IN ('approved','pending')"),
              postgresql_where=text("status IN ('approved','pending')")),
        Index("ix_ce_renewals_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    cycle: Mapped[int] = mapped_column(Integer)
    renewed_on: Mapped[date] = mapped_column(Date)
    reinstated: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=RENEWAL_APPROVED)
    attestation: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")

    user = relationship("User", foreign_keys=[user_id])


class CeReminder(db.Model):
    """A reminder the sweep sent (or skipped as overtaken): once per (holder, cycle, days)."""

    __tablename__ = "ce_reminders"
    __table_args__ = (UniqueConstraint("user_id", "cycle", "days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    cycle: Mapped[int] = mapped_column(Integer)
    days: Mapped[int] = mapped_column(Integer)
    on: Mapped[date] = mapped_column(Date)
    sent: Mapped[bool] = mapped_column(Boolean)


class CeAudit(db.Model):
    """A renewal drawn for audit: the holder uploads evidence, a registrar passes or fails it."""

    __tablename__ = "ce_audits"
    __table_args__ = (
        CheckConstraint(_in("status", AUDIT_STATUSES), name="status"),
        Index("ix_ce_audits_status", "status"),
        Index("ix_ce_audits_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    renewal_id: Mapped[int] = mapped_column(ForeignKey("ce_renewals.id", ondelete="CASCADE"),
                                            unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default=AUDIT_OPEN)
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime)
    evidence_key: Mapped[str | None] = mapped_column(String(100))
    evidence_name: Mapped[str | None] = mapped_column(String(200))
    holder_note: Mapped[str] = mapped_column(Text, default="")
    registrar_note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))

    renewal: Mapped[CeRenewal] = relationship()
    user = relationship("User", foreign_keys=[user_id])
