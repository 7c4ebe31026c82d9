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

from sqlalchemy import ColumnElement, false, literal, or_, select, true, union_all
from sqlalchemy.orm import QueryableAttribute

from lms.auth.models import User
from lms.cohorts.models import CohortMember
from lms.courses.models import CourseInstructor, Enrolment
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


def _facilitated(user_ids: Iterable[int]) -> dict[int, set[int]]:
    """Cohorts each user facilitates (one query)."""
    found: dict[int, set[int]] = {}
    for user_id, cohort_id in db.session.execute(
            select(CohortMember.user_id, CohortMember.cohort_id).where(
                CohortMember.user_id.in_(list(user_ids)), CohortMember.role == "facilitator")):
        found.setdefault(user_id, set()).add(cohort_id)
    return found


def viewers_for(users: Iterable[User]) -> dict[int, Viewer]:
    """The viewers of many users in four queries, whatever their number."""
    users = list(users)
    ids = [u.id for u in users]
    if not ids:
        return {}
    enrolled: dict[int, set[int]] = {i: set() for i in ids}
    teaching: dict[int, set[int]] = {i: set() for i in ids}
    cohorts: dict[int, set[int]] = {i: set() for i in ids}
    for user_id, course_id in db.session.execute(
            select(Enrolment.user_id, Enrolment.course_id).where(Enrolment.user_id.in_(ids))):
        enrolled[user_id].add(course_id)
    by_email = {u.email.lower(): u.id for u in users}
    for email, course_id in db.session.execute(
            select(CourseInstructor.email, CourseInstructor.course_id)
            .where(CourseInstructor.email.in_(list(by_email)))):
        teaching[by_email[email.lower()]].add(course_id)
    for user_id, cohort_id in db.session.execute(
            select(CohortMember.user_id, CohortMember.cohort_id)
            .where(CohortMember.user_id.in_(ids))):
        cohorts[user_id].add(cohort_id)
    facilitating = _facilitated(ids)
    return {u.id: Viewer(u.id, u.role, bool(u.active), frozenset(enrolled[u.id]),
                         frozenset(teaching[u.id]), frozenset(cohorts[u.id]),
                         frozenset(facilitating.get(u.id, ()))) for u in users}


def viewer_for(user: User) -> Viewer:
    return viewers_for([user])[user.id]


def visible_pairs(pairs: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
    """The (user id, board key) pairs whose user may still see the board (for the bell and the
    digest: leaving a cohort removes its notifications at once).

    Asked on every page (the bell), so it loads only what these pairs can use: the users, then
    (one query, and only when a course or cohort board is among the keys) their memberships
    of just those courses and cohorts. The answer is :func:`can_see` over those viewers."""
    pairs = list(pairs)
    user_ids = {uid for uid, _key in pairs}
    if not user_ids:
        return set()
    users = db.session.execute(select(User.id, User.email, User.role, User.active)
                               .where(User.id.in_(user_ids))).all()
    boards: dict[str, set[int]] = {}  # kind -> the course or cohort ids the keys name
    for _uid, key in pairs:
        board = parse_key(key)
        if board is not None and board.kind != "network":
            boards.setdefault(board.kind, set()).add(board.ident)
    member: dict[int, dict[str, set[int]]] = {
        u.id: {"enrolled": set(), "teaching": set(), "cohorts": set(), "facilitating": set()}
        for u in users}
    ids = [u.id for u in users]
    by_email = {u.email.lower(): u.id for u in users}
    parts = []
    if boards.get("course"):
        courses = sorted(boards["course"])
        parts.append(select(literal("enrolled"), Enrolment.user_id, Enrolment.course_id)
                     .where(Enrolment.user_id.in_(ids), Enrolment.course_id.in_(courses)))
        parts.append(select(literal("teaching:") + CourseInstructor.email, literal(0),
                            CourseInstructor.course_id)
                     .where(CourseInstructor.email.in_(list(by_email)),
                            CourseInstructor.course_id.in_(courses)))
    if boards.get("cohort"):
        parts.append(select(literal("cohort:") + CohortMember.role, CohortMember.user_id,
                            CohortMember.cohort_id)
                     .where(CohortMember.user_id.in_(ids),
                            CohortMember.cohort_id.in_(sorted(boards["cohort"]))))
    if parts:
        for tag, user_id, ident in db.session.execute(union_all(*parts)):
            if tag == "enrolled":
                member[user_id]["enrolled"].add(ident)
            elif tag.startswith("teaching:"):
                owner = by_email.get(tag.removeprefix("teaching:").lower())
                if owner is not None:
                    member[owner]["teaching"].add(ident)
            else:
                member[user_id]["cohorts"].add(ident)
                if tag == "cohort:facilitator":
                    member[user_id]["facilitating"].add(ident)
    viewers = {u.id: Viewer(u.id, u.role, bool(u.active),
                            **{k: frozenset(v) for k, v in member[u.id].items()})
               for u in users}
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
