"""The boards: threads, posts (with their edit history), likes, read marks, follows and
moderation (flags, the action log, suspensions).

A board is not a row: it is a key (``course:12``, ``cohort:3``, ``network:introductions``),
so that every course and cohort has its board without any row being made for it, and the
notifications (network's) name a board by the same string. See ``visibility.py``.

Search (``search.py``): on SQLite an FTS5 table kept in step with the posts by triggers; on
PostgreSQL GIN indexes over ``to_tsvector('english', ...)`` of posts' bodies and threads'
titles. Both are made by the DDL below for ``db.create_all`` and by the migration alike.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DDL,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.dbtypes import UTCDateTime
from lms.extensions import db

THREAD_KINDS = ("discussion", "question")
#: visible: shown; pending: waits for a moderator (too many links); hidden: by a moderator;
#: deleted: by its author (a placeholder keeps the thread readable).
POST_STATUSES = ("visible", "pending", "hidden", "deleted")
MOD_ACTIONS = ("hide", "restore", "approve", "warn", "suspend", "dismiss", "pin", "unpin",
               "lock", "unlock")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ",".join(f"'{v}'" for v in values) + ")"


class Thread(db.Model):
    __tablename__ = "community_threads"
    __table_args__ = (
        CheckConstraint(_in("kind", THREAD_KINDS), name="kind"),
        Index("ix_community_threads_board_activity", "board_key", "pinned", "last_post_at"),
        Index("ix_community_threads_author_id", "author_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20), default="discussion")
    title: Mapped[str] = mapped_column(String(200))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_post_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Visible replies (the opening post not counted).
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    #: A question with an accepted or endorsed answer.
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    #: False while the opening post waits for approval or is hidden: then only its author and
    #: the board's moderators see the thread.
    listed: Mapped[bool] = mapped_column(Boolean, default=True)

    author = relationship("User")


class Post(db.Model):
    __tablename__ = "community_posts"
    __table_args__ = (
        CheckConstraint(_in("status", POST_STATUSES), name="status"),
        Index("ix_community_posts_thread_created", "thread_id", "created_at", "id"),
        Index("ix_community_posts_author_created", "author_id", "created_at"),
        Index("ix_community_posts_status", "status"),
        Index("ix_community_posts_quote_of_id", "quote_of_id"),
        Index("ix_community_posts_endorsed_by_id", "endorsed_by_id"),
        # Search: the opening post of each thread whose title matches (search.py).
        Index("ix_community_posts_opening", "thread_id", postgresql_where=text("is_opening"),
              sqlite_where=text("is_opening")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("community_threads.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    is_opening: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="visible")
    quote_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_posts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    like_count: Mapped[int] = mapped_column(Integer, default=0)
    endorsed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    accepted: Mapped[bool] = mapped_column(Boolean, default=False)

    thread: Mapped[Thread] = relationship()
    author = relationship("User", foreign_keys=[author_id])


class PostRevision(db.Model):
    """A post's text before an edit (staff see the history)."""

    __tablename__ = "community_post_revisions"
    __table_args__ = (Index("ix_community_post_revisions_post_id", "post_id"),
                      Index("ix_community_post_revisions_editor_id", "editor_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("community_posts.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when this text was replaced
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class PostLike(db.Model):
    __tablename__ = "community_likes"
    __table_args__ = (Index("ix_community_likes_user_id", "user_id"),)

    post_id: Mapped[int] = mapped_column(
        ForeignKey("community_posts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ThreadRead(db.Model):
    """How far a member has read a thread: everything posted after `read_at` is new to them."""

    __tablename__ = "community_reads"
    __table_args__ = (Index("ix_community_reads_thread_id", "thread_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("community_threads.id", ondelete="CASCADE"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Follow(db.Model):
    """A member follows a thread (thread_id set) or a whole board (board_key set)."""

    __tablename__ = "community_follows"
    __table_args__ = (
        UniqueConstraint("user_id", "thread_id", name="uq_community_follows_user_thread"),
        UniqueConstraint("user_id", "board_key", name="uq_community_follows_user_board"),
        CheckConstraint("(thread_id IS NULL) <> (board_key IS NULL)", name="one_target"),
        Index("ix_community_follows_thread_id", "thread_id"),
        Index("ix_community_follows_board_key", "board_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_threads.id", ondelete="CASCADE"))
    board_key: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Flag(db.Model):
    """A member's report of a post; open until a moderator acts on the post."""

    __tablename__ = "community_flags"
    __table_args__ = (
        UniqueConstraint("post_id", "user_id", name="uq_community_flags_post_user"),
        Index("ix_community_flags_open", "resolved_at", "created_at"),
        Index("ix_community_flags_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("community_posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")


class ModerationAction(db.Model):
    """Every moderator action, kept: who did what to which post or member, and why."""

    __tablename__ = "community_mod_actions"
    __table_args__ = (
        CheckConstraint(_in("action", MOD_ACTIONS), name="action"),
        Index("ix_community_mod_actions_created_at", "created_at"),
        Index("ix_community_mod_actions_actor_id", "actor_id"),
        Index("ix_community_mod_actions_post_id", "post_id"),
        Index("ix_community_mod_actions_target_user_id", "target_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(20))
    board_key: Mapped[str] = mapped_column(String(80))
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_posts.id", ondelete="SET NULL"))
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_threads.id", ondelete="SET NULL"))
    target_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    actor = relationship("User", foreign_keys=[actor_id])
    target_user = relationship("User", foreign_keys=[target_user_id])


class Suspension(db.Model):
    """A member may not post anywhere until `until`."""

    __tablename__ = "community_suspensions"
    __table_args__ = (Index("ix_community_suspensions_user_until", "user_id", "until"),
                      Index("ix_community_suspensions_created_by_id", "created_by_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- search indexes (see search.py) -------------------------------------------------------
#: The FTS5 table's name (spelt out in the statements below); reflected tables starting with
#: it are not the models' (migrations/env.py).
FTS_TABLE = "community_fts"

SEARCH_DDL: tuple[tuple[str, str], ...] = (
    ("sqlite", "CREATE VIRTUAL TABLE community_fts USING fts5("
               "title, body, tokenize = 'porter unicode61')"),
    ("sqlite", """CREATE TRIGGER community_fts_ai AFTER INSERT ON community_posts BEGIN
  INSERT INTO community_fts(rowid, title, body) VALUES (new.id,
    CASE WHEN new.is_opening THEN (SELECT title FROM community_threads
                                   WHERE id = new.thread_id) ELSE '' END, new.body);
END"""),
    ("sqlite", """CREATE TRIGGER community_fts_au AFTER UPDATE OF body ON community_posts BEGIN
  UPDATE community_fts SET body = new.body WHERE rowid = new.id;
END"""),
    ("sqlite", """CREATE TRIGGER community_fts_ad AFTER DELETE ON community_posts BEGIN
  DELETE FROM community_fts WHERE rowid = old.id;
END"""),
    ("postgresql", "CREATE INDEX ix_community_posts_fts ON community_posts "
                   "USING gin (to_tsvector('english', body))"),
    ("postgresql", "CREATE INDEX ix_community_threads_fts ON community_threads "
                   "USING gin (to_tsvector('english', title))"),
)
SEARCH_DROPS: tuple[tuple[str, str], ...] = (
    ("sqlite", "DROP TRIGGER IF EXISTS community_fts_ai"),
    ("sqlite", "DROP TRIGGER IF EXISTS community_fts_au"),
    ("sqlite", "DROP TRIGGER IF EXISTS community_fts_ad"),
    ("sqlite", "DROP TABLE IF EXISTS community_fts"),
    ("postgresql", "DROP INDEX IF EXISTS ix_community_posts_fts"),
    ("postgresql", "DROP INDEX IF EXISTS ix_community_threads_fts"),
)

for _dialect, _statement in SEARCH_DDL:  # db.create_all (tests) gets them too
    event.listen(Post.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))
for _dialect, _statement in SEARCH_DROPS:
    event.listen(Post.__table__, "before_drop", DDL(_statement).execute_if(dialect=_dialect))
