"""Case-study assignments: a learner's submission (draft and every submitted version), its
attachments, peer reviews, instructor grades, the instructor's comment bank and ZIP exports."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.dbtypes import UTCDateTime
from lms.extensions import db

#: A submission's states, in the order of the learner's timeline.
STATUSES = ("draft", "submitted", "in_review", "graded", "returned", "resubmitted", "passed")
STATUS_LABELS = {"draft": "Draft", "submitted": "Submitted", "in_review": "In peer review",
                 "graded": "Graded (not yet released)", "returned": "Returned for revision",
                 "resubmitted": "Resubmitted", "passed": "Passed"}
DECISIONS = ("pass", "return")


class Assignment(db.Model):
    """An assignment item's settings and rubric, kept in step with the item on import."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), unique=True)
    prompt: Mapped[str] = mapped_column(Text, default="")
    rubric: Mapped[list] = mapped_column(JSON, default=list)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)

    item = relationship("Item")


class Submission(db.Model):
    """One learner's work on one assignment: the draft and the state of the latest version."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("assignment_id", "user_id"),
        CheckConstraint("status IN ('draft','submitted','in_review','graded','returned',"
                        "'resubmitted','passed')", name="status"),
        Index("ix_submissions_assignment_submitted", "assignment_id", "submitted_at", "id"),
        Index("ix_submissions_assignment_status", "assignment_id", "status"),
        Index("ix_submissions_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    draft_body: Mapped[str] = mapped_column(Text, default="")
    draft_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version_count: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # latest version's
    late_seconds: Mapped[int] = mapped_column(Integer, default=0)  # latest version's
    similarity: Mapped[float] = mapped_column(Float, default=0.0)
    similar_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL"))
    score: Mapped[float | None] = mapped_column(Float)  # released percent
    passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    assignment: Mapped[Assignment] = relationship()
    user = relationship("User")
    versions: Mapped[list[SubmissionVersion]] = relationship(
        back_populates="submission", order_by="SubmissionVersion.number",
        cascade="all, delete-orphan", passive_deletes=True)
    similar_to: Mapped[Submission | None] = relationship(remote_side=[id])


class SubmissionVersion(db.Model):
    """A submitted version: immutable once made; every one is kept."""

    __tablename__ = "submission_versions"
    __table_args__ = (UniqueConstraint("submission_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    late_seconds: Mapped[int] = mapped_column(Integer, default=0)
    shingles: Mapped[list] = mapped_column(JSON, default=list)

    submission: Mapped[Submission] = relationship(back_populates="versions")
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id",
                                                         viewonly=True)


class Attachment(db.Model):
    """A file on a submission: on the draft (version_id NULL) or part of a submitted version.
    The bytes are in lms.storage under `storage_key`; `filename` is only shown, never a path."""

    __tablename__ = "submission_attachments"
    __table_args__ = (Index("ix_submission_attachments_submission_version", "submission_id",
                            "version_id"),
                      Index("ix_submission_attachments_version_id", "version_id"),
                      Index("ix_submission_attachments_storage_key", "storage_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("submission_versions.id", ondelete="CASCADE"))
    storage_key: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PeerReview(db.Model):
    """A peer's review of a submission's first version: assigned on submit, done once."""

    __tablename__ = "peer_reviews"
    __table_args__ = (UniqueConstraint("submission_id", "reviewer_id"),
                      Index("ix_peer_reviews_reviewer_id", "reviewer_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id",
                                                       ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)  # outside the cohort
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    levels: Mapped[list] = mapped_column(JSON, default=list)
    strength: Mapped[str] = mapped_column(Text, default="")
    suggestion: Mapped[str] = mapped_column(Text, default="")

    submission: Mapped[Submission] = relationship()
    version: Mapped[SubmissionVersion] = relationship()
    reviewer = relationship("User")


class Grade(db.Model):
    """An instructor's marks for one version. A second marker grades blind; the release picks
    the final one (released_at set on it)."""

    __tablename__ = "assignment_grades"
    __table_args__ = (UniqueConstraint("version_id", "marker_id"),
                      CheckConstraint("decision IN ('pass','return')", name="decision"),
                      Index("ix_assignment_grades_submission_id", "submission_id"),
                      Index("ix_assignment_grades_marker_id", "marker_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id",
                                                       ondelete="CASCADE"))
    marker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    levels: Mapped[list] = mapped_column(JSON, default=list)
    criterion_comments: Mapped[list] = mapped_column(JSON, default=list)
    overall_comment: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[float] = mapped_column(Float)
    percent: Mapped[float] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(10))
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    second: Mapped[bool] = mapped_column(Boolean, default=False)  # a blind second marking
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                  ondelete="SET NULL"))

    marker = relationship("User", foreign_keys=[marker_id])
    version: Mapped[SubmissionVersion] = relationship()


class CommentBankEntry(db.Model):
    """A comment an instructor saved to reuse."""

    __tablename__ = "assignment_comment_bank"
    __table_args__ = (UniqueConstraint("user_id", "text"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SubmissionExport(db.Model):
    """A ZIP of an assignment's latest submissions, built by a background task."""

    __tablename__ = "assignment_exports"
    __table_args__ = (Index("ix_assignment_exports_assignment_id", "assignment_id"),
                      CheckConstraint("status IN ('queued','ready','failed')", name="status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                   ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    storage_key: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
