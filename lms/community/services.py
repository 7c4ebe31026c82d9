"""The boards' rules: boards, threads, posts, reading, following, likes, answers, moderation,
mention suggestions and participation statistics.

Every public function that changes data is one unit of work (one commit) and raises
`lms.errors` exceptions whose text is fit to show; time comes in as ``now``. Who may see or
moderate a board is asked of ``visibility`` only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from markupsafe import Markup
from sqlalchemy import Integer, and_, cast, func, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from lms import mail
from lms.auth.models import User
from lms.cohorts.models import Cohort, CohortMember
from lms.community import rules
from lms.community.models import (
    Flag,
    Follow,
    ModerationAction,
    Post,
    PostLike,
    PostRevision,
    Suspension,
    Thread,
    ThreadRead,
)
from lms.community.notifications import notify as _notify
from lms.community.visibility import (
    STAFF_ROLES,
    Viewer,
    board_filter,
    can_moderate,
    can_see,
    moderation_filter,
    parse_key,
    viewer_for,
    viewers_for,
)
from lms.courses.models import Course, CourseInstructor, Enrolment, Item
from lms.errors import Conflict, NotFound, PermissionDenied, ValidationError
from lms.extensions import db

THREADS_PER_PAGE = 25
POSTS_PER_PAGE = 20
QUEUE_PER_PAGE = 25
FILTERS = ("all", "unanswered", "unread", "mine", "following")
NOTIFY_KINDS = ("reply", "mention", "endorsed", "accepted")

# --- boards --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Board:
    key: str
    kind: str
    ref: str
    title: str
    description: str = ""
    anonymous: bool = False


def categories() -> list[dict[str, Any]]:
    """The network board's categories, from configuration (COMMUNITY_CATEGORIES)."""
    return list(current_app.config["COMMUNITY_CATEGORIES"])


def _category(slug: str) -> dict[str, Any] | None:
    return next((c for c in categories() if c["slug"] == slug), None)


def get_board(key: str) -> Board:
    """The board a key names (NotFound for a malformed key or a missing course/cohort)."""
    ref = parse_key(key)
    if ref is None:
        raise NotFound("No such board.")
    anonymous = bool(current_app.config["COMMUNITY_ANONYMOUS_KINDS"].get(ref.kind, False))
    if ref.kind == "network":
        cat = _category(ref.ref)
        if cat is None:
            raise NotFound("No such board.")
        return Board(ref.key, ref.kind, ref.ref, cat["name"], cat.get("description", ""),
                     bool(cat.get("anonymous", anonymous)))
    if ref.kind == "course":
        course = db.session.get(Course, ref.ident)
        if course is None:
            raise NotFound("No such board.")
        return Board(ref.key, ref.kind, ref.ref, course.title,
                     f"For everyone taking {course.code}: its learners and instructors.",
                     anonymous)
    cohort = db.session.get(Cohort, ref.ident)
    if cohort is None:
        raise NotFound("No such board.")
    return Board(ref.key, ref.kind, ref.ref, cohort.name,
                 "Private to the cohort's members and facilitators.", anonymous)


def open_board(viewer: Viewer, key: str) -> Board:
    """The board, when the viewer may see it; otherwise NotFound (a private board is not even
    confirmed to exist)."""
    board = get_board(key)
    if not can_see(viewer, key):
        raise NotFound("No such board.")
    return board


@dataclass
class BoardSummary:
    board: Board
    unread: int = 0
    following: bool = False


def _unread_condition(user_id: int):  # noqa: ANN202 - a SQL expression
    read = select(ThreadRead.read_at).where(ThreadRead.user_id == user_id,
                                            ThreadRead.thread_id == Thread.id)
    return or_(~read.exists(), read.scalar_subquery() < Thread.last_post_at)


def boards_for(viewer: Viewer) -> list[BoardSummary]:
    """Every board the viewer sees, with its unread thread count (a constant number of
    queries): the network's categories, then their courses, then their cohorts."""
    boards = [Board(f"network:{c['slug']}", "network", c["slug"], c["name"],
                    c.get("description", "")) for c in categories()]
    course_stmt = select(Course).order_by(Course.title)
    cohort_stmt = select(Cohort).order_by(Cohort.name)
    if not viewer.staff:
        course_stmt = course_stmt.where(Course.id.in_(viewer.enrolled | viewer.teaching))
        cohort_stmt = cohort_stmt.where(Cohort.id.in_(viewer.cohorts | viewer.facilitating))
    boards += [Board(f"course:{c.id}", "course", str(c.id), c.title)
               for c in db.session.scalars(course_stmt)]
    boards += [Board(f"cohort:{c.id}", "cohort", str(c.id), c.name)
               for c in db.session.scalars(cohort_stmt)]
    boards = [b for b in boards if can_see(viewer, b.key)]
    counts = dict(db.session.execute(
        select(Thread.board_key, func.count()).where(
            board_filter(viewer, Thread.board_key), Thread.listed,
            _unread_condition(viewer.user_id)).group_by(Thread.board_key)).all())
    followed = set(db.session.scalars(select(Follow.board_key).where(
        Follow.user_id == viewer.user_id, Follow.board_key.is_not(None))))
    return [BoardSummary(b, int(counts.get(b.key, 0)), b.key in followed) for b in boards]


