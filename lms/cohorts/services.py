"""Cohort rules: create, edit, add and remove members (by e-mail or an invitation link),
facilitators, the member filter for reports, and who belongs where (for the boards).

Each function that changes data owns its unit of work (one commit) and raises `lms.errors`
exceptions whose text is fit to show; on an error nothing is changed.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from lms.auth.models import User
from lms.cohorts.models import MEMBER_ROLES, Cohort, CohortInvite, CohortMember
from lms.errors import Conflict, DomainError, NotFound, ValidationError
from lms.extensions import db
from lms.text import slugify

MAX_NAME = 120
MAX_REGION = 120
#: Invitation links live this many days unless staff choose otherwise (at most MAX_INVITE_DAYS).
INVITE_DAYS = 14
MAX_INVITE_DAYS = 365


class InviteClosed(DomainError):
    """The invitation link was revoked or has expired (the text says which)."""


@dataclass(frozen=True)
class CohortDetails:
    """What a cohort is for: a course (None: the whole programme), a region and its dates."""

    course_id: int | None = None
    region: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
_SPLIT_RE = re.compile(r"[\s,;]+")


def list_cohorts() -> list[tuple[Cohort, int]]:
    """Every cohort with its member count, by name (one query)."""
    counts = (select(CohortMember.cohort_id, func.count().label("n"))
              .group_by(CohortMember.cohort_id).subquery())
    rows = db.session.execute(
        select(Cohort, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.cohort_id == Cohort.id).order_by(Cohort.name))
    return [(cohort, n) for cohort, n in rows]


def _course_model():
    """The Course class, reached through Cohort.course: cohorts sit below courses and name
    the table, never import it."""
    return Cohort.course.property.mapper.class_


def course_choices() -> list[tuple[int, str]]:
    """(id, "CODE: title") of every course, by code, for the cohort form."""
    course = _course_model()
    return [(cid, f"{code}: {title}") for cid, code, title in db.session.execute(
        select(course.id, course.code, course.title).order_by(course.code))]


def course_labels(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    course = _course_model()
    return {cid: f"{code}: {title}" for cid, code, title in db.session.execute(
        select(course.id, course.code, course.title).where(course.id.in_(ids)))}


def cohort_choices() -> list[tuple[str, str]]:
    return [(c.slug, c.name) for c in db.session.scalars(select(Cohort).order_by(Cohort.name))]


def get_cohort(slug: str) -> Cohort:
    cohort = db.session.scalar(select(Cohort).where(Cohort.slug == slug))
    if cohort is None:
        raise NotFound("No such cohort.")
    return cohort


def members(cohort: Cohort) -> list[CohortMember]:
    return list(db.session.scalars(
        select(CohortMember).where(CohortMember.cohort_id == cohort.id)
        .join(User, User.id == CohortMember.user_id).order_by(User.name, User.id)
        .options(selectinload(CohortMember.user))))


def member_ids(cohort: Cohort) -> Select:
    """A subquery of the cohort's user ids, for filtering other features' queries."""
    return select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)


def _clean(name: str, description: str) -> tuple[str, str, str]:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("Give the cohort a name.")
    if len(name) > MAX_NAME:
        raise ValidationError(f"Keep the name to {MAX_NAME} characters.")
    slug = slugify(name)
    if not slug:
        raise ValidationError("The name needs at least one letter or digit.")
    return name, slug, (description or "").strip()


def _check_unique(name: str, slug: str, exclude: int | None = None) -> None:
    stmt = select(Cohort).where((func.lower(Cohort.name) == name.lower()) | (Cohort.slug == slug))
    if exclude is not None:
        stmt = stmt.where(Cohort.id != exclude)
    if db.session.scalar(stmt) is not None:
        raise Conflict(f"A cohort called \u201c{name}\u201d already exists.")


def _clean_details(details: CohortDetails) -> CohortDetails:
    region = " ".join((details.region or "").split())
    if len(region) > MAX_REGION:
        raise ValidationError(f"Keep the region to {MAX_REGION} characters.")
    if details.starts_on and details.ends_on and details.ends_on < details.starts_on:
        raise ValidationError("The cohort cannot end before it starts.")
    if details.course_id is not None:
        course = _course_model()
        if db.session.get(course, details.course_id) is None:
            raise ValidationError("That course does not exist.")
    return CohortDetails(details.course_id, region, details.starts_on, details.ends_on)


def _apply_details(cohort: Cohort, details: CohortDetails) -> None:
    cohort.course_id, cohort.region = details.course_id, details.region
    cohort.starts_on, cohort.ends_on = details.starts_on, details.ends_on


def create_cohort(name: str, description: str, *, actor: User | None, now: datetime,
                  details: CohortDetails | None = None) -> Cohort:
    name, slug, description = _clean(name, description)
    _check_unique(name, slug)
    details = _clean_details(details or CohortDetails())
    cohort = Cohort(name=name, slug=slug, description=description, created_at=now,
                    created_by_id=actor.id if actor else None)
    _apply_details(cohort, details)
    db.session.add(cohort)
    db.session.commit()
    return cohort


def update_cohort(cohort: Cohort, name: str, description: str,
                  details: CohortDetails | None = None) -> Cohort:
    name, slug, description = _clean(name, description)
    _check_unique(name, slug, exclude=cohort.id)
    if details is not None:
        _apply_details(cohort, _clean_details(details))
    cohort.name, cohort.slug, cohort.description = name, slug, description
    db.session.commit()
    return cohort


def add_members(cohort: Cohort, emails_text: str, *, now: datetime,
                role: str = "member") -> tuple[list[User], list[User]]:
    """Add people by e-mail (one per line, or separated by commas or spaces), as members or
    as facilitators (a member already there is made a facilitator when `role` says so).

    Returns (added, already members). Any unknown address refuses the whole batch, naming
    every unknown one, so a typo never half-applies a list.
    """
    if role not in MEMBER_ROLES:
        raise ValidationError("Choose member or facilitator.")
    wanted = [e.lower() for e in _SPLIT_RE.split(emails_text or "") if e]
    if not wanted:
        raise ValidationError("List at least one e-mail address.")
    wanted = list(dict.fromkeys(wanted))
    malformed = [e for e in wanted if "@" not in e.strip("@")]
    if malformed:
        raise ValidationError("These are not e-mail addresses: " + ", ".join(malformed)
                              + ". Nobody was added; list one address per line.")
    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(wanted)))}
    unknown = [e for e in wanted if e not in users]
    if unknown:
        raise ValidationError(("No account has the address " if len(unknown) == 1 else
                               "No accounts have the addresses ") + ", ".join(unknown)
                              + ". Nobody was added; correct the list and try again.")
    ids = [u.id for u in users.values()]
    present = {m.user_id: m for m in db.session.scalars(
        select(CohortMember).where(CohortMember.cohort_id == cohort.id,
                                   CohortMember.user_id.in_(ids)))}
    added, already = [], []
    for email in wanted:
        user = users[email]
        if user.id in present:
            already.append(user)
            if role == "facilitator":
                present[user.id].role = role
        else:
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, added_at=now,
                                        role=role))
            added.append(user)
    db.session.commit()
    return added, already


def remove_member(cohort: Cohort, user_id: int) -> User:
    member = db.session.get(CohortMember, (cohort.id, user_id))
    if member is None:
        raise NotFound("That person is not in this cohort.")
    user = member.user
    db.session.delete(member)
    db.session.commit()
    return user


def delete_cohort(cohort: Cohort) -> None:
    db.session.delete(cohort)
    db.session.commit()


def set_role(cohort: Cohort, user_id: int, role: str) -> CohortMember:
    """Make a member a facilitator, or a facilitator a plain member again."""
    if role not in MEMBER_ROLES:
        raise ValidationError("Choose member or facilitator.")
    member = db.session.get(CohortMember, (cohort.id, user_id))
    if member is None:
        raise NotFound("That person is not in this cohort.")
    member.role = role
    db.session.commit()
    return member


# ---------------------------------------------------------------- invitation links


def invites(cohort: Cohort) -> list[CohortInvite]:
    """The cohort's invitation links, newest first."""
    return list(db.session.scalars(
        select(CohortInvite).where(CohortInvite.cohort_id == cohort.id)
        .order_by(CohortInvite.created_at.desc(), CohortInvite.id.desc())))


