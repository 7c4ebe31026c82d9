"""Accounts and roles."""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import cast

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, func
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
    #: Focus areas (the programme's Pillars and Commitments) as ",key,key," so one LIKE
    #: finds a key; read and written through `focus_area_keys`.
    focus_areas: Mapped[str] = mapped_column(String(400), default="", server_default="")
    role: Mapped[str] = mapped_column(String(20), default="learner")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Flask-Login -----------------------------------------------------------
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    #: The secret key of the server-side session this object was loaded for (set at sign-in
    #: and by the user loader); `get_id` hands it to Flask-Login's cookies.
    session_key = cast("str | None", None)  # not a column (no annotation: the ORM maps those)

    def get_id(self) -> str:
        """Session identity: the user and one server-side session (see `UserSession`).

        Signing out deletes that session's row, so neither the session cookie nor the
        remember-me cookie, which both carry this identity, works again.
        """
        return f"{self.id}:{self.session_key or ''}"

    @property
    def focus_area_keys(self) -> list[str]:
        return [key for key in self.focus_areas.split(",") if key]

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


def session_key_hash(key: str) -> str:
    """Only a hash of a session key is stored: a database leak does not sign anyone in."""
    return hashlib.sha256(key.encode()).hexdigest()


class UserSession(db.Model):
    """One signed-in browser. Sign-out deletes the row; "sign out everywhere", a password
    change or reset and deactivation delete all of a user's rows. A row past `expires_at`
    (the remember-me lifetime) no longer signs anyone in."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id", "user_id"),
                      Index("ix_user_sessions_expires_at", "expires_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SignInThrottle(db.Model):
    """Failed sign-ins per e-mail address (known or not, so it tells nothing about accounts).

    After `SIGNIN_LOCK_AFTER` failures the address is locked for a back-off that doubles with
    each further failure, capped at `SIGNIN_LOCK_MAX`: an attacker slows guessing to a crawl but
    can never keep the owner out for long (and a password reset clears the lock)."""

    __tablename__ = "signin_throttles"
    __table_args__ = (Index("ix_signin_throttles_updated_at", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