# --- listing threads -----------------------------------------------------------------------

@dataclass
class ThreadRow:
    thread: Thread
    author: str
    unread: bool
    following: bool


def _listed_for(viewer: Viewer, key: str):  # noqa: ANN202 - a SQL expression
    if can_moderate(viewer, key):
        return Thread.board_key == key
    return and_(Thread.board_key == key,
                or_(Thread.listed, Thread.author_id == viewer.user_id))


def list_threads(viewer: Viewer, board: Board, *, filter_: str = "all",
                 page: int | None = 1) -> tuple[list[ThreadRow], rules.PageInfo]:
    """A page of the board's threads, pinned first then by latest activity (four queries)."""
    if not can_see(viewer, board.key):
        raise NotFound("No such board.")
    where = [_listed_for(viewer, board.key)]
    if filter_ == "unanswered":
        where.append(or_(and_(Thread.kind == "question", ~Thread.answered),
                         and_(Thread.kind == "discussion", Thread.reply_count == 0)))
    elif filter_ == "unread":
        where.append(_unread_condition(viewer.user_id))
    elif filter_ == "mine":
        where.append(or_(Thread.author_id == viewer.user_id, select(Post.id).where(
            Post.thread_id == Thread.id, Post.author_id == viewer.user_id).exists()))
    elif filter_ == "following":
        where.append(select(Follow.id).where(Follow.user_id == viewer.user_id,
                                             Follow.thread_id == Thread.id).exists())
    total = db.session.scalar(select(func.count()).select_from(Thread).where(*where)) or 0
    info = rules.page_info(page, THREADS_PER_PAGE, total)
    # One query for the page: each thread with its author, the reader's read mark and whether
    # they follow it (never one query per thread).
    read_at = (select(ThreadRead.read_at).where(ThreadRead.user_id == viewer.user_id,
                                                ThreadRead.thread_id == Thread.id)
               .scalar_subquery())
    following = select(Follow.id).where(Follow.user_id == viewer.user_id,
                                        Follow.thread_id == Thread.id).exists()
    rows = db.session.execute(
        select(Thread, read_at, following).where(*where).options(joinedload(Thread.author))
        .order_by(Thread.pinned.desc(), Thread.last_post_at.desc(), Thread.id.desc())
        .offset(info.offset).limit(info.per_page)).all()
    moderator = can_moderate(viewer, board.key)
    return [ThreadRow(
        t, rules.shown_author(t.author.name, anonymous=t.anonymous,
                              is_self=t.author_id == viewer.user_id, moderator=moderator),
        read is None or read < t.last_post_at, bool(follows))
        for t, read, follows in rows], info


# --- a thread's page -----------------------------------------------------------------------

@dataclass
class PostView:
    post: Post
    author: str
    html: Markup | None          # None: a placeholder stands in (deleted, hidden)
    placeholder: str = ""
    liked: bool = False
    new: bool = False            # the first post since the reader's last visit
    endorsed_by: str = ""
    cards: list[dict[str, str]] = field(default_factory=list)
    mine: bool = False


@dataclass
class ThreadPage:
    board: Board
    thread: Thread
    posts: list[PostView]
    page: rules.PageInfo
    moderator: bool
    following: bool
    last_read_at: datetime | None
    new_count: int


def get_thread(thread_id: int) -> Thread:
    thread = db.session.get(Thread, thread_id)
    if thread is None:
        raise NotFound("No such thread.")
    return thread


def get_post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound("No such post.")
    return post


def _check_thread_visible(viewer: Viewer, thread: Thread) -> None:
    if not can_see(viewer, thread.board_key):
        raise NotFound("No such thread.")
    if not thread.listed and thread.author_id != viewer.user_id \
            and not can_moderate(viewer, thread.board_key):
        raise NotFound("No such thread.")


def _posts_visible_to(viewer: Viewer, moderator: bool):  # noqa: ANN202 - a SQL expression
    if moderator:
        return Post.status.in_(("visible", "pending", "hidden", "deleted"))
    return or_(Post.status.in_(("visible", "hidden", "deleted")),
               and_(Post.status == "pending", Post.author_id == viewer.user_id))


