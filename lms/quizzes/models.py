"""The quiz engine's tables: quizzes, versioned questions, attempts, accommodations."""
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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.dbtypes import UTCDateTime
from lms.extensions import db
from lms.quizzes.questions import Question as QuestionData


class Quiz(db.Model):
    """A quiz item's engine state: its settings and its pool of questions."""

    __tablename__ = "quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), unique=True)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    intro: Mapped[str] = mapped_column(Text, default="")
    exam: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when the item stopped being a quiz (its `type` changed): no attempt can start, and
    # the attempts already made stay readable by staff.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    item = relationship("Item")
    questions: Mapped[list[Question]] = relationship(back_populates="quiz",
                                                     order_by="Question.position")


class Question(db.Model):
    """A question's identity in its quiz (its key); the content lives in versions."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("quiz_id", "key"),
                      Index("ix_questions_quiz_active_position", "quiz_id", "active", "position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_versions.id", use_alter=True, ondelete="SET NULL"))

    quiz: Mapped[Quiz] = relationship(back_populates="questions")
    current_version: Mapped[QuestionVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True)


class QuestionVersion(db.Model):
    """Immutable content of a question (the parsed dict, answers included)."""

    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "number"),
                      Index("ix_question_versions_question_hash", "question_id", "content_hash"))

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[QuestionData] = mapped_column(JSON)  # the contract of lms.quizzes.questions
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    question: Mapped[Question] = relationship(foreign_keys=[question_id])


class Attempt(db.Model):
    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("quiz_id", "user_id", "number"),
        CheckConstraint("status IN ('open','submitted')", name="status"),
        # One open attempt per learner and quiz, enforced by the database.
        Index("uq_quiz_attempts_one_open", "quiz_id", "user_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        Index("ix_quiz_attempts_user_quiz", "user_id", "quiz_id"),
        Index("ix_quiz_attempts_quiz_submitted", "quiz_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"),
                                              index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="open")
    seed: Mapped[int] = mapped_column(Integer)
    settings: Mapped[dict] = mapped_column(JSON)  # snapshot at start
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    honour_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    auto_submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    earned: Mapped[float | None] = mapped_column(Float)
    possible: Mapped[float | None] = mapped_column(Float)
    percent: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    per_tag: Mapped[dict | None] = mapped_column(JSON)

    quiz: Mapped[Quiz] = relationship()
    user = relationship("User")
    questions: Mapped[list[AttemptQuestion]] = relationship(
        back_populates="attempt", order_by="AttemptQuestion.position",
        cascade="all, delete-orphan")


class AttemptQuestion(db.Model):
    """A question drawn for one attempt, with its option order and the learner's response."""

    __tablename__ = "attempt_questions"
    __table_args__ = (UniqueConstraint("attempt_id", "position"),
                      UniqueConstraint("attempt_id", "version_id"),
                      Index("ix_attempt_questions_version_id", "version_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"))
    position: Mapped[int] = mapped_column(Integer)
    option_order: Mapped[list] = mapped_column(JSON, default=list)
    response: Mapped[object | None] = mapped_column(JSON)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    earned: Mapped[float | None] = mapped_column(Float)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    attempt: Mapped[Attempt] = relationship(back_populates="questions")
    version: Mapped[QuestionVersion] = relationship()


class Accommodation(db.Model):
    """Extra attempts or extra minutes granted to one learner for one quiz."""

    __tablename__ = "quiz_accommodations"
    __table_args__ = (CheckConstraint("kind IN ('extra_attempt','extra_time')", name="kind"),
                      CheckConstraint("amount > 0", name="amount_positive"),
                      Index("ix_quiz_accommodations_quiz_user", "quiz_id", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(300), default="")
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user = relationship("User", foreign_keys=[user_id])
    granted_by = relationship("User", foreign_keys=[granted_by_id])