def create_invite(cohort: Cohort, *, actor: User | None, now: datetime,
                  days: int = INVITE_DAYS) -> CohortInvite:
    """A new invitation link for the cohort, open for `days` days."""
    if not 1 <= days <= MAX_INVITE_DAYS:
        raise ValidationError(f"A link can stay open for 1 to {MAX_INVITE_DAYS} days.")
    invite = CohortInvite(cohort_id=cohort.id, token=secrets.token_urlsafe(24), created_at=now,
                          created_by_id=actor.id if actor else None,
                          expires_at=now + timedelta(days=days))
    db.session.add(invite)
    db.session.commit()
    return invite


def revoke_invite(cohort: Cohort, invite_id: int, now: datetime) -> CohortInvite:
    """Close a link at once (revoking twice keeps the first time)."""
    invite = db.session.get(CohortInvite, invite_id)
    if invite is None or invite.cohort_id != cohort.id:
        raise NotFound("No such invitation link.")
    if invite.revoked_at is None:
        invite.revoked_at = now
        db.session.commit()
    return invite


def get_invite(token: str) -> CohortInvite:
    """The invitation with this token (any state), or NotFound."""
    invite = None
    if token and len(token) <= 64:
        invite = db.session.scalar(select(CohortInvite).where(CohortInvite.token == token))
    if invite is None:
        raise NotFound("This invitation link is not valid. Check that you copied all of it, "
                       "or ask the person who sent it for a new one.")
    return invite


