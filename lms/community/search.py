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
from sqlalchemy import Integer, cast, column, func, literal_column, select, table, union

from lms.community import rules
from lms.community.models import FTS_TABLE, Post, Thread
from lms.community.visibility import Viewer, board_filter
from lms.extensions import db

PER_PAGE = 20
#: At most this many matches (the newest the viewer may see) are ranked and counted.
MAX_CANDIDATES = 100
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


def search(viewer: Viewer, query: str, page: int | None = 1) -> tuple[list[Hit], rules.PageInfo]:
    """A page of the matches the viewer may see, best first (two queries).

    Only the newest MAX_CANDIDATES visible matches are ranked (and counted): a word in most
    posts would otherwise make every search score tens of thousands of posts. A search that
    reaches the cap says so (the page suggests more words)."""
    words = terms(query)
    if not words:
        return [], rules.page_info(1, PER_PAGE, 0)
    postgres = db.engine.dialect.name == "postgresql"
    matched = (_postgres_matches(words) if postgres else _sqlite_matches(words)).subquery()
    candidates = list(db.session.scalars(
        select(matched.c.id).join(Thread, Thread.id == matched.c.thread_id)
        .where(board_filter(viewer, Thread.board_key), Thread.listed)
        .order_by(matched.c.id.desc()).limit(MAX_CANDIDATES)))
    info = rules.page_info(page, PER_PAGE, len(candidates))
    if not candidates:
        return [], info
    ranked = _postgres_page if postgres else _sqlite_page
    return ranked(words, candidates, info), info


def capped(info: rules.PageInfo) -> bool:
    """Did the search reach MAX_CANDIDATES (so there may be more, older matches)?"""
    return info.total >= MAX_CANDIDATES


def _sqlite_match(words: list[str]) -> str:
    return " AND ".join('"' + w.replace('"', "") + '"' for w in words)


def _sqlite_matches(words: list[str]):  # noqa: ANN202 - a SQL expression
    """Visible posts (id, thread_id) that match every word."""
    fts = table(FTS_TABLE, column("rowid"))
    return (select(Post.id, Post.thread_id).join(fts, fts.c.rowid == Post.id)
            .where(literal_column(FTS_TABLE).op("MATCH")(_sqlite_match(words)),
                   Post.status == "visible"))


def _sqlite_page(words: list[str], candidates: list[int], info: rules.PageInfo) -> list[Hit]:
    fts = table(FTS_TABLE, column("rowid"), column("rank"))
    snippet = func.snippet(literal_column(FTS_TABLE), -1, START, STOP, "…", 24)
    rows = db.session.execute(
        select(Post.id, Thread.id, Thread.title, Thread.board_key, snippet)
        .select_from(Post).join(fts, fts.c.rowid == Post.id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(literal_column(FTS_TABLE).op("MATCH")(_sqlite_match(words)),
               Post.id.in_(candidates))
        .order_by(fts.c.rank, Post.id.desc()).offset(info.offset).limit(info.per_page))
    return [Hit(tid, pid, title, key, highlight(snip))
            for pid, tid, title, key, snip in rows]


def _tsquery(words: list[str]):  # noqa: ANN202 - a SQL expression
    return func.plainto_tsquery("english", " ".join(words))


def _postgres_matches(words: list[str]):  # noqa: ANN202 - a SQL expression
    """Visible posts (id, thread_id) whose body matches, and opening posts whose thread's
    title matches: each half answered by its own GIN index (an OR across the two tables could
    use neither)."""
    query = _tsquery(words)
    return union(
        select(Post.id, Post.thread_id).where(
            func.to_tsvector("english", Post.body).op("@@")(query), Post.status == "visible"),
        select(Post.id, Post.thread_id).join(Thread, Thread.id == Post.thread_id)
        .where(func.to_tsvector("english", Thread.title).op("@@")(query), Post.is_opening,
               Post.status == "visible"))


def _postgres_page(words: list[str], candidates: list[int], info: rules.PageInfo) -> list[Hit]:
    query = _tsquery(words)
    rank = func.ts_rank(func.to_tsvector("english", Post.body), query) + func.ts_rank(
        func.to_tsvector("english", Thread.title), query) * cast(Post.is_opening, Integer)
    # Ranked in a subquery, so that the (costly) snippets are made for one page only.
    page = (select(Post.id.label("post_id"), Thread.id.label("thread_id"),
                   Thread.title.label("title"), Thread.board_key.label("board_key"),
                   Post.body.label("body"), rank.label("rank"))
            .join(Thread, Thread.id == Post.thread_id).where(Post.id.in_(candidates))
            .order_by(rank.desc(), Post.id.desc()).offset(info.offset).limit(info.per_page)
            .subquery())
    snippet = func.ts_headline("english", page.c.body, query,
                               f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=10")
    rows = db.session.execute(
        select(page.c.post_id, page.c.thread_id, page.c.title, page.c.board_key, snippet)
        .order_by(page.c.rank.desc(), page.c.post_id.desc()))
    return [Hit(tid, pid, title, key, highlight(snip))
            for pid, tid, title, key, snip in rows]
