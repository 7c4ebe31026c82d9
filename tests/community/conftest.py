"""A small world for the boards: a course with learners and an instructor, two cohorts of
that course's learners, staff, and an outsider."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from lms.auth.models import User
from lms.cohorts.models import Cohort, CohortMember
from lms.community.visibility import Viewer, viewer_for
from lms.courses.models import Course, CourseInstructor, Enrolment
from lms.extensions import db


def make_course(code: str, now) -> Course:
    course = Course(code=code, title=f"Course {code}", dirname=code.lower(), created_at=now,
                    updated_at=now)
    db.session.add(course)
    db.session.flush()
    return course


def enrol(user: User, course: Course, now) -> None:
    db.session.add(Enrolment(user_id=user.id, course_id=course.id, enrolled_at=now,
                             last_activity_at=now))
    db.session.flush()


def make_cohort(name: str, members: list[User], now) -> Cohort:
    cohort = Cohort(name=name, slug=name.lower().replace(" ", "-"), created_at=now)
    db.session.add(cohort)
    db.session.flush()
    for m in members:
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=m.id, added_at=now))
    db.session.flush()
    return cohort


@dataclass
class World:
    course: Course
    other_course: Course
    ana: User        # learner in the course and cohort A
    ben: User        # learner in the course and cohort A
    cara: User       # learner in the course and cohort B
    outsider: User   # learner in no course or cohort
    teacher: User    # instructor of the course
    registrar: User
    cohort_a: Cohort
    cohort_b: Cohort

    def viewer(self, user: User) -> Viewer:
        return viewer_for(user)

    @property
    def course_key(self) -> str:
        return f"course:{self.course.id}"

    @property
    def cohort_a_key(self) -> str:
        return f"cohort:{self.cohort_a.id}"

    @property
    def cohort_b_key(self) -> str:
        return f"cohort:{self.cohort_b.id}"


@pytest.fixture
def world(app, make_user, now) -> World:
    app.config["FROZEN_NOW"] = now
    ana = make_user(name="Ana Lopez")
    ben = make_user(name="Ben Okafor")
    cara = make_user(name="Cara Singh")
    outsider = make_user(name="Olu Outside")
    teacher = make_user("instructor", name="Tess Teacher")
    registrar = make_user("registrar", name="Rae Registrar")
    course = make_course("JC-101", now)
    other = make_course("JC-202", now)
    db.session.add(CourseInstructor(course_id=course.id, email=teacher.email))
    for u in (ana, ben, cara):
        enrol(u, course, now)
    a = make_cohort("Cohort A", [ana, ben], now)
    b = make_cohort("Cohort B", [cara], now)
    db.session.commit()
    return World(course, other, ana, ben, cara, outsider, teacher, registrar, a, b)


@pytest.fixture
def all_boards_visible(app):
    """For the notification machinery's own tests, whose board keys are made up: every
    (member, board) pair visible, as before the boards register their check; restored after."""
    from lms.community import notifications
    from lms.community.visibility import visible_pairs

    notifications.set_visibility_check(None)
    yield
    notifications.set_visibility_check(visible_pairs)
