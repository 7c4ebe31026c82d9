"""What a signed-in member belongs to (their viewer: enrolments, courses taught, cohorts) is kept
in each process while none of those tables is written (lms.cache.Watched, with Redis as the
cache), so the bell on every page stops asking for it; a membership changed through any
worker still shows on the very next request.

Two apps made by create_app() stand for two gunicorn workers sharing Redis
(`shared_cache_workers`; skipped when Redis is not running).
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from lms.cohorts import services as cohorts
from lms.community import notifications as notes
from lms.courses.models import Enrolment
from lms.extensions import db
from tests.builders import client_for


@pytest.fixture
def workers(shared_cache_workers):
    return shared_cache_workers()


BELL = '<span class="bell-count">{}<span class="visually-hidden"> unread</span>'


def membership_reads(counter) -> int:
    return sum("cohort_members" in s and "course_instructors" in s for s in counter.statements)


def notify(world, user, now) -> None:
    """One unread notification on the member's cohort board and one on the course board."""
    notes.notify([user.id], "reply", "On the cohort board", "/t/1", world.cohort_a_key, "a",
                 now)
    notes.notify([user.id], "reply", "On the course board", "/t/2", world.course_key, "b",
                 now + timedelta(minutes=1))
    db.session.commit()


def test_the_bell_reads_the_memberships_once_per_process(world, workers, now, sign_in,
                                                          count_queries):
    reader, writer, _ = workers
    notify(world, world.ana, now)
    client = client_for(reader, sign_in, world.ana)
    with count_queries(of=reader) as first:
        assert BELL.format(2) in client.get("/dashboard").get_data(as_text=True)
    assert membership_reads(first) == 1
    with count_queries(of=reader) as again:
        for _ in range(3):
            assert BELL.format(2) in client.get("/dashboard").get_data(as_text=True)
    assert membership_reads(again) == 0
    assert again.count == 3 * (first.count - 1)
    # A lesson visit writes the enrolment's activity columns, not who is enrolled where:
    # the viewer stays.
    with writer.app_context():
        enrolment = db.session.query(Enrolment).filter_by(user_id=world.ana.id).one()
        enrolment.last_activity_at = now + timedelta(hours=1)
        db.session.commit()
    with count_queries(of=reader) as visited:
        client.get("/dashboard")
    assert membership_reads(visited) == 0


def test_leaving_a_cohort_through_another_worker_shows_on_the_next_page(
        world, workers, now, sign_in):
    reader, writer, _ = workers
    notify(world, world.ana, now)
    client = client_for(reader, sign_in, world.ana)
    assert BELL.format(2) in client.get("/dashboard").get_data(as_text=True)
    with writer.app_context():
        cohorts.remove_member(db.session.get(type(world.cohort_a), world.cohort_a.id),
                              world.ana.id)
    # The cohort board's notification is no longer hers to see; the course board's still is.
    assert BELL.format(1) in client.get("/dashboard").get_data(as_text=True)


def test_a_deleted_cohort_shows_at_once_too(world, workers, now, sign_in):
    reader, writer, _ = workers
    notify(world, world.ana, now)
    client = client_for(reader, sign_in, world.ana)
    assert BELL.format(2) in client.get("/dashboard").get_data(as_text=True)
    with writer.app_context():
        # The members go through the database's cascade, which no statement of the session
        # names: deleting the cohort itself renews the viewers.
        cohorts.delete_cohort(db.session.get(type(world.cohort_a), world.cohort_a.id))
    assert BELL.format(1) in client.get("/dashboard").get_data(as_text=True)


def test_a_new_role_is_part_of_the_key(world, workers, now, sign_in):
    reader, writer, _ = workers
    notify(world, world.registrar, now)  # registrars see every board
    client = client_for(reader, sign_in, world.registrar)
    assert BELL.format(2) in client.get("/dashboard").get_data(as_text=True)
    with writer.app_context():
        user = db.session.get(type(world.registrar), world.registrar.id)
        user.role = "learner"  # in no course or cohort: neither board is theirs any more
        db.session.commit()
    assert "bell-count" not in client.get("/dashboard").get_data(as_text=True)
