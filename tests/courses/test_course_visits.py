"""Recording where a learner is without a write on every page view; the "continue" target."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from lms.courses import services
from lms.courses.models import Course, Enrolment, Item
from lms.extensions import db
from tests.builders import basic_course


def _items(code: str) -> list[Item]:
    course = db.session.scalar(select(Course).where(Course.code == code))
    return sorted((i for i in course.items if i.active), key=lambda i: i.position)


def _commits() -> list[int]:
    seen: list[int] = []
    event.listen(db.session, "after_commit", lambda _session: seen.append(1))
    return seen


def test_record_visit_writes_on_a_move_or_after_a_minute_only(app, setup, make_user, now):
    setup({"c1": basic_course("C-1")})
    course = db.session.scalar(select(Course).where(Course.code == "C-1"))
    enrolment = services.enrol(make_user(), course, now)
    first, second = _items("C-1")[:2]
    commits = _commits()

    assert services.record_visit(enrolment, first, now)
    assert not services.record_visit(enrolment, first, now + timedelta(seconds=59))
    assert enrolment.last_activity_at == now and len(commits) == 1
    assert services.record_visit(enrolment, second, now + timedelta(seconds=60))
    assert services.record_visit(enrolment, second, now + timedelta(seconds=121))
    assert len(commits) == 3
    db.session.expire_all()
    assert enrolment.last_item_id == second.id
    assert enrolment.last_activity_at == now + timedelta(seconds=121)


def test_continue_item_is_the_last_visited_else_the_first(app, setup, make_user, now):
    setup({"c1": basic_course("C-1")})
    course = db.session.scalar(select(Course).where(Course.code == "C-1"))
    assert services.continue_item(None, course) is None
    enrolment = services.enrol(make_user(), course, now)
    items = _items("C-1")
    assert services.continue_item(enrolment, course).id == items[0].id
    services.record_visit(enrolment, items[1], now)
    assert services.continue_item(enrolment, course).id == items[1].id
    enrolment.completed_at = now
    assert services.continue_item(enrolment, course) is None


def test_a_lesson_view_records_the_visit_in_a_transaction(app, client, setup, make_user, now,
                                                         autocommit_statements):
    """GETs read through autocommit connections on PostgreSQL (lms.extensions.Session); the
    visit a lesson view records is a write, so it goes back to a transaction and commits."""
    setup({"c1": basic_course("C-1")})
    course = db.session.scalar(select(Course).where(Course.code == "C-1"))
    user = make_user(email="visitor@example.org", password="correct-horse-battery")
    services.enrol(user, course, now)
    lesson = _items("C-1")[0]
    client.post("/account/signin", data={"email": user.email,
                                         "password": "correct-horse-battery"})
    seen = autocommit_statements
    seen.clear()
    assert client.get(f"/courses/C-1/items/{lesson.slug}").status_code == 200
    writes = [autocommit for verb, autocommit in seen if verb == "UPDATE"]
    assert writes == [False], seen
    assert any(autocommit for verb, autocommit in seen if verb == "SELECT"), seen
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id))
    assert enrolment.last_item_id == lesson.id
