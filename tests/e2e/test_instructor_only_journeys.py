"""Instructor-only lessons (`audience: instructors`) in a real browser: the calibration memos of
the Riverside Flats rubric (copied from the real JC-201) are in the outline of the course's
instructor, marked "Instructors only", and open for them; a learner enrolled in the same course
sees neither memo in the outline and gets the plain "Page not found" page at its address.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lms.courses import services as courses
from tests.e2e.journey_helpers import (
    PASSWORD,
    import_tree,
    item_url,
    lesson_md,
    page_heading,
    write_course,
)

pytestmark = pytest.mark.e2e

REAL_JC201 = Path(__file__).resolve().parents[2] / "courses" / "jc-201-practice"
CALIBRATION = "calibration-pass"
MEMO_TITLE = "Calibration memo A: a pass"


@pytest.fixture
def jc201(app, tmp_path, now, make_user):
    """A JC-201 with one learner lesson and the real calibration memos; its instructor and an
    enrolled learner."""
    root = tmp_path / "courses"
    write_course(root, "JC-201", "Applying the Framework", {
        "01-intro.md": lesson_md("Introducing Riverside Flats", "Meet the place."),
        "90-calibration-pass.md": (REAL_JC201 / "90-calibration-pass.md").read_text("utf-8"),
        "91-calibration-borderline.md":
            (REAL_JC201 / "91-calibration-borderline.md").read_text("utf-8"),
    }, instructors=("teach@example.org",))
    report = import_tree(root, now)
    assert report.created == ["JC-201"], report
    make_user("instructor", email="teach@example.org", name="Tess Teacher")
    learner = make_user(email="lee@example.org", name="Lee Learner")
    courses.enrol(learner, courses.get_course("JC-201", learner), now)


def test_instructor_sees_the_calibration_memo_and_a_learner_does_not(
        page: Page, jc201, browser_sign_in):
    browser_sign_in(page, "teach@example.org", PASSWORD)
    page.goto("/courses/JC-201")
    memo = page.get_by_role("link", name=MEMO_TITLE)
    expect(memo).to_be_visible()
    expect(page.locator("li", has=memo).get_by_text("Instructors only")).to_be_visible()
    memo.click()
    expect(page_heading(page)).to_have_text(MEMO_TITLE)
    expect(page.get_by_text("Instructors only: not part of learners' outline")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Agreed marks: 26 / 30"))).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    browser_sign_in(page, "lee@example.org", PASSWORD)
    page.goto("/courses/JC-201")
    expect(page.get_by_role("link", name="Introducing Riverside Flats")).to_be_visible()
    expect(page.get_by_text("Calibration memo")).to_have_count(0)
    expect(page.get_by_text("Instructors only")).to_have_count(0)
    response = page.goto(item_url("JC-201", CALIBRATION))
    assert response is not None and response.status == 404
    expect(page_heading(page)).to_have_text(re.compile(r"^Page not found"))
    expect(page.get_by_text("There is no page at this address.")).to_be_visible()
    expect(page.get_by_text("Agreed marks")).to_have_count(0)
    page.goto(item_url("JC-201", "intro"))
    expect(page.get_by_text("Calibration memo")).to_have_count(0)  # not "next" either
