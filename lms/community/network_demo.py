"""Demo data for cohorts, the directory and notifications (idempotent; `flask demo`)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from lms.auth import services as accounts
from lms.auth.models import User
from lms.cohorts import services as cohorts
from lms.community import notifications
from lms.errors import NotFound
from lms.extensions import db

#: Cohort slug -> (course code or None for the whole programme, region, starts, ends).
COHORT_DETAILS = {
    "spring-2026-intake": (None, "North America and West Africa", date(2026, 3, 2),
                           date(2026, 8, 28)),
    "autumn-2026-intake": ("JC-101", "Online, all regions", date(2026, 9, 14),
                           date(2027, 2, 26)),
}
FACILITATOR = "instructor@example.org"

FOCUS_ORDER = ["racial-equity", "climate-resilience", "belonging", "opportunity", "wellbeing",
               "mobility", "environment"]

#: (e-mail, listed countries for people the demo lists beyond the cohort learners)
EXTRA_LISTED = {
    "amara.holt@example.org": ("Atlanta", "United States", ["racial-equity", "belonging"]),
    "ben.carter@example.org": ("Marlow Bay", "United States", ["climate-resilience",
                                                               "mobility"]),
    "chioma.eze@example.org": ("Lagos", "Nigeria", ["opportunity", "wellbeing"]),
    "farah.haddad@example.org": ("Birmingham", "United Kingdom", ["environment",
                                                                  "racial-equity"]),
    "learner@example.org": ("Marlow Bay", "United States", ["climate-resilience",
                                                            "belonging"]),
}

#: Notifications for the demo learner (Maya): kind, text, link, board, hours ago.
MAYA_NOTES = [
    ("reply", "Kwame Mensah replied to your thread \u201cFlood-safe housing in Marlow Bay\u201d",
     "/directory?country=Ghana", "global:introductions", 2),
    ("mention", "Grace Liu mentioned you in \u201cMapping heat islands with residents\u201d",
     "/directory?focus=climate-resilience", "global:climate-resilience", 5),
    ("endorsed", "Imani Instructor endorsed your answer on \u201cWho sits on a CPPP?\u201d",
     "/courses/JC-101", "course:JC-101", 26),
    ("accepted", "Sofia Martins accepted your answer on \u201cRight-to-return clauses\u201d",
     "/directory?country=Brazil", "cohort:autumn-2026-intake", 50),
    ("cohort", "Welcome to the Autumn 2026 intake: meet your cohort on the dashboard",
     "/dashboard", "cohort:autumn-2026-intake", 80),
]


def seed_network(now: datetime, cohort_learners: list[str]) -> str | None:
    """Cohort details, facilitators and an invitation link; directory entries with focus
    areas; notifications for the demo learner. Returns the open invitation's path."""
    _seed_cohorts(now)
    _seed_directory(cohort_learners)
    _seed_notifications(now)
    return _invite_path(now)


def _seed_cohorts(now: datetime) -> None:
    courses = {label.split(":")[0]: cid for cid, label in cohorts.course_choices()}
    for slug, (code, region, starts, ends) in COHORT_DETAILS.items():
        try:
            cohort = cohorts.get_cohort(slug)
        except NotFound:
            continue
        if not cohort.region:
            cohorts.update_cohort(cohort, cohort.name, cohort.description, cohorts.CohortDetails(
                courses.get(code) if code else None, region, starts, ends))
        facilitator = accounts.get_user_by_email(FACILITATOR)
        if facilitator is not None and cohort.id not in cohorts.facilitator_cohort_ids(
                facilitator.id):
            cohorts.add_members(cohort, FACILITATOR, now=now, role="facilitator")


def _invite_path(now: datetime) -> str | None:
    try:
        cohort = cohorts.get_cohort("spring-2026-intake")
    except NotFound:
        return None
    open_links = [i for i in cohorts.invites(cohort) if i.state(now) == "open"]
    invite = open_links[0] if open_links else cohorts.create_invite(
        cohort, actor=None, now=now, days=60)
    return f"/cohorts/join/{invite.token}"


def _seed_directory(cohort_learners: list[str]) -> None:
    users = {u.email: u for u in db.session.scalars(
        select(User).where(User.email.in_([*cohort_learners, *EXTRA_LISTED])))}
    for n, email in enumerate(cohort_learners):
        user = users.get(email)
        if user is not None and not user.focus_areas:
            keys = [FOCUS_ORDER[n % 7], FOCUS_ORDER[(n * 3 + 1) % 7]]
            accounts.update_profile(user, {"focus_areas": keys, "directory_opt_in": True})
    for email, (city, country, keys) in EXTRA_LISTED.items():
        user = users.get(email)
        if user is not None and not user.focus_areas:
            changes: dict[str, object] = {"focus_areas": keys, "directory_opt_in": True}
            if not user.country:
                changes.update(city=city, country=country)
            accounts.update_profile(user, changes)


def _seed_notifications(now: datetime) -> None:
    maya = accounts.get_user_by_email("learner@example.org")
    if maya is None:
        return
    for n, (kind, text, url, board, hours) in enumerate(MAYA_NOTES):
        notifications.notify([maya.id], kind, text, url, board, f"demo:{n}",
                             now - timedelta(hours=hours))
    db.session.commit()