def read_thread(viewer: Viewer, thread: Thread, *, page: int | None, now: datetime,
                last_page: bool = False) -> ThreadPage:
    """A page of a thread for the viewer, and the thread marked read up to now.

    Like ``courses.services.record_visit`` this page view records something: it writes (one
    commit) only when the thread has posts the reader has not seen, so reading a page
    again is not a write each time."""
    _check_thread_visible(viewer, thread)
    board = get_board(thread.board_key)
    moderator = can_moderate(viewer, thread.board_key)
    where = [Post.thread_id == thread.id, _posts_visible_to(viewer, moderator)]
    # One query for what the page needs to know first: how many posts the reader sees, how
    # far they had read, whether they follow the thread.
    total, read_at, following = db.session.execute(select(
        select(func.count()).select_from(Post).where(*where).scalar_subquery(),
        select(ThreadRead.read_at).where(ThreadRead.user_id == viewer.user_id,
                                         ThreadRead.thread_id == thread.id).scalar_subquery(),
        select(Follow.id).where(Follow.user_id == viewer.user_id,
                                Follow.thread_id == thread.id).exists())).one()
    total = total or 0
    if read_at is None or read_at < thread.last_post_at:
        # Recorded first: the commit expires the session's objects, so what the page shows is
        # loaded after it (once), not reloaded one by one while the page is drawn.
        _mark_read(viewer.user_id, thread.id, read_at, max(now, thread.last_post_at))
        db.session.commit()
    if page is None and read_at is not None:
        # Open at the page holding the first new post.
        before = db.session.scalar(select(func.count()).select_from(Post).where(
            *where, Post.created_at <= read_at)) or 0
        page = before // POSTS_PER_PAGE + 1
    info = rules.page_info(None if last_page else page, POSTS_PER_PAGE, total)
    if last_page:
        info = rules.page_info(info.pages, POSTS_PER_PAGE, total)
    # The page's posts with their authors and whether the reader liked each: one query.
    liked = select(PostLike.post_id).where(PostLike.user_id == viewer.user_id,
                                           PostLike.post_id == Post.id).exists()
    rows = db.session.execute(
        select(Post, liked).where(*where).options(joinedload(Post.author))
        .order_by(Post.created_at, Post.id).offset(info.offset).limit(info.per_page)).all()
    posts = [p for p, _ in rows]
    views = _post_views(viewer, board, posts, {p.id for p, on in rows if on},
                        moderator=moderator, read_at=read_at)
    new_count = sum(1 for v in views if read_at is not None and v.post.created_at > read_at)
    return ThreadPage(board, thread, views, info, moderator, bool(following), read_at,
                      new_count)


def _mark_read(user_id: int, thread_id: int, read_at: datetime | None, now: datetime) -> None:
    row = db.session.get(ThreadRead, (user_id, thread_id)) if read_at is not None else None
    if row is None:
        db.session.merge(ThreadRead(user_id=user_id, thread_id=thread_id, read_at=now))
    else:
        row.read_at = max(row.read_at, now)


def _post_views(viewer: Viewer, board: Board, posts: list[Post], liked: set[int], *,
                moderator: bool, read_at: datetime | None) -> list[PostView]:
    mentioned = {i for p in posts for i in rules.mentioned_ids(p.body)}
    endorsers = {p.endorsed_by_id for p in posts if p.endorsed_by_id}
    # Mentioned members and endorsers: one query for their names (and the mentioned members'
    # memberships in one more), whatever the number of posts.
    users = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_(mentioned | endorsers)))} if mentioned | endorsers else {}
    names = _visible_names(board.key, [users[i] for i in mentioned if i in users])
    endorser_names = {i: users[i].name for i in endorsers if i in users}
    cards = _item_cards({link for p in posts for link in rules.item_links(p.body)})
    views: list[PostView] = []
    marked = False
    for p in posts:
        mine = p.author_id == viewer.user_id
        author = rules.shown_author(p.author.name, anonymous=p.anonymous, is_self=mine,
                                    moderator=moderator)
        html: Markup | None = rules.render_post(p.body, names)
        placeholder = ""
        if p.status == "deleted":
            html, placeholder, author = None, "This post was deleted by its author.", "—"
        elif p.status == "hidden" and not moderator:
            html, placeholder = None, "This post was hidden by a moderator."
        is_new = read_at is not None and p.created_at > read_at and not marked and not mine
        marked = marked or is_new
        views.append(PostView(
            p, author, html, placeholder, p.id in liked, is_new,
            endorser_names.get(p.endorsed_by_id or 0, ""),
            [cards[link] for link in rules.item_links(p.body) if link in cards]
            if html is not None else [], mine))
    return views


def _mention_names(key: str, ids: set[int]) -> dict[int, str]:
    """Names of the mentioned members who can see the board (others stay plain text)."""
    if not ids:
        return {}
    return _visible_names(key, list(db.session.scalars(select(User).where(User.id.in_(ids)))))


def _visible_names(key: str, users: list[User]) -> dict[int, str]:
    if not users:
        return {}
    viewers = viewers_for(users)
    return {u.id: u.name for u in users if can_see(viewers[u.id], key)}


def _item_cards(links: set[tuple[str, str]]) -> dict[tuple[str, str], dict[str, str]]:
    """Titled cards for links to lessons and quizzes (one query for a page of posts)."""
    if not links:
        return {}
    rows = db.session.execute(
        select(Course.code, Course.title, Item.slug, Item.title, Item.kind)
        .join(Item, Item.course_id == Course.id)
        .where(Item.active, Item.audience == "learners",
               or_(*[and_(Course.code == code, Item.slug == slug) for code, slug in links])))
    return {(code, slug): {"course": course_title, "title": title, "kind": kind,
                           "url": f"/courses/{code}/items/{slug}"}
            for code, course_title, slug, title, kind in rows}


def quote_text(viewer: Viewer, post: Post) -> tuple[int, str]:
    """(post id, Markdown) that starts a reply quoting a post the viewer can read."""
    _check_thread_visible(viewer, post.thread)
    if post.status != "visible":
        raise NotFound("No such post.")
    moderator = can_moderate(viewer, post.thread.board_key)
    name = rules.shown_author(post.author.name, anonymous=post.anonymous,
                              is_self=False, moderator=False) if not moderator else (
        "Anonymous" if post.anonymous else post.author.name)
    return post.id, rules.quote(post.body, name)


