"""Cohorts: named groups of people who learn together, managed by programme staff.

Like Moodle's site cohorts they span courses: a cohort is a group of people (a city's
planning team, a spring intake), and staff filter results and reports by it. A cohort may be
tied to one course (`course_id`) or to the whole programme (None), has a region and dates, and
some of its members are its facilitators (`CohortMember.role`). Staff add people by e-mail or
hand out an invitation link (`CohortInvite`) that expires and can be revoked.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.dbtypes import UTCDateTime
from lms.extensions import db

MEMBER_ROLES = ("member", "facilitator")


class Cohort(db.Model):
    __tablename__ = "cohorts"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
                        name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # None: the whole programme. The course is named by table (cohorts sit below courses).
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id", ondelete="SET NULL"), index=True)
    region: Mapped[str] = mapped_column(String(120), default="", server_default="")
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    memberships: Mapped[list[CohortMember]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan", passive_deletes=True)
    course = relationship("Course", lazy="raise_on_sql")


class CohortMember(db.Model):
    __tablename__ = "cohort_members"
    __table_args__ = (CheckConstraint("role IN ('member','facilitator')", name="role"),)

    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    role: Mapped[str] = mapped_column(String(20), default="member", server_default="member")

    cohort: Mapped[Cohort] = relationship(back_populates="memberships")
    user = relationship("User")

    @property
    def is_facilitator(self) -> bool:
        return self.role == "facilitator"


class CohortInvite(db.Model):
    """A link that lets any signed-in person join the cohort until it expires or is revoked.

    The token is random (secrets.token_urlsafe) and kept as is, so staff can copy the link
    again from the cohort's page; it grants membership of one cohort, nothing more."""

    __tablename__ = "cohort_invites"
    __table_args__ = (Index("ix_cohort_invites_cohort_id", "cohort_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    uses: Mapped[int] = mapped_column(default=0)

    cohort: Mapped[Cohort] = relationship()

    def state(self, now: datetime) -> str:
        """'revoked', 'expired' or 'open'."""
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "open"
