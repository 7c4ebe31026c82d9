"""THE one answer to "who may see which board" (and who moderates it).

Board keys: ``course:<id>`` (the course's enrolled learners and its instructors),
``cohort:<id>`` (the cohort's members and facilitators only: private even to other cohorts of
the same course), ``network:<category>`` (every signed-in member). Registrars and admins see
and moderate every board.

:func:`can_see` and :func:`can_moderate` are pure rules over a :class:`Viewer` (what a member
belongs to, loaded in one place by :func:`viewer_for`); every read path (board list, thread
page, search, mention suggestions, notifications and the digest through
:func:`visible_pairs`) asks them or filters by :func:`board_filter`, which says the same in SQL.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import (
    ColumnElement,
    bindparam,
    false,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.selectable import CompoundSelect

from lms.auth.models import User
from lms.cache import Watched
from lms.cohorts.models import Cohort, CohortMember
from lms.courses.models import Course, CourseInstructor, Enrolment
from lms.extensions import db

STAFF_ROLES = ("registrar", "admin")
#: A board-key column (a model's attribute or any string expression).
Column = ColumnElement[str] | QueryableAttribute[str]


@dataclass(frozen=True)
class BoardRef:
    kind: str  # course | cohort | network
    ref: str   # a course or cohort id (digits), or a network category slug

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.ref}"

    @property
    def ident(self) -> int:
        return int(self.ref)


def parse_key(key: str) -> BoardRef | None:
    """The board a key names, or None when it is malformed."""
    kind, _, ref = (key or "").partition(":")
    if kind in ("course", "cohort") and ref.isascii() and ref.isdigit() and len(ref) <= 10:
        return BoardRef(kind, str(int(ref)))
    if kind == "network" and ref and len(ref) <= 60 and ref.replace("-", "").isalnum() \
            and ref.isascii():
        return BoardRef(kind, ref)
    return None


@dataclass(frozen=True)
class Viewer:
    """What one member belongs to: all the visibility rules need to know."""

    user_id: int
    role: str = "learner"
    active: bool = True
    enrolled: frozenset[int] = field(default_factory=frozenset)      # course ids
    teaching: frozenset[int] = field(default_factory=frozenset)      # course ids
    cohorts: frozenset[int] = field(default_factory=frozenset)       # cohort ids (members)
    facilitating: frozenset[int] = field(default_factory=frozenset)  # cohort ids

    @property
    def staff(self) -> bool:
        return self.role in STAFF_ROLES


def can_see(viewer: Viewer, key: str) -> bool:
    board = parse_key(key)
    if board is None or not viewer.active:
        return False
    if viewer.staff:
        return True
    if board.kind == "network":
        return True
    if board.kind == "course":
        return board.ident in viewer.enrolled or board.ident in viewer.teaching
    return board.ident in viewer.cohorts or board.ident in viewer.facilitating


def can_moderate(viewer: Viewer, key: str) -> bool:
    """Facilitators (their cohorts), instructors (their courses; and the network boards),
    registrars and admins (everything) moderate: queue, hide, restore, warn, suspend, pin,
    lock, endorse."""
    board = parse_key(key)
    if board is None or not viewer.active:
        return False
    if viewer.staff:
        return True
    if board.kind == "network":
        return viewer.role == "instructor"
    if board.kind == "course":
        return board.ident in viewer.teaching
    return board.ident in viewer.facilitating


#: What many users belong to, as one UNION ALL, built once (a signed-in page asks for it).
_MEMBERSHIPS: CompoundSelect[Any] = union_all(
    select(literal("enrolled").label("what"), Enrolment.user_id.label("user_id"),
           null().label("email"), Enrolment.course_id.label("ref"))
    .where(Enrolment.user_id.in_(bindparam("ids", expanding=True))),
    select(literal("teaching"), null(), CourseInstructor.email, CourseInstructor.course_id)
    .where(CourseInstructor.email.in_(bindparam("emails", expanding=True))),
    select(CohortMember.role, CohortMember.user_id, null(), CohortMember.cohort_id)
    .where(CohortMember.user_id.in_(bindparam("ids", expanding=True))))


def _load_viewers(users: list[User]) -> dict[int, Viewer]:
    """The viewers of many users in ONE query (their enrolments, the courses they teach and
    their cohort memberships, as one UNION ALL), whatever their number."""
    ids = [u.id for u in users]
    enrolled: dict[int, set[int]] = {i: set() for i in ids}
    teaching: dict[int, set[int]] = {i: set() for i in ids}
    cohorts: dict[int, set[int]] = {i: set() for i in ids}
    facilitating: dict[int, set[int]] = {i: set() for i in ids}
    by_email = {u.email.lower(): u.id for u in users}
    for what, user_id, email, ref in db.session.execute(
            _MEMBERSHIPS, {"ids": ids, "emails": list(by_email)}):
        if what == "enrolled":
            enrolled[user_id].add(ref)
        elif what == "teaching":
            teaching[by_email[email.lower()]].add(ref)
        else:  # a cohort member (a facilitator is one too)
            cohorts[user_id].add(ref)
            if what == "facilitator":
                facilitating[user_id].add(ref)
    return {u.id: Viewer(u.id, u.role, bool(u.active), frozenset(enrolled[u.id]),
                         frozenset(teaching[u.id]), frozenset(cohorts[u.id]),
                         frozenset(facilitating[u.id])) for u in users}


_CACHE_KEY = "lms.community.viewer"

#: Seconds a member's viewer may be kept in a process: the bound for a membership changed
#: outside the app (psql, a restored backup), which nothing announces. Every change made
#: through the app (enrol, leave a cohort, an instructor added on import) shows at once.
VIEWER_CACHE_SECONDS = 30

#: The signed-in member's viewer, kept per process while none of the tables it is read from is
#: written (with Redis as the cache; lms.cache.Watched). Of enrolments only which user and
#: course count: the lesson page's visit record writes an enrolment's activity columns.
#: Cohorts and courses count too: deleting one removes its members, enrolments or instructors
#: through the database's cascade, which no session statement names. The user's own role,
#: active flag and e-mail are in the key.
_KEPT = Watched("viewer", {Enrolment.__tablename__, CourseInstructor.__tablename__,
                           CohortMember.__tablename__, Cohort.__tablename__,
                           Course.__tablename__},
                max_age=VIEWER_CACHE_SECONDS,
                columns={Enrolment.__tablename__: {Enrolment.user_id.key,
                                                   Enrolment.course_id.key}})


def _kept_viewer(user: User) -> Viewer:
    key = f"{user.id}:{user.role}:{int(bool(user.active))}:{user.email.lower()}"
    return _KEPT.fetch(key, lambda: _load_viewers([user])[user.id])


def _signed_in_id() -> int | None:
    if has_request_context() and current_user.is_authenticated:
        return int(current_user.id)
    return None


def viewers_for(users: Iterable[User]) -> dict[int, Viewer]:
    """The viewers of many users in one query, whatever their number."""
    users = list(users)
    if not users:
        return {}
    signed_in = _signed_in_id()
    if signed_in is not None and len(users) == 1 and users[0].id == signed_in:
        # A page asks for the signed-in member's viewer several times (the page, the bell):
        # loaded once per request (a new request loads afresh, so leaving a cohort still
        # removes access at once).
        cached = request.environ.get(_CACHE_KEY)
        if cached is None or cached.user_id != signed_in:
            cached = request.environ[_CACHE_KEY] = _kept_viewer(users[0])
        return {signed_in: cached}
    return _load_viewers(users)


def viewer_for(user: User) -> Viewer:
    return viewers_for([user])[user.id]


def visible_pairs(pairs: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
    """The (user id, board key) pairs whose user may still see the board (for the bell and the
    digest: leaving a cohort removes its notifications at once)."""
    user_ids = {uid for uid, _key in pairs}
    if not user_ids:
        return set()
    viewers: dict[int, Viewer] = {}
    signed_in = _signed_in_id()
    if signed_in in user_ids:  # the bell: the signed-in member, whose row is loaded already
        viewers[signed_in] = viewer_for(current_user)
        user_ids.discard(signed_in)
    if user_ids:
        users = db.session.scalars(select(User).where(User.id.in_(user_ids))).all()
        viewers.update(_load_viewers(list(users)))
    return {(uid, key) for uid, key in pairs if uid in viewers and can_see(viewers[uid], key)}


def board_filter(viewer: Viewer, column: Column) -> ColumnElement[bool]:
    """SQL over a board-key column that holds exactly where :func:`can_see` is true."""
    if not viewer.active:
        return false()
    if viewer.staff:
        return true()
    keys = [f"course:{i}" for i in sorted(viewer.enrolled | viewer.teaching)]
    keys += [f"cohort:{i}" for i in sorted(viewer.cohorts | viewer.facilitating)]
    return or_(column.like("network:%"), column.in_(keys) if keys else false())


def moderation_filter(viewer: Viewer, column: Column) -> ColumnElement[bool]:
    """SQL over a board-key column that holds exactly where :func:`can_moderate` is true."""
    if not viewer.active:
        return false()
    if viewer.staff:
        return true()
    keys = [f"course:{i}" for i in sorted(viewer.teaching)]
    keys += [f"cohort:{i}" for i in sorted(viewer.facilitating)]
    clauses = [column.in_(keys)] if keys else []
    if viewer.role == "instructor":
        clauses.append(column.like("network:%"))
    return or_(*clauses) if clauses else false()
