"""The shared cache (lms/cache.py): an edit shows on the next view, whichever worker serves it.

Two apps made by create_app() against one database stand for two gunicorn workers (or two
servers): one reads a lesson (filling its cache), the other publishes an edit, the first
reads again and must show it, both with one in-process cache per app (the default) and with
one Redis cache shared by both (database 7 at 127.0.0.1:6379; skipped when Redis is not
running; keys under a prefix of the test's own, removed afterwards).
"""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from lms.cache import cache
from lms.courses import services
from lms.courses.models import Course, Item
from lms.extensions import db
from tests.auth.test_production import redis_client as redis_client_or_skip
from tests.builders import basic_course, lesson
from tests.conftest import SHARED_CACHE_URL, FreshContextClient, make_test_app

OWNER = "owner@example.org"
PAGE = "/courses/C-1/items/basics/first"


@pytest.fixture(params=["in-process", "redis"])
def two_workers(request, app, tmp_path, now):
    """(reader app, editor app): two apps on the test database, sharing its courses folder."""
    extra: dict = {"FROZEN_NOW": now, "COURSES_DIR": app.config["COURSES_DIR"]}
    redis_client, prefix = None, f"lms-test-{uuid.uuid4().hex}:"
    if request.param == "redis":
        redis_client = redis_client_or_skip(SHARED_CACHE_URL)
        extra.update(CACHE_REDIS_URL=SHARED_CACHE_URL, CACHE_KEY_PREFIX=prefix)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    apps = [make_test_app(str(tmp_path / name), url, **extra) for name in ("reader", "editor")]
    for made in apps:
        made.test_client_class = FreshContextClient
    yield apps[0], apps[1], request.param
    if redis_client is not None:
        for key in redis_client.scan_iter(f"{prefix}*"):
            redis_client.delete(key)


def test_an_edit_through_one_worker_shows_on_the_next_view_through_another(
        setup, make_user, sign_in, now, two_workers):
    setup({"c1": basic_course("C-1", instructors=[OWNER], first_steps="The first text.")})
    reader, editor, kind = two_workers
    learner = make_user()
    owner = make_user("instructor", email=OWNER)
    course_id = db.session.scalar(select(Course.id).where(Course.code == "C-1"))

    client = reader.test_client()
    sign_in(client, learner)
    assert client.post("/courses/C-1/enrol").status_code == 302
    page = client.get(PAGE).get_data(as_text=True)
    assert "The first text." in page and "First steps" in page
    with reader.app_context():  # the reader's cache now holds the outline
        course = db.session.get(Course, course_id)
        assert cache.get(f"outline:{course.id}:{course.revision}") is not None
    if kind == "redis":
        with editor.app_context():  # ... and so does the editor's: they share Redis
            assert cache.get(f"outline:{course.id}:{course.revision}") is not None

    with editor.app_context():
        item = db.session.scalar(select(Item).where(Item.course_id == course_id,
                                                    Item.slug == "basics/first"))
        author = db.session.get(type(owner), owner.id)
        services.publish_source(item, lesson("Steps, revised", "The edited text."), author,
                                now, base_revision=item.revision)

    page = client.get(PAGE).get_data(as_text=True)
    assert "The edited text." in page and "The first text." not in page
    assert "Steps, revised" in page  # the title, in the heading and in the cached outline
    assert "First steps" not in page
    course_page = client.get("/courses/C-1").get_data(as_text=True)
    assert "Steps, revised" in course_page and "First steps" not in course_page


def test_an_import_that_changes_a_title_shows_in_the_outline(
        app, setup, make_user, sign_in, client):
    files = basic_course("C-1")
    setup({"c1": files})
    learner = make_user()
    sign_in(client, learner)
    client.post("/courses/C-1/enrol")
    assert "Wrap up" in client.get("/courses/C-1/items/welcome").get_data(as_text=True)

    files["03-wrap-up.md"] = lesson("Closing thoughts")
    setup({"c1": files})
    page = client.get("/courses/C-1/items/welcome").get_data(as_text=True)
    assert "Closing thoughts" in page and "Wrap up" not in page


def test_the_cache_is_in_process_by_default_and_redis_when_configured(app, tmp_path):
    assert type(cache.cache).__name__ == "SimpleCache"
    other = make_test_app(str(tmp_path / "r"), app.config["SQLALCHEMY_DATABASE_URI"],
                          CACHE_REDIS_URL=SHARED_CACHE_URL)
    with other.app_context():
        assert type(cache.cache).__name__ == "RedisCache"