# --- writing -------------------------------------------------------------------------------

def _check_may_post(user: User, now: datetime) -> None:
    suspended = db.session.scalar(select(func.max(Suspension.until)).where(
        Suspension.user_id == user.id, Suspension.until > now))
    if suspended is not None:
        raise PermissionDenied(
            f"You are suspended from posting until {suspended:%d %b %Y, %H:%M} UTC.")
    cfg = current_app.config
    created = user.created_at
    new_days = timedelta(days=cfg["COMMUNITY_NEW_ACCOUNT_DAYS"])
    if created is not None and user.role == "learner" and now - created < new_days:
        recent = db.session.scalar(select(func.count()).select_from(Post).where(
            Post.author_id == user.id, Post.created_at > now - timedelta(hours=1))) or 0
        if not rules.may_post_as_new_account(
                created, recent, now, new_days=cfg["COMMUNITY_NEW_ACCOUNT_DAYS"],
                per_hour=cfg["COMMUNITY_NEW_ACCOUNT_POSTS_PER_HOUR"]):
            raise PermissionDenied(
                "New accounts may post "
                f"{cfg['COMMUNITY_NEW_ACCOUNT_POSTS_PER_HOUR']} times an hour. "
                "Please wait a little before posting again.")


def _clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ValidationError("Write something first.")
    if len(body) > rules.MAX_BODY:
        raise ValidationError(f"Keep a post to {rules.MAX_BODY:,} characters.")
    return body


def _status_for(body: str, moderator: bool) -> str:
    if moderator:
        return "visible"
    return "pending" if rules.link_count(body) > current_app.config["COMMUNITY_MAX_LINKS"] \
        else "visible"


def _follow(user_id: int, thread_id: int, now: datetime) -> None:
    exists = db.session.scalar(select(Follow.id).where(
        Follow.user_id == user_id, Follow.thread_id == thread_id))
    if exists is None:
        db.session.add(Follow(user_id=user_id, thread_id=thread_id, created_at=now))


def create_thread(user: User, key: str, *, kind: str, title: str, body: str,
                  anonymous: bool, now: datetime) -> Thread:
    viewer = viewer_for(user)
    board = open_board(viewer, key)
    if kind not in ("discussion", "question"):
        raise ValidationError("Choose a discussion or a question.")
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError("Give the thread a title.")
    if len(title) > rules.MAX_TITLE:
        raise ValidationError(f"Keep the title to {rules.MAX_TITLE} characters.")
    body = _clean_body(body)
    if anonymous and not board.anonymous:
        raise ValidationError("This board does not allow anonymous posts.")
    _check_may_post(user, now)
    status = _status_for(body, can_moderate(viewer, key))
    thread = Thread(board_key=key, kind=kind, title=title, author_id=user.id,
                    anonymous=anonymous, created_at=now, last_post_at=now,
                    listed=status == "visible")
    db.session.add(thread)
    db.session.flush()
    post = Post(thread_id=thread.id, author_id=user.id, body=body, anonymous=anonymous,
                is_opening=True, status=status, created_at=now)
    db.session.add(post)
    db.session.flush()
    _follow(user.id, thread.id, now)
    db.session.merge(ThreadRead(user_id=user.id, thread_id=thread.id, read_at=now))
    if status == "visible":
        _announce(post, thread, now)
    db.session.commit()
    return thread


def reply(user: User, thread: Thread, *, body: str, anonymous: bool, quote_of_id: int | None,
          now: datetime) -> Post:
    viewer = viewer_for(user)
    _check_thread_visible(viewer, thread)
    board = get_board(thread.board_key)
    moderator = can_moderate(viewer, thread.board_key)
    if thread.locked and not moderator:
        raise PermissionDenied("This thread is locked: no new replies.")
    body = _clean_body(body)
    if anonymous and not board.anonymous:
        raise ValidationError("This board does not allow anonymous posts.")
    if quote_of_id is not None and db.session.scalar(select(Post.id).where(
            Post.id == quote_of_id, Post.thread_id == thread.id)) is None:
        quote_of_id = None
    _check_may_post(user, now)
    status = _status_for(body, moderator)
    post = Post(thread_id=thread.id, author_id=user.id, body=body, anonymous=anonymous,
                status=status, quote_of_id=quote_of_id, created_at=now)
    db.session.add(post)
    db.session.flush()
    _follow(user.id, thread.id, now)
    if status == "visible":
        _publish_reply(post, thread, now)
    _mark_read(user.id, thread.id, db.session.scalar(select(ThreadRead.read_at).where(
        ThreadRead.user_id == user.id, ThreadRead.thread_id == thread.id)), now)
    db.session.commit()
    return post


def _publish_reply(post: Post, thread: Thread, now: datetime) -> None:
    thread.reply_count = Thread.reply_count + 1
    thread.last_post_at = now
    db.session.flush()
    _announce(post, thread, now)


