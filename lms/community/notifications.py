"""In-app notifications and the e-mail digest.

The contract the boards (and any other community feature) code against:

- `notify(recipient_ids, kind, text, url, board_key, dedupe_key, now)` adds one notification
  per recipient in the CALLER's transaction (the caller commits). A recipient never gets the
  same `dedupe_key` twice: a second call with the same key adds nothing for them (one INSERT
  ... ON CONFLICT DO NOTHING, so two racing requests cannot double it either). Recipients who
  cannot see `board_key` (the visibility check below) get nothing.
- `set_visibility_check(fn)`: `fn(pairs)` takes (user_id, board_key) pairs and returns the set
  of those pairs that are visible. The boards register theirs at app start; until one is
  registered every pair is visible. The bell, the notifications page and the digest all filter
  through it, so leaving a cohort hides its board's notifications at once.

Kinds: reply, mention, endorsed, accepted (the boards), cohort (an invitation accepted, a
cohort announcement), system.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from lms.auth.models import User
from lms.dbtypes import UTCDateTime, rows_changed
from lms.errors import NotFound, ValidationError
from lms.extensions import db

KINDS: dict[str, str] = {
    "reply": "Reply",
    "mention": "Mention",
    "endorsed": "Endorsed",
    "accepted": "Accepted answer",
    "cohort": "Cohort",
    "system": "Notice",
}
MAX_TEXT = 300
MAX_URL = 500
MAX_BOARD_KEY = 80
MAX_DEDUPE_KEY = 200

VisibilityCheck = Callable[[Sequence[tuple[int, str]]], set[tuple[int, str]]]


class Notification(db.Model):
    """One thing a member should know about. `digested_at` is set, in the same transaction
    as the e-mail that carried it, when the digest has dealt with it (never twice)."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("recipient_id", "dedupe_key", name="uq_notifications_recipient_dedupe"),
        # The bell (unread per recipient) and the page (newest first per recipient).
        Index("ix_notifications_recipient_read", "recipient_id", "read_at"),
        Index("ix_notifications_recipient_created", "recipient_id", "created_at"),
        # The digest: what has not been e-mailed yet.
        Index("ix_notifications_digest", "digested_at", "recipient_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(MAX_TEXT))
    url: Mapped[str] = mapped_column(String(MAX_URL))
    board_key: Mapped[str] = mapped_column(String(MAX_BOARD_KEY))
    dedupe_key: Mapped[str] = mapped_column(String(MAX_DEDUPE_KEY))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    digested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


DIGEST_CHOICES: dict[str, str] = {
    "off": "No e-mail digest",
    "daily": "A daily digest",
    "weekly": "A weekly digest",
}
#: Members who never chose get the weekly digest (see NOTES: the issue leaves the default open).
DEFAULT_DIGEST = "weekly"


class NotificationPref(db.Model):
    """A member's digest choice and when their last digest went out (no row: the default)."""

    __tablename__ = "notification_prefs"
    __table_args__ = (CheckConstraint("digest IN ('off','daily','weekly')", name="digest"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    digest: Mapped[str] = mapped_column(String(10), default=DEFAULT_DIGEST)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# ---------------------------------------------------------------- visibility


def _all_visible(pairs: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
    return set(pairs)


_visibility: dict[str, VisibilityCheck] = {"check": _all_visible}


def set_visibility_check(fn: VisibilityCheck | None) -> None:
    """Register the one function that says which (user_id, board_key) pairs are visible
    (None restores the default: everything visible)."""
    _visibility["check"] = fn or _all_visible


def visible_pairs(pairs: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
    """The visible subset of `pairs` (each pair asked once)."""
    unique = sorted(set(pairs))
    if not unique:
        return set()
    return set(_visibility["check"](unique)) & set(unique)


# ---------------------------------------------------------------- creating


def _clip(value: str, limit: int) -> str:
    value = " ".join((value or "").split())
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


def notify(recipient_ids: Iterable[int], kind: str, text: str, url: str, board_key: str,
           dedupe_key: str, now: datetime) -> None:
    """Add a notification for each recipient who can see `board_key`, in the caller's
    transaction; a recipient who already has `dedupe_key` gets nothing new."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if not dedupe_key or len(dedupe_key) > MAX_DEDUPE_KEY:
        raise ValueError("dedupe_key must be 1 to 200 characters")
    if not board_key or len(board_key) > MAX_BOARD_KEY:
        raise ValueError("board_key must be 1 to 80 characters")
    if len(url) > MAX_URL:
        raise ValueError("url is longer than 500 characters")
    ids = sorted({int(i) for i in recipient_ids})
    visible = visible_pairs((user_id, board_key) for user_id in ids)
    rows = [{"recipient_id": user_id, "kind": kind, "text": _clip(text, MAX_TEXT), "url": url,
             "board_key": board_key, "dedupe_key": dedupe_key, "created_at": now}
            for user_id in ids if (user_id, board_key) in visible]
    if not rows:
        return
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(Notification).values(rows)
        .on_conflict_do_nothing(index_elements=["recipient_id", "dedupe_key"]))


# ---------------------------------------------------------------- reading


#: Built once: the bell runs on every signed-in page.
_UNREAD_BY_BOARD = (
    select(Notification.board_key, func.count())
    .where(Notification.recipient_id == bindparam("user_id"), Notification.read_at.is_(None))
    .group_by(Notification.board_key))


def unread_count(user_id: int) -> int:
    """The bell: unread notifications on boards the member can still see (one query, then
    the visibility check over the member's distinct boards)."""
    rows = db.session.execute(_UNREAD_BY_BOARD, {"user_id": user_id}).all()
    visible = visible_pairs((user_id, key) for key, _ in rows)
    return sum(n for key, n in rows if (user_id, key) in visible)


def page_for(user_id: int, page: int, per_page: int = 20):
    """One page of the member's notifications, newest first, and how many on it are hidden
    because their board is no longer visible (two queries plus the visibility check)."""
    stmt = (select(Notification).where(Notification.recipient_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    visible = visible_pairs((user_id, n.board_key) for n in pagination.items)
    shown = [n for n in pagination.items if (user_id, n.board_key) in visible]
    return pagination, shown, len(pagination.items) - len(shown)


def safe_target(url: str) -> str | None:
    """The notification's link when it is a path on this site (never an open redirect)."""
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return None


# ---------------------------------------------------------------- changing (one commit each)


def open_notification(user_id: int, notification_id: int, now: datetime) -> str | None:
    """Mark one of the member's notifications read; its link (None: nowhere to go)."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.recipient_id != user_id:
        raise NotFound("No such notification.")
    if (user_id, note.board_key) not in visible_pairs([(user_id, note.board_key)]):
        raise NotFound("No such notification.")
    if note.read_at is None:
        note.read_at = now
    target = safe_target(note.url)
    db.session.commit()
    return target


def mark_all_read(user_id: int, now: datetime) -> int:
    """Mark every unread notification of the member read; how many were."""
    changed = rows_changed(db.session.execute(
        update(Notification)
        .where(Notification.recipient_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now).execution_options(synchronize_session=False)))
    db.session.commit()
    return changed


def digest_choice(user_id: int) -> str:
    pref = db.session.get(NotificationPref, user_id)
    return pref.digest if pref is not None else DEFAULT_DIGEST


def set_digest(user_id: int, choice: str) -> None:
    if choice not in DIGEST_CHOICES:
        raise ValidationError("Choose off, daily or weekly.")
    pref = db.session.get(NotificationPref, user_id)
    if pref is None:
        db.session.add(NotificationPref(user_id=user_id, digest=choice))
    else:
        pref.digest = choice
    db.session.commit()


# ---------------------------------------------------------------- unsubscribing


UNSUBSCRIBE_SALT = "community.digest-unsubscribe"


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int) -> str:
    """A link token that turns the member's digest off without signing in (it does nothing
    else, so it need not expire: a digest from last year still unsubscribes)."""
    return _unsubscribe_serializer().dumps({"u": user_id})


def user_for_unsubscribe(token: str) -> User:
    """The member a token belongs to, or NotFound with a message fit to show."""
    try:
        data = _unsubscribe_serializer().loads(token)
        user = db.session.get(User, int(data["u"]))
    except (BadSignature, KeyError, TypeError, ValueError, OverflowError):
        user = None
    if user is None:
        raise NotFound("This unsubscribe link is not valid. Sign in and choose "
                       "Notifications \u2192 E-mail digest to change your e-mails.")
    return user


def unsubscribe(token: str) -> User:
    """Turn off the digest of the token's member (the POST behind the e-mail's link)."""
    user = user_for_unsubscribe(token)
    set_digest(user.id, "off")
    return user
