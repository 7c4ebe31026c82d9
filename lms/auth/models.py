"""Accounts and roles."""
from __future__ import annotations

import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from lms.dbtypes import UTCDateTime
from lms.extensions import db

ROLES = ("learner", "instructor", "registrar", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
ROLE_LABELS = {
    "learner": "Learner",
    "instructor": "Instructor",
    "registrar": "Registrar",
    "admin": "Administrator",
}


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('learner','instructor','registrar','admin')", name="role"),
        Index("ix_users_role", "role"),
        Index("ix_users_name", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(120))
    legal_name: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    country: Mapped[str] = mapped_column(String(120), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    directory_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    role: Mapped[str] = mapped_column(String(20), default="learner")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Flask-Login -----------------------------------------------------------
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def get_id(self) -> str:
        """Session identity; changes when the password changes, ending other sessions."""
        return f"{self.id}:{self.session_fingerprint}"

    @property
    def session_fingerprint(self) -> str:
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    # Roles -----------------------------------------------------------------
    def has_role(self, role: str) -> bool:
        """True when this user's role is `role` or above it (admin has every role)."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    @property
    def confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def certificate_name(self) -> str:
        return self.legal_name or self.name

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
