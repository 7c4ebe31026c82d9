"""Cohort rules: create, rename, add and remove members, and the member filter for reports.

Each function that changes data owns its unit of work (one commit) and raises `lms.errors`
exceptions whose text is fit to show; on an error nothing is changed.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from lms.auth.models import User
from lms.cohorts.models import Cohort, CohortMember
from lms.errors import Conflict, NotFound, ValidationError
from lms.extensions import db
from lms.text import slugify

MAX_NAME = 120
_SPLIT_RE = re.compile(r"[\s,;]+")


def list_cohorts() -> list[tuple[Cohort, int]]:
    """Every cohort with its member count, by name (one query)."""
    counts = (select(CohortMember.cohort_id, func.count().label("n"))
              .group_by(CohortMember.cohort_id).subquery())
    rows = db.session.execute(
        select(Cohort, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.cohort_id == Cohort.id).order_by(Cohort.name))
    return [(cohort, n) for cohort, n in rows]


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


def create_cohort(name: str, description: str, *, actor: User | None, now: datetime) -> Cohort:
    name, slug, description = _clean(name, description)
    _check_unique(name, slug)
    cohort = Cohort(name=name, slug=slug, description=description, created_at=now,
                    created_by_id=actor.id if actor else None)
    db.session.add(cohort)
    db.session.commit()
    return cohort


def update_cohort(cohort: Cohort, name: str, description: str) -> Cohort:
    name, slug, description = _clean(name, description)
    _check_unique(name, slug, exclude=cohort.id)
    cohort.name, cohort.slug, cohort.description = name, slug, description
    db.session.commit()
    return cohort


def add_members(cohort: Cohort, emails_text: str, *,
                now: datetime) -> tuple[list[User], list[User]]:
    """Add people by e-mail (one per line, or separated by commas or spaces).

    Returns (added, already members). Any unknown address refuses the whole batch, naming
    every unknown one, so a typo never half-applies a list.
    """
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
    present = set(db.session.scalars(
        select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id,
                                           CohortMember.user_id.in_(ids))))
    added, already = [], []
    for email in wanted:
        user = users[email]
        if user.id in present:
            already.append(user)
        else:
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, added_at=now))
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