def _announce(post: Post, thread: Thread, now: datetime) -> None:
    """Notify a post that has become visible: the mentioned (who can see the board: they follow
    the thread from now on) and the thread's (or, for a new thread, the board's) followers."""
    key = thread.board_key
    author_id = post.author_id
    mentioned = set(_mention_names(key, set(rules.mentioned_ids(post.body)))) - {author_id}
    for user_id in mentioned:
        _follow(user_id, thread.id, now)
    url = f"/community/threads/{thread.id}#post-{post.id}"
    who = "Someone" if post.anonymous else post.author.name if post.author else "Someone"
    if mentioned:
        _notify(sorted(mentioned), "mention", f"{who} mentioned you in “{thread.title}”",
                url, key, f"mention:{post.id}", now)
    if post.is_opening:
        followers = set(db.session.scalars(select(Follow.user_id).where(Follow.board_key == key)))
    else:
        followers = set(db.session.scalars(select(Follow.user_id).where(
            Follow.thread_id == thread.id)))
    followers -= mentioned | {author_id}
    if followers:
        _notify(sorted(followers), "reply", f"{who} posted in “{thread.title}”", url, key,
                f"reply:{post.id}", now)


def edit_post(user: User, post: Post, *, body: str, now: datetime) -> Post:
    """The author edits their post; the text it replaces is kept (staff see the history)."""
    viewer = viewer_for(user)
    _check_thread_visible(viewer, post.thread)
    if post.author_id != user.id:
        raise PermissionDenied("Only the author may edit a post.")
    if post.status in ("deleted", "hidden"):
        raise PermissionDenied("This post can no longer be edited.")
    body = _clean_body(body)
    _check_may_post(user, now)
    if body == post.body:
        return post
    db.session.add(PostRevision(post_id=post.id, body=post.body, created_at=now,
                                editor_id=user.id))
    post.body = body
    post.edited_at = now
    if post.status == "visible" and _status_for(
            body, can_moderate(viewer, post.thread.board_key)) == "pending":
        _set_status(post, "pending")
    db.session.commit()
    return post


def post_history(viewer: Viewer, post: Post) -> list[PostRevision]:
    """The earlier texts of a post, newest first (moderators of its board only)."""
    if not can_moderate(viewer, post.thread.board_key):
        raise NotFound("No such post.")
    return list(db.session.scalars(select(PostRevision).where(PostRevision.post_id == post.id)
                                   .order_by(PostRevision.created_at.desc(),
                                             PostRevision.id.desc())))


def _set_status(post: Post, status: str) -> None:
    """Change a post's status, keeping its thread's reply count and listing in step."""
    thread = post.thread
    was_visible = post.status == "visible"
    post.status = status
    if post.is_opening:
        thread.listed = status in ("visible", "deleted")
    elif was_visible != (status == "visible"):
        thread.reply_count = Thread.reply_count + (1 if status == "visible" else -1)
    db.session.flush()


def delete_post(user: User, post: Post, now: datetime) -> None:
    """Soft delete by the author: a placeholder keeps the thread readable."""
    viewer = viewer_for(user)
    _check_thread_visible(viewer, post.thread)
    if post.author_id != user.id:
        raise PermissionDenied("Only the author may delete a post.")
    if post.status == "deleted":
        return
    _set_status(post, "deleted")
    post.accepted = False
    db.session.commit()


def toggle_like(user: User, post: Post, now: datetime) -> bool:
    """Like a post, or take the like back. True when the post is now liked."""
    viewer = viewer_for(user)
    _check_thread_visible(viewer, post.thread)
    if post.status != "visible":
        raise ValidationError("Only visible posts can be liked.")
    if post.author_id == user.id:
        raise ValidationError("You cannot like your own post.")
    existing = db.session.get(PostLike, (post.id, user.id))
    if existing is None:
        db.session.add(PostLike(post_id=post.id, user_id=user.id, created_at=now))
        post.like_count = Post.like_count + 1
    else:
        db.session.delete(existing)
        post.like_count = Post.like_count - 1
    db.session.commit()
    return existing is None


def _recount_answered(thread: Thread) -> None:
    db.session.flush()
    thread.answered = db.session.scalar(select(Post.id).where(
        Post.thread_id == thread.id, Post.status == "visible", ~Post.is_opening,
        or_(Post.accepted, Post.endorsed_by_id.is_not(None))).limit(1)) is not None


def endorse(user: User, post: Post, now: datetime) -> bool:
    """Instructors and facilitators (the board's moderators) endorse an answer, or take the
    endorsement back. True when endorsed now."""
    viewer = viewer_for(user)
    thread = post.thread
    _check_thread_visible(viewer, thread)
    if not can_moderate(viewer, thread.board_key):
        raise PermissionDenied("Only instructors and facilitators endorse answers.")
    if post.is_opening or post.status != "visible":
        raise ValidationError("Only a visible reply can be endorsed.")
    endorsed = post.endorsed_by_id is None
    post.endorsed_by_id = user.id if endorsed else None
    _recount_answered(thread)
    if endorsed and post.author_id != user.id:
        _notify([post.author_id], "endorsed", f"{user.name} endorsed your answer in "
                f"“{thread.title}”", f"/community/threads/{thread.id}#post-{post.id}",
                thread.board_key, f"endorsed:{post.id}", now)
    db.session.commit()
    return endorsed


