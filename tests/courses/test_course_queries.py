"""The number of SQL statements of the main pages does not grow with the amount of data.

Each test measures a page with N small courses, lessons or learners, then with 3N, and asserts
the same count. Before each measurement the session is emptied and Flask-Login's cached user
forgotten (the `app` fixture's app context is shared by every request), and every page is
visited once beforehand, so both measurements see the same warm state.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.courses.models import Course, Enrolment, Item, ItemProgress
from lms.extensions import db
from tests.builders import BARE_QUIZ_MD, course_md, lesson

N = 3


def course_files(code: str, lessons: int, **meta) -> dict[str, str]:
    """A course of `lessons` lessons: half at the top level, half in a module, then a quiz."""
    files = {"course.md": course_md(code, ce_hours=1, **meta),
             "50-part/module.md": "---\ntitle: A part\n---\n",
             "90-check.md": BARE_QUIZ_MD}
    for n in range(1, lessons + 1):
        folder = "" if n <= lessons // 2 else "50-part/"
        body = f"## Heading {n}\n\nText of lesson {n}.\n\n- [x] a task"
        files[f"{folder}{n:02d}-lesson-{n}.md"] = lesson(f"Lesson {n}", body)
    return files


@pytest.fixture
def measure(count_queries):
    """measure(client, url) -> number of SQL statements of a GET (must answer 200)."""

    def do(client, url: str) -> tuple[int, list[str]]:
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return counter.count, list(counter.statements)

    return do


def enrol_with_progress(user_id: int, course_ids: list[int], now, done_per_course: int) -> None:
    """Enrol directly (no prerequisite rules needed here) and mark the first items done."""
    for course_id in course_ids:
        enrolment = Enrolment(user_id=user_id, course_id=course_id, enrolled_at=now,
                              last_activity_at=now)
        db.session.add(enrolment)
        db.session.flush()
        items = db.session.scalars(select(Item.id).where(Item.course_id == course_id)
                                   .order_by(Item.position).limit(done_per_course))
        for item_id in items:
            db.session.add(ItemProgress(enrolment_id=enrolment.id, item_id=item_id,
                                        completed_at=now))
    db.session.commit()


def course_ids() -> list[int]:
    """Course ids in code order."""
    return list(db.session.scalars(select(Course.id).order_by(Course.code)))


#: Statements per page, pinned (issue 16: the lesson page at most 5) so they cannot creep back.
#: A signed-in request spends one of them on its session and user.
# Signed-in pages include the notification bell's one grouped count (lms/community).
BUDGET = {"catalogue": 6, "catalogue anonymous": 2, "lesson": 5, "lesson preview": 7,
          "course page": 7, "dashboard": 7}


def assert_same(small: tuple[int, list[str]], large: tuple[int, list[str]],
                budget: int = 20) -> None:
    assert small[0] == large[0], "\n".join(
        ["N:"] + small[1] + ["", "3N:"] + large[1])
    assert small[0] <= budget, "\n".join(small[1])


# ---------------------------------------------------------------- catalogue


@pytest.mark.parametrize("role", ["anonymous", "learner", "instructor", "admin"])
def test_catalogue_queries_do_not_grow_with_courses(
        app, setup, measure, make_user, sign_in, now, role):
    client = app.test_client()
    user_id = None
    if role != "anonymous":
        user = make_user(role, email=f"{role}@example.org")
        user_id = user.id
        sign_in(client, user)
    mine = {"instructors": ["instructor@example.org"]}

    def courses(start: int, stop: int) -> dict[str, dict[str, str]]:
        return {f"c{n:02d}": course_files(f"C-{n:02d}", 2, **(mine if n % 2 else {}),
                                          published=bool(n % 3))
                for n in range(start, stop)}

    setup(courses(0, N))
    if user_id:
        enrol_with_progress(user_id, course_ids(), now, 1)
    client.get("/courses")
    small = measure(client, "/courses")

    setup(courses(N, 3 * N))
    if user_id:
        known = set(db.session.scalars(select(Enrolment.course_id)
                                       .where(Enrolment.user_id == user_id)))
        enrol_with_progress(user_id, [i for i in course_ids() if i not in known], now, 1)
    client.get("/courses")
    large = measure(client, "/courses")

    assert_same(small, large, BUDGET["catalogue anonymous" if role == "anonymous" else "catalogue"])
    filtered = measure(client, "/courses?q=course&category=equity&level=introductory")
    assert filtered[0] == large[0]


def test_catalogue_queries_do_not_grow_with_other_learners(
        app, setup, measure, make_user, sign_in, now):
    setup({f"c{n}": course_files(f"C-{n}", 2) for n in range(N)})
    learner = make_user()
    client = app.test_client()
    sign_in(client, learner)
    enrol_with_progress(learner.id, course_ids(), now, 1)
    others = [make_user().id for _ in range(3 * N)]

    for other in others[:N]:
        enrol_with_progress(other, course_ids(), now, 2)
    client.get("/courses")
    small = measure(client, "/courses")
    for other in others[N:]:
        enrol_with_progress(other, course_ids(), now, 2)
    large = measure(client, "/courses")

    assert_same(small, large, BUDGET["catalogue"])


# ---------------------------------------------------------------- lesson and course pages


@pytest.mark.parametrize("enrolled", [True, False])
def test_lesson_page_queries_do_not_grow_with_lessons(
        app, setup, measure, make_user, sign_in, now, enrolled):
    setup({"small": course_files("SMALL", 2 * N, instructors=["owner@example.org"]),
           "large": course_files("LARGE", 6 * N, instructors=["owner@example.org"])})
    user = make_user() if enrolled else make_user("instructor", email="owner@example.org")
    client = app.test_client()
    sign_in(client, user)
    if enrolled:
        enrol_with_progress(user.id, course_ids(), now, 2)
    # a lesson in the middle of the module, with a previous and a next item
    small_url = f"/courses/SMALL/items/part/lesson-{2 * N - 1}"
    large_url = f"/courses/LARGE/items/part/lesson-{6 * N - 1}"
    client.get(small_url)
    client.get(large_url)

    small = measure(client, small_url)
    large = measure(client, large_url)

    assert_same(small, large, BUDGET["lesson" if enrolled else "lesson preview"])
    if not enrolled:
        assert "Instructor preview" in client.get(small_url).get_data(as_text=True)


def test_lesson_page_queries_do_not_grow_with_learners(
        app, setup, measure, make_user, sign_in, now):
    setup({"c": course_files("C-1", 4)})
    learner = make_user()
    client = app.test_client()
    sign_in(client, learner)
    enrol_with_progress(learner.id, course_ids(), now, 1)
    others = [make_user().id for _ in range(3 * N)]
    url = "/courses/C-1/items/part/lesson-3"
    client.get(url)

    for other in others[:N]:
        enrol_with_progress(other, course_ids(), now, 3)
    small = measure(client, url)
    for other in others[N:]:
        enrol_with_progress(other, course_ids(), now, 3)
    large = measure(client, url)

    assert_same(small, large, BUDGET["lesson"])


def test_course_page_queries_do_not_grow_with_lessons_or_prerequisites(
        app, setup, measure, make_user, sign_in, now):
    prereqs = {f"p{n}": course_files(f"P-{n}", 1) for n in range(3 * N)}
    setup({**prereqs,
           "small": course_files("SMALL", 2 * N, prerequisites=[f"P-{n}" for n in range(N)]),
           "large": course_files("LARGE", 6 * N,
                                 prerequisites=[f"P-{n}" for n in range(3 * N)])})
    learner = make_user()
    client = app.test_client()
    sign_in(client, learner)
    ids = list(db.session.scalars(select(Course.id).where(Course.code.in_(["SMALL", "LARGE"]))))
    enrol_with_progress(learner.id, ids, now, 2)

    assert_same(measure(client, "/courses/SMALL"), measure(client, "/courses/LARGE"),
                BUDGET["course page"])


def test_dashboard_queries_do_not_grow_with_enrolments(
        app, setup, measure, make_user, sign_in, now):
    setup({f"c{n}": course_files(f"C-{n}", 2) for n in range(3 * N)})
    learner = make_user()
    client = app.test_client()
    sign_in(client, learner)
    ids = course_ids()
    enrol_with_progress(learner.id, ids[:N], now, 1)
    # one enrolment has a last item, the others not
    assert client.get("/courses/C-0/items/lesson-1").status_code == 200
    small = measure(client, "/dashboard")

    enrol_with_progress(learner.id, ids[N:], now, 1)
    assert client.get("/courses/C-5/items/lesson-1").status_code == 200
    large = measure(client, "/dashboard")

    assert_same(small, large, BUDGET["dashboard"])
