"""Courses imported from Markdown: modules, items with revisions, assets, enrolment, progress."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.dbtypes import UTCDateTime
from lms.extensions import db

#: Item audiences: every learner, or only the course's instructors (and staff).
LEARNERS = "learners"
INSTRUCTORS = "instructors"

class Course(db.Model):
    __tablename__ = "courses"
    __table_args__ = (Index("ix_courses_published_title", "published", "title"),
                      Index("ix_courses_ce_category", "ce_category"),
                      Index("ix_courses_level", "level"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    overview: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")  # course.md as imported/edited
    dirname: Mapped[str] = mapped_column(String(200))
    ce_hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    ce_category: Mapped[str | None] = mapped_column(String(60))
    level: Mapped[str | None] = mapped_column(String(20))
    prerequisites: Mapped[list] = mapped_column(JSON, default=list)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    estimated_minutes: Mapped[int] = mapped_column(Integer, default=0)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    modules: Mapped[list[Module]] = relationship(back_populates="course",
                                                 order_by="Module.position",
                                                 cascade="all, delete-orphan")
    items: Mapped[list[Item]] = relationship(back_populates="course", order_by="Item.position",
                                             cascade="all, delete-orphan")
    instructors: Mapped[list[CourseInstructor]] = relationship(cascade="all, delete-orphan")

    @property
    def instructor_emails(self) -> list[str]:
        return [i.email for i in self.instructors]


class CourseInstructor(db.Model):
    __tablename__ = "course_instructors"
    __table_args__ = (UniqueConstraint("course_id", "email"),
                      Index("ix_course_instructors_email", "email"))

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))


class CourseRevision(db.Model):
    """One import (or browser edit) that changed a course: the course's content history."""

    __tablename__ = "course_revisions"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                  index=True)
    source: Mapped[str] = mapped_column(String(20))  # import | edit | restore
    summary: Mapped[str] = mapped_column(Text, default="")


class Module(db.Model):
    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(120))
    dirname: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    course: Mapped[Course] = relationship(back_populates="modules")


class Item(db.Model):
    """A lesson, quiz or assignment. Identity: course + slug, stable across edits."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("course_id", "slug"),
                      CheckConstraint("kind IN ('lesson','quiz','assignment')", name="kind"),
                      CheckConstraint("audience IN ('learners','instructors')", name="audience"),
                      Index("ix_items_course_active_position", "course_id", "active", "position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="SET NULL"),
                                                  index=True)
    slug: Mapped[str] = mapped_column(String(250))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    source_path: Mapped[str] = mapped_column(String(400))
    source: Mapped[str] = mapped_column(Text)        # current full file text
    body: Mapped[str] = mapped_column(Text)          # Markdown after front matter
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    estimated_minutes: Mapped[int] = mapped_column(Integer, default=1)
    content_hash: Mapped[str] = mapped_column(String(64))
    imported_hash: Mapped[str] = mapped_column(String(64))  # hash of the last imported file
    revision: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False: removed from files
    #: "instructors": a lesson kept out of learners' outline, progress and completion
    audience: Mapped[str] = mapped_column(String(20), default=LEARNERS,
                                          server_default=LEARNERS)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship(back_populates="items")

    @property
    def instructors_only(self) -> bool:
        return self.audience == INSTRUCTORS
    module: Mapped[Module | None] = relationship()


class ItemRevision(db.Model):
    __tablename__ = "item_revisions"
    __table_args__ = (UniqueConstraint("item_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                  index=True)
    origin: Mapped[str] = mapped_column(String(20))  # import | edit | restore
    note: Mapped[str] = mapped_column(String(300), default="")

    author = relationship("User")


class ItemDraft(db.Model):
    """An item's unpublished browser edit: its course's instructors preview it, learners never
    see it. Publishing makes it a revision; discarding deletes it. One draft per item."""

    __tablename__ = "item_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"),
                                         unique=True)
    source: Mapped[str] = mapped_column(Text)
    base_revision: Mapped[int] = mapped_column(Integer)  # the revision the draft was made from
    note: Mapped[str] = mapped_column(String(300), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                  index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    author = relationship("User")


class CourseAsset(db.Model):
    __tablename__ = "course_assets"
    __table_args__ = (UniqueConstraint("course_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(400))  # relative to the course's assets/ folder
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_hash: Mapped[str] = mapped_column(String(64))
    mimetype: Mapped[str] = mapped_column(String(120))


class Enrolment(db.Model):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),
                      Index("ix_enrolments_course_id", "course_id"),
                      Index("ix_enrolments_user_activity", "user_id", "last_activity_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="SET NULL"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship()
    user = relationship("User")
    last_item: Mapped[Item | None] = relationship()


class ItemProgress(db.Model):
    """An item an enrolled learner has done: a lesson marked complete, a quiz or task passed."""

    __tablename__ = "item_progress"
    __table_args__ = (UniqueConstraint("enrolment_id", "item_id"),
                      Index("ix_item_progress_item_id", "item_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)