def accept(user: User, post: Post, now: datetime) -> bool:
    """The asker marks one reply as the accepted answer (again: takes it back)."""
    viewer = viewer_for(user)
    thread = post.thread
    _check_thread_visible(viewer, thread)
    if thread.author_id != user.id:
        raise PermissionDenied("Only the person who asked accepts an answer.")
    if thread.kind != "question":
        raise ValidationError("Only a question has an accepted answer.")
    if post.is_opening or post.status != "visible":
        raise ValidationError("Only a visible reply can be accepted.")
    accepted = not post.accepted
    db.session.execute(update(Post).where(Post.thread_id == thread.id, Post.accepted)
                       .values(accepted=False))
    db.session.refresh(post)
    post.accepted = accepted
    _recount_answered(thread)
    if accepted and post.author_id != user.id:
        _notify([post.author_id], "accepted", f"Your answer was accepted in “{thread.title}”",
                f"/community/threads/{thread.id}#post-{post.id}", thread.board_key,
                f"accepted:{post.id}", now)
    db.session.commit()
    return accepted


def _log(actor: User, action: str, key: str, now: datetime, *, post: Post | None = None,
         thread: Thread | None = None, target_user_id: int | None = None, note: str = "",
         until: datetime | None = None) -> None:
    db.session.add(ModerationAction(
        actor_id=actor.id, action=action, board_key=key, post_id=post.id if post else None,
        thread_id=thread.id if thread else (post.thread_id if post else None),
        target_user_id=target_user_id, note=note, until=until, created_at=now))


def set_thread_flag(user: User, thread: Thread, what: str, on: bool, now: datetime) -> None:
    """Staff pin (to the top of the board) and lock (no new replies) threads."""
    viewer = viewer_for(user)
    _check_thread_visible(viewer, thread)
    if not can_moderate(viewer, thread.board_key):
        raise PermissionDenied("Only the board's moderators pin and lock threads.")
    if what not in ("pin", "lock"):
        raise ValidationError("Unknown action.")
    if what == "pin":
        thread.pinned = on
    else:
        thread.locked = on
    _log(user, what if on else f"un{what}", thread.board_key, now, thread=thread)
    db.session.commit()


def follow_thread(user: User, thread: Thread, on: bool, now: datetime) -> None:
    _check_thread_visible(viewer_for(user), thread)
    existing = db.session.scalar(select(Follow).where(Follow.user_id == user.id,
                                                      Follow.thread_id == thread.id))
    if on and existing is None:
        db.session.add(Follow(user_id=user.id, thread_id=thread.id, created_at=now))
    elif not on and existing is not None:
        db.session.delete(existing)
    db.session.commit()


def follows_board(viewer: Viewer, key: str) -> bool:
    return db.session.scalar(select(Follow.id).where(
        Follow.user_id == viewer.user_id, Follow.board_key == key)) is not None


def follow_board(user: User, key: str, on: bool, now: datetime) -> None:
    open_board(viewer_for(user), key)
    existing = db.session.scalar(select(Follow).where(Follow.user_id == user.id,
                                                      Follow.board_key == key))
    if on and existing is None:
        db.session.add(Follow(user_id=user.id, board_key=key, created_at=now))
    elif not on and existing is not None:
        db.session.delete(existing)
    db.session.commit()


# --- moderation ----------------------------------------------------------------------------

def flag(user: User, post: Post, reason: str, now: datetime) -> Flag:
    viewer = viewer_for(user)
    _check_thread_visible(viewer, post.thread)
    if post.status not in ("visible", "pending"):
        raise ValidationError("This post is no longer shown.")
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError("Say why this post should be looked at.")
    if len(reason) > rules.MAX_REASON:
        raise ValidationError(f"Keep the reason to {rules.MAX_REASON} characters.")
    if db.session.scalar(select(Flag.id).where(Flag.post_id == post.id,
                                               Flag.user_id == user.id,
                                               Flag.resolved_at.is_(None))) is not None:
        raise Conflict("You have already flagged this post; a moderator will look at it.")
    existing = db.session.scalar(select(Flag).where(Flag.post_id == post.id,
                                                    Flag.user_id == user.id))
    if existing is not None:  # flagged before and resolved: a new report reopens it
        existing.reason, existing.created_at, existing.resolved_at = reason, now, None
        row = existing
    else:
        row = Flag(post_id=post.id, user_id=user.id, reason=reason, created_at=now)
        db.session.add(row)
    db.session.commit()
    return row


@dataclass
class QueueEntry:
    post: Post
    board: str
    author: str
    reasons: list[tuple[str, str]]  # (who flagged, why)
    html: Markup


def moderates_any(viewer: Viewer) -> bool:
    return viewer.staff or viewer.role == "instructor" or bool(viewer.facilitating)


