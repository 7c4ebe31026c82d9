"""Instructors-only lessons (`audience: instructors`): out of learners' outline, navigation,
progress and completion; shown to the course's instructors and admins with a badge; 404 to
everyone else."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.courses import services
from lms.courses.models import ItemProgress
from lms.courses.parser import parse_tree
from lms.errors import ValidationError
from lms.extensions import db
from tests.builders import basic_course, client_for, course, item, text_of, write_tree

MEMO = """\
---
title: Calibration memo
audience: instructors
---

A model memo with its agreed marks.
"""


def tree() -> dict:
    files = basic_course("C-1", instructors=["teach@example.org"])
    files["90-calibration.md"] = MEMO
    return {"c1": files}


def test_the_parser_accepts_audience_on_lessons_only(app, tmp_path):
    files = tree()["c1"]
    files["02-basics/02-check.md"] = files["02-basics/02-check.md"].replace(
        "type: quiz", "type: quiz\naudience: instructors", 1)
    files["91-bad.md"] = MEMO.replace("instructors", "everyone", 1)
    result = parse_tree(write_tree(tmp_path / "courses", {"c1": files}))
    messages = [p.message for p in result.problems]
    assert any("audience" in m and "learners or instructors" in m for m in messages), messages
    assert any("unknown" in m and "audience" in m for m in messages), messages
    assert len(messages) == 2


def test_learners_never_see_it_and_it_does_not_count(app, setup, make_user, sign_in, now):
    setup(tree())
    c1 = course("C-1")
    assert c1.item_count == 4  # welcome, first, check, wrap-up: not the memo
    assert item("C-1", "calibration").audience == "instructors"
    learner = make_user()
    enrolment = services.enrol(learner, c1, now)
    client = client_for(app, sign_in, learner)

    page = text_of(client.get("/courses/C-1"))
    assert "Calibration memo" not in page and "Instructors only" not in page
    assert client.get("/courses/C-1/items/calibration").status_code == 404
    assert client.post("/courses/C-1/items/calibration/complete").status_code == 404
    wrap_up = text_of(client.get("/courses/C-1/items/wrap-up"))
    assert "Calibration memo" not in wrap_up  # neither in the outline nor as "next"

    # even a direct service call cannot mark it done
    with pytest.raises(ValidationError, match="for instructors"):
        services.complete_lesson(enrolment, item("C-1", "calibration"), now)
    assert db.session.scalar(select(func.count()).select_from(ItemProgress)) == 0
    anonymous = client_for(app, sign_in)
    assert anonymous.get("/courses/C-1/items/calibration").status_code in (302, 404)
    assert "Calibration memo" not in text_of(anonymous.get("/courses/C-1"))


def test_completing_the_learner_items_completes_the_course(app, setup, make_user, now):
    setup(tree())
    learner = make_user()
    enrolment = services.enrol(learner, course("C-1"), now)
    memo = item("C-1", "calibration")
    services.record_visit(enrolment, memo, now)  # (as an enrolled instructor could)
    assert services.continue_item(enrolment, course("C-1")).slug == "welcome"
    for slug in ("welcome", "basics/first", "wrap-up"):
        services.complete_lesson(enrolment, item("C-1", slug), now)
    completed = services.mark_item_done(enrolment, item("C-1", "basics/check"),
                                        now + timedelta(minutes=1))
    db.session.commit()
    assert completed and enrolment.completed_at is not None
    assert services.progress(enrolment, course("C-1")).percent == 100


@pytest.mark.parametrize("who", ["instructor", "admin"])
def test_the_course_instructors_and_admins_see_it_with_a_badge(app, setup, make_user, sign_in,
                                                               who):
    setup(tree())
    user = make_user(who, email="teach@example.org" if who == "instructor" else None)
    client = client_for(app, sign_in, user)
    page = text_of(client.get("/courses/C-1"))
    assert "Calibration memo" in page and "Instructors only" in page
    memo = client.get("/courses/C-1/items/calibration")
    assert memo.status_code == 200
    text = text_of(memo)
    assert "Instructors only" in text and "A model memo with its agreed marks." in text
    assert "Calibration memo" in text_of(client.get("/courses/C-1/items/wrap-up"))  # next


def test_another_courses_instructor_gets_404(app, setup, make_user, sign_in):
    setup(tree())
    other = make_user("instructor", email="someone-else@example.org")
    client = client_for(app, sign_in, other)
    assert client.get("/courses/C-1/items/calibration").status_code == 404
    assert "Calibration memo" not in text_of(client.get("/courses/C-1"))


def test_the_riverside_calibration_memos_are_instructors_only_in_jc_201(app):
    from tests.courses.test_curriculum_bar import REPO
    jc201 = next(c for c in parse_tree(REPO / "courses").courses if c.code == "JC-201")
    memos = [i for i in jc201.items if i.instructors_only]
    assert [i.slug for i in memos] == ["calibration-pass", "calibration-borderline"]
    assert jc201.items[-2:] == memos
    assert not (REPO / "calibration-staging").exists()
