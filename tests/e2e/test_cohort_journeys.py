"""Cohort journeys in a real browser: a registrar builds a cohort from a pasted list of
addresses (a typo refuses the whole list), removes someone, and an instructor then filters a
quiz's results by that cohort.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from lms.cohorts.models import CohortMember
from lms.courses import services as courses
from lms.extensions import db
from lms.quizzes import services as quizzes
from tests.e2e import journey_helpers as jh

pytestmark = pytest.mark.e2e


QUESTION = """\
## The Protocol applies only to new construction. {id=tf}
- ( ) True
- (x) False
"""


def members() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(CohortMember))


def test_registrar_builds_a_cohort_and_an_instructor_filters_results_by_it(
        page: Page, tmp_path, now, make_user, browser_sign_in):
    registrar = make_user("registrar", email="reg@example.org")
    make_user("instructor", email="teach@example.org")
    people = [make_user(email=f"{n.lower()}@example.org", name=f"{n} Learner")
              for n in ("Ana", "Ben", "Cy")]
    jh.write_course(tmp_path, "JC-C1", "Cohort course", {
        "01-check.md": jh.quiz_md("Quick check", QUESTION, passing_score=50)},
        instructors=("teach@example.org",))
    jh.import_tree(tmp_path, now)
    quiz = quizzes.quiz_for_item(jh.course_item("JC-C1", "check"))
    for person, answer in zip(people, ("False", "True", "False"), strict=True):
        enrolment = courses.enrol(person, quiz.item.course, now)
        attempt = quizzes.start_attempt(quiz, person, enrolment, now)
        quizzes.submit_attempt(attempt, {"tf": option_id(attempt, answer)}, now)

    browser_sign_in(page, registrar.email, jh.PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Cohorts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cohorts")
    page.get_by_label(re.compile(r"^Name")).fill("Eastbrook planning team")
    page.get_by_role("button", name="Save cohort").click()
    expect(jh.flash(page)).to_contain_text("Now add its members")

    emails = page.get_by_label(re.compile(r"^E-mail addresses"))
    emails.fill("ana@example.org\nbne@example.org")
    page.get_by_role("button", name="Add to cohort").click()
    # beside the field, and in the summary at the top with a link to the field
    expect(page.locator(".field-error")).to_contain_text("No account has the address bne@")
    page.get_by_role("link", name=re.compile("^E-mail addresses: No account has")).click()
    expect(page.get_by_label(re.compile(r"^E-mail addresses"))).to_be_focused()
    assert members() == 0

    page.get_by_label(re.compile(r"^E-mail addresses")).fill("ana@example.org, ben@example.org")
    page.get_by_role("button", name="Add to cohort").click()
    expect(jh.flash(page)).to_contain_text("Added 2 people.")
    table = page.get_by_role("table")
    expect(table).to_contain_text("Ana Learner")
    expect(table).to_contain_text("Ben Learner")
    page.set_viewport_size(jh.PHONE)  # the members table scrolls inside its box on a phone
    assert jh.page_width(page) <= jh.PHONE["width"] + 1
    page.set_viewport_size({"width": 1280, "height": 800})
    page.once("dialog", lambda dialog: dialog.accept())  # removing asks first
    page.get_by_role("button", name="Remove Ben Learner").click()
    expect(jh.flash(page)).to_contain_text("Ben Learner was removed from the cohort.")
    assert members() == 1

    # Deleting asks first: dismissing keeps the cohort.
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Delete cohort").click()
    page.wait_for_timeout(300)  # had the form gone through, the cohorts list would load now
    assert asked and asked[0].startswith("Delete the cohort Eastbrook planning team?")
    expect(page.get_by_role("heading", level=1)).to_have_text("Eastbrook planning team")
    assert members() == 1
    page.get_by_role("button", name="Sign out").click()

    browser_sign_in(page, "teach@example.org", jh.PASSWORD)
    page.goto(f"/quiz/{quiz.id}/results")
    expect(page.get_by_text("3 submitted attempts")).to_be_visible()
    page.get_by_label("Cohort").select_option(label="Eastbrook planning team")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("1 submitted attempt", exact=True)).to_be_visible()
    attempts = page.get_by_role("table").last
    expect(attempts).to_contain_text("Ana Learner")
    expect(attempts).not_to_contain_text("Cy Learner")


def option_id(attempt, text: str) -> str:
    """The id of the option reading `text` in the attempt's only question."""
    options = attempt.questions[0].version.data["options"]
    return next(o["id"] for o in options if o["text"] == text)