def moderation_queue(viewer: Viewer, page: int | None = 1) -> tuple[list[QueueEntry],
                                                                     rules.PageInfo]:
    """Posts waiting for a moderator of a board the viewer moderates: flagged (open flags) or
    held for approval (too many links). Oldest first."""
    if not moderates_any(viewer):
        raise PermissionDenied("Only moderators see the queue.")
    open_flag = select(Flag.id).where(Flag.post_id == Post.id, Flag.resolved_at.is_(None))
    where = [moderation_filter(viewer, Thread.board_key),
             or_(Post.status == "pending", and_(Post.status == "visible", open_flag.exists()))]
    base = select(Post).join(Thread, Thread.id == Post.thread_id).where(*where)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    info = rules.page_info(page, QUEUE_PER_PAGE, total)
    posts = list(db.session.scalars(base.options(selectinload(Post.author),
                                                 selectinload(Post.thread))
                                    .order_by(Post.created_at, Post.id)
                                    .offset(info.offset).limit(info.per_page)))
    flags: dict[int, list[tuple[str, str]]] = {}
    if posts:
        for post_id, name, reason in db.session.execute(
                select(Flag.post_id, User.name, Flag.reason).join(User, User.id == Flag.user_id)
                .where(Flag.post_id.in_([p.id for p in posts]), Flag.resolved_at.is_(None))
                .order_by(Flag.created_at)):
            flags.setdefault(post_id, []).append((name, reason))
    titles = _board_titles({p.thread.board_key for p in posts})
    return [QueueEntry(p, titles.get(p.thread.board_key, p.thread.board_key),
                       p.author.name + (" (anonymous to peers)" if p.anonymous else ""),
                       flags.get(p.id, []), rules.render_post(p.body, {}))
            for p in posts], info


def _board_titles(keys: set[str]) -> dict[str, str]:
    course_ids = [int(k.split(":")[1]) for k in keys if k.startswith("course:")]
    cohort_ids = [int(k.split(":")[1]) for k in keys if k.startswith("cohort:")]
    titles = {f"network:{c['slug']}": c["name"] for c in categories()}
    if course_ids:
        titles.update({f"course:{i}": t for i, t in db.session.execute(
            select(Course.id, Course.title).where(Course.id.in_(course_ids)))})
    if cohort_ids:
        titles.update({f"cohort:{i}": n for i, n in db.session.execute(
            select(Cohort.id, Cohort.name).where(Cohort.id.in_(cohort_ids)))})
    return titles


def moderate(actor: User, post: Post, action: str, note: str, now: datetime) -> None:
    """hide / restore / approve / dismiss (the flags, leaving the post as it is); the post's
    open flags are resolved and the action is logged."""
    viewer = viewer_for(actor)
    thread = post.thread
    if not can_moderate(viewer, thread.board_key):
        raise NotFound("No such post.")
    note = (note or "").strip()[:2000]
    if action == "hide":
        if post.status == "deleted":
            raise ValidationError("The author has deleted this post already.")
        _set_status(post, "hidden")
    elif action in ("restore", "approve"):
        if post.status not in ("hidden", "pending"):
            raise ValidationError("This post is shown already.")
        was_pending = post.status == "pending"
        _set_status(post, "visible")
        if was_pending:
            if post.is_opening:
                thread.last_post_at = max(thread.last_post_at, post.created_at)
            else:
                thread.last_post_at = max(thread.last_post_at, now)
            _announce(post, thread, now)
    elif action != "dismiss":
        raise ValidationError("Unknown action.")
    _recount_answered(thread)
    db.session.execute(update(Flag).where(Flag.post_id == post.id, Flag.resolved_at.is_(None))
                       .values(resolved_at=now))
    _log(actor, action, thread.board_key, now, post=post, target_user_id=post.author_id,
         note=note)
    db.session.commit()


def warn(actor: User, post: Post, message: str, now: datetime) -> None:
    """Send the post's author a message from the moderators (by e-mail), logged."""
    viewer = viewer_for(actor)
    thread = post.thread
    if not can_moderate(viewer, thread.board_key):
        raise NotFound("No such post.")
    message = (message or "").strip()
    if not message:
        raise ValidationError("Write the message the author will receive.")
    if len(message) > 2000:
        raise ValidationError("Keep the message to 2,000 characters.")
    mail.queue(post.author.email, "A note from the discussion board's moderators",
               f"Hello {post.author.name},\n\nA moderator wrote to you about your post in "
               f"\u201c{thread.title}\u201d:\n\n{message}\n\nJust Communities AP", now)
    _log(actor, "warn", thread.board_key, now, post=post, target_user_id=post.author_id,
         note=message)
    db.session.commit()


def suspend(actor: User, post: Post, days: int, reason: str, now: datetime) -> Suspension:
    """Suspend a post's author from posting (anywhere) for a number of days, logged."""
    viewer = viewer_for(actor)
    thread = post.thread
    if not can_moderate(viewer, thread.board_key):
        raise NotFound("No such post.")
    if not 1 <= days <= 365:
        raise ValidationError("Suspend for 1 to 365 days.")
    if post.author_id == actor.id:
        raise ValidationError("You cannot suspend yourself.")
    if post.author.role in STAFF_ROLES:
        raise PermissionDenied("Registrars and admins cannot be suspended here.")
    reason = (reason or "").strip()[:2000]
    until = now + timedelta(days=days)
    row = Suspension(user_id=post.author_id, until=until, reason=reason,
                     created_by_id=actor.id, created_at=now)
    db.session.add(row)
    mail.queue(post.author.email, "You are suspended from posting on the boards",
               f"Hello {post.author.name},\n\nA moderator suspended you from posting on the "
               f"discussion boards until {until:%d %b %Y, %H:%M} UTC."
               + (f"\n\nReason: {reason}" if reason else "") + "\n\nJust Communities AP", now)
    _log(actor, "suspend", thread.board_key, now, post=post, target_user_id=post.author_id,
         note=reason, until=until)
    db.session.commit()
    return row