def check_invite_open(invite: CohortInvite, now: datetime) -> None:
    state = invite.state(now)
    if state == "revoked":
        raise InviteClosed(f"This invitation to \u201c{invite.cohort.name}\u201d was withdrawn. "
                           "Ask the programme staff for a new link.")
    if state == "expired":
        raise InviteClosed(f"This invitation to \u201c{invite.cohort.name}\u201d expired on "
                           f"{invite.expires_at:%d %b %Y}. Ask the programme staff for a new "
                           "link.")


def join_by_invite(token: str, user: User, now: datetime) -> tuple[Cohort, bool]:
    """Join the cohort of an open invitation; (cohort, True) when newly joined, False when
    already a member. Raises NotFound or InviteClosed."""
    invite = get_invite(token)
    check_invite_open(invite, now)
    cohort = invite.cohort
    if db.session.get(CohortMember, (cohort.id, user.id)) is not None:
        return cohort, False
    db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, added_at=now,
                                role="member"))
    invite.uses = CohortInvite.uses + 1
    db.session.commit()
    return cohort, True


# ---------------------------------------------------------------- who belongs where


def member_cohort_ids(user_id: int) -> set[int]:
    """Ids of every cohort the user belongs to (facilitators included). One query."""
    return set(db.session.scalars(
        select(CohortMember.cohort_id).where(CohortMember.user_id == user_id)))


def facilitator_cohort_ids(user_id: int) -> set[int]:
    """Ids of the cohorts the user facilitates. One query."""
    return set(db.session.scalars(
        select(CohortMember.cohort_id).where(CohortMember.user_id == user_id,
                                             CohortMember.role == "facilitator")))


@dataclass(frozen=True)
class MyCohort:
    cohort: Cohort
    role: str
    course_label: str | None
    facilitators: list[str]


def my_cohorts(user_id: int) -> list[MyCohort]:
    """The user's cohorts for the dashboard: course, region, dates and facilitators' names
    (three queries, whatever the number of cohorts)."""
    rows = db.session.execute(
        select(Cohort, CohortMember.role).join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.user_id == user_id)
        .order_by(Cohort.starts_on.desc(), Cohort.name)).all()
    if not rows:
        return []
    ids = [cohort.id for cohort, _ in rows]
    facilitators: dict[int, list[str]] = {}
    for cohort_id, name in db.session.execute(
            select(CohortMember.cohort_id, User.name).join(User, User.id == CohortMember.user_id)
            .where(CohortMember.cohort_id.in_(ids), CohortMember.role == "facilitator")
            .order_by(User.name)):
        facilitators.setdefault(cohort_id, []).append(name)
    labels = course_labels({c.course_id for c, _ in rows if c.course_id is not None})
    return [MyCohort(cohort, role, labels.get(cohort.course_id) if cohort.course_id else None,
                     facilitators.get(cohort.id, [])) for cohort, role in rows]
