"""Search over the threads and posts a member can see.

SQLite: the FTS5 table ``community_fts`` (porter stemming), kept in step with the posts by
triggers (models.py). PostgreSQL: ``to_tsvector('english', ...)`` over posts' bodies and
threads' titles, each with its GIN index. Both match every word of the query (stemmed), rank
by relevance, and hand back a snippet whose matches are marked: the snippet is escaped first
and only then are the markers turned into ``<mark>``, so no post text ever becomes markup.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import Integer, and_, cast, column, func, literal_column, or_, select, table

from lms.community import rules
from lms.community.models import FTS_TABLE, Post, Thread
from lms.community.visibility import Viewer, board_filter
from lms.extensions import db

PER_PAGE = 20
MAX_TERMS = 8
_WORD_RE = re.compile(r"\w+", re.UNICODE)
#: Private-use characters marking a match in the database's snippet (never typed by people).
START, STOP = "\ue000", "\ue001"


@dataclass
class Hit:
    thread_id: int
    post_id: int
    title: str
    board_key: str
    snippet: Markup


def terms(query: str) -> list[str]:
    """The words searched for (at most MAX_TERMS, lower case, of two characters or more)."""
    words = [w.lower() for w in _WORD_RE.findall(query or "") if len(w) >= 2]
    return list(dict.fromkeys(words))[:MAX_TERMS]


def highlight(snippet: str) -> Markup:
    """Escape a snippet, then mark the matches."""
    escaped = str(escape(snippet or ""))
    return Markup(escaped.replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S704


def _visible(viewer: Viewer):  # noqa: ANN202 - a SQL expression
    return and_(board_filter(viewer, Thread.board_key), Thread.listed,
                Post.status == "visible")


def search(viewer: Viewer, query: str, page: int | None = 1) -> tuple[list[Hit], rules.PageInfo]:
    words = terms(query)
    if not words:
        return [], rules.page_info(1, PER_PAGE, 0)
    if db.engine.dialect.name == "postgresql":
        return _postgres(viewer, words, page)
    return _sqlite(viewer, words, page)


def _sqlite(viewer: Viewer, words: list[str], page: int | None) -> tuple[list[Hit],
                                                                          rules.PageInfo]:
    match = " AND ".join('"' + w.replace('"', "") + '"' for w in words)
    fts = table(FTS_TABLE, column("rowid"), column("rank"))
    base = (select(Post.id).select_from(Post)
            .join(fts, fts.c.rowid == Post.id)
            .join(Thread, Thread.id == Post.thread_id)
            .where(literal_column(FTS_TABLE).op("MATCH")(match), _visible(viewer)))
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    info = rules.page_info(page, PER_PAGE, total)
    snippet = func.snippet(literal_column(FTS_TABLE), -1, START, STOP, "…", 24)
    rows = db.session.execute(
        base.add_columns(Thread.id, Thread.title, Thread.board_key, snippet)
        .order_by(fts.c.rank, Post.id.desc()).offset(info.offset).limit(info.per_page))
    return [Hit(tid, pid, title, key, highlight(snip))
            for pid, tid, title, key, snip in rows], info


def _postgres(viewer: Viewer, words: list[str], page: int | None) -> tuple[list[Hit],
                                                                            rules.PageInfo]:
    query = func.plainto_tsquery("english", " ".join(words))
    body_vec = func.to_tsvector("english", Post.body)
    title_vec = func.to_tsvector("english", Thread.title)
    matched = or_(body_vec.op("@@")(query), and_(Post.is_opening, title_vec.op("@@")(query)))
    base = (select(Post.id).select_from(Post).join(Thread, Thread.id == Post.thread_id)
            .where(_visible(viewer), matched))
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    info = rules.page_info(page, PER_PAGE, total)
    rank = func.ts_rank(body_vec, query) + func.ts_rank(title_vec, query) * cast(
        Post.is_opening, Integer)
    snippet = func.ts_headline("english", Post.body, query,
                               f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=10")
    rows = db.session.execute(
        base.add_columns(Thread.id, Thread.title, Thread.board_key, snippet)
        .order_by(rank.desc(), Post.id.desc()).offset(info.offset).limit(info.per_page))
    return [Hit(tid, pid, title, key, highlight(snip))
            for pid, tid, title, key, snip in rows], info