def moderation_log(viewer: Viewer, page: int | None = 1) -> tuple[list[ModerationAction],
                                                                   rules.PageInfo]:
    if not moderates_any(viewer):
        raise PermissionDenied("Only moderators see the log.")
    where = [moderation_filter(viewer, ModerationAction.board_key)]
    total = db.session.scalar(select(func.count()).select_from(ModerationAction)
                              .where(*where)) or 0
    info = rules.page_info(page, QUEUE_PER_PAGE, total)
    rows = list(db.session.scalars(
        select(ModerationAction).where(*where)
        .options(selectinload(ModerationAction.actor), selectinload(ModerationAction.target_user))
        .order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc())
        .offset(info.offset).limit(info.per_page)))
    return rows, info


# --- mentions ------------------------------------------------------------------------------

def mention_suggestions(viewer: Viewer, key: str, prefix: str, limit: int = 8) -> list[dict]:
    """Members who can see the board whose name starts with (or has a word starting with) the
    prefix: never anyone else (each candidate is checked by the one visibility rule)."""
    open_board(viewer, key)
    prefix = " ".join((prefix or "").split())[:60].lower()
    if not prefix:
        return []
    ref = parse_key(key)
    assert ref is not None  # open_board checked it
    like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = select(User).where(User.active, or_(
        func.lower(User.name).like(f"{like}%", escape="\\"),
        func.lower(User.name).like(f"% {like}%", escape="\\")))
    staff = User.role.in_(STAFF_ROLES)
    if ref.kind == "course":
        stmt = stmt.where(or_(staff, User.id.in_(select(Enrolment.user_id).where(
            Enrolment.course_id == ref.ident)), func.lower(User.email).in_(
            select(func.lower(CourseInstructor.email)).where(
                CourseInstructor.course_id == ref.ident))))
    elif ref.kind == "cohort":
        stmt = stmt.where(or_(staff, User.id.in_(select(CohortMember.user_id).where(
            CohortMember.cohort_id == ref.ident))))
    users = list(db.session.scalars(stmt.order_by(User.name, User.id).limit(limit * 2)))
    viewers = viewers_for(users)
    return [{"id": u.id, "name": u.name, "handle": rules.handle(u.name, u.id)}
            for u in users if u.id != viewer.user_id and can_see(viewers[u.id], key)][:limit]


# --- participation -------------------------------------------------------------------------

@dataclass
class MemberStats:
    user_id: int
    name: str
    threads: int = 0
    replies: int = 0
    endorsements: int = 0
    accepted: int = 0


@dataclass
class BoardStats:
    board: Board
    members: list[MemberStats]
    weeks: list[tuple[datetime, int, int]]  # (week start, threads, replies)


def board_stats(viewer: Viewer, key: str, now: datetime, weeks: int = 12) -> BoardStats:
    """Per member: threads started, replies, endorsements received and accepted answers (all
    visible posts); per week over the last ``weeks`` weeks: threads and replies."""
    board = open_board(viewer, key)
    if not can_moderate(viewer, key):
        raise PermissionDenied("Participation statistics are for the board's facilitators.")
    rows = db.session.execute(
        select(Post.author_id, User.name,
               func.sum(cast(Post.is_opening, Integer)),
               func.sum(cast(~Post.is_opening, Integer)),
               func.count(Post.endorsed_by_id),
               func.sum(cast(Post.accepted, Integer)))
        .join(Thread, Thread.id == Post.thread_id).join(User, User.id == Post.author_id)
        .where(Thread.board_key == key, Post.status == "visible")
        .group_by(Post.author_id, User.name).order_by(User.name))
    members = [MemberStats(uid, name, int(t or 0), int(r or 0), int(e or 0), int(a or 0))
               for uid, name, t, r, e, a in rows]
    start = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0,
                                                          microsecond=0)
    start -= timedelta(weeks=weeks - 1)
    threads, replies = [0] * weeks, [0] * weeks
    for created, opening in db.session.execute(
            select(Post.created_at, Post.is_opening).join(Thread, Thread.id == Post.thread_id)
            .where(Thread.board_key == key, Post.status == "visible", Post.created_at >= start)):
        index = min(weeks - 1, max(0, (created - start).days // 7))
        (threads if opening else replies)[index] += 1
    return BoardStats(board, members, [(start + timedelta(weeks=i), threads[i], replies[i])
                                       for i in range(weeks)])


def stats_csv_rows(stats: BoardStats) -> list[list[Any]]:
    rows: list[list[Any]] = [["member", "threads", "replies", "endorsements", "accepted answers"]]
    rows += [[m.name, m.threads, m.replies, m.endorsements, m.accepted] for m in stats.members]
    return rows
