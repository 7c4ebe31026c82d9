"""Cohorts: named groups of people who learn together, managed by programme staff.

Like Moodle's site cohorts they span courses: a cohort is a group of people (a city's
planning team, a spring intake), and staff filter results and reports by it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.dbtypes import UTCDateTime
from lms.extensions import db


class Cohort(db.Model):
    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    memberships: Mapped[list[CohortMember]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan", passive_deletes=True)


class CohortMember(db.Model):
    __tablename__ = "cohort_members"

    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    cohort: Mapped[Cohort] = relationship(back_populates="memberships")
    user = relationship("User")
