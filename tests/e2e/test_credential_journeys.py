"""Credential journeys in a real browser: a learner completes JC-101, JC-201 with its case study
(graded by the instructor) and the AP exam, every step in the browser → the credential appears
on the dashboard and the credential page → the signed certificate PDF downloads and validates
against the programme's trust root. A shorter journey seeds the earlier steps."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from lms.assignments import services as assignments
from lms.assignments.models import Submission
from lms.courses import services as courses
from lms.credentials.models import Credential
from lms.credentials.signing import check_pdf
from lms.extensions import db
from tests.assignments.helpers import assignment_md
from tests.e2e import journey_helpers as jh

pytestmark = pytest.mark.e2e

PROGRAM = """\
credential: {name: Just Communities Accredited Practitioner, abbreviation: AP, id_prefix: JCAP}
earn:
  courses: [JC-101, JC-201]
  exam: {course: JC-AP, item: ap-exam}
  case_study: {course: JC-201, item: case}
categories:
  racial-equity: {name: Racial Equity}
maintenance:
  cycle: {length_months: 24, anchor: earned}
  hours_per_cycle: 30
"""
EXAM = "## Which Pillar asks who decides? {id=who}\n- (x) Racial Equity\n- ( ) Climate Resilience\n"


@pytest.fixture
def programme(app, live_server, tmp_path, now):
    root = tmp_path / "courses"
    root.mkdir()
    (root / "program.yml").write_text(PROGRAM, encoding="utf-8")
    jh.write_course(root, "JC-101", "Foundations",
                    {"01-intro.md": jh.lesson_md("Introduction", "The framework.")})
    jh.write_course(root, "JC-201", "Practice",
                    {"01-intro.md": jh.lesson_md("Introduction", "Practice."),
                     "02-case.md": assignment_md(peer_reviews=0, attachments=[])},
                    instructors=("teach@example.org",))
    jh.write_course(root, "JC-AP", "AP exam",
                    {"01-ap-exam.md": jh.quiz_md("AP exam", EXAM, passing_score=50)})
    saved = {a.name: a.config.get("COURSES_DIR") for a in (app, live_server.app)}
    app.config["COURSES_DIR"] = live_server.app.config["COURSES_DIR"] = str(root)
    jh.import_tree(root, now)
    yield root
    app.config["COURSES_DIR"] = saved[app.name]
    live_server.app.config["COURSES_DIR"] = saved[live_server.app.name]


def _download_and_check(page: Page, credential, tmp_path) -> None:
    page.goto("/dashboard")
    expect(page.locator("#credential-card")).to_contain_text(credential.credential_id)
    page.get_by_role("link", name="Your credential and signed certificate").click()
    expect(page.locator("#credential-id")).to_have_text(credential.credential_id)
    expect(page.locator("#credential-status")).to_contain_text("Active")
    with page.expect_download() as info:
        page.get_by_role("button", name=re.compile("Download your signed certificate")).click()
    saved = tmp_path / "certificate.pdf"
    info.value.save_as(saved)
    result = check_pdf(saved.read_bytes())
    assert result.signature_valid, result.message
    assert result.credential_id == credential.credential_id


def test_passing_the_last_requirement_grants_a_credential_with_a_valid_certificate(
        page: Page, programme, make_user, browser_sign_in, now, tmp_path):
    learner = make_user("learner", name="Nia Learner", legal_name="Nia Amani Learner")
    # The earlier steps, through the services: JC-101 done; JC-201's lesson and case study.
    for code, slug in (("JC-101", "intro"), ("JC-201", "intro")):
        enrolment = courses.enrol(learner, courses.get_course(code, learner), now)
        courses.complete_lesson(enrolment, jh.course_item(code, slug), now)
    case = jh.course_item("JC-201", "case")
    db.session.add(Submission(assignment_id=assignments.assignment_for_item(case).id,
                              user_id=learner.id, status="passed", passed_at=now,
                              created_at=now, version_count=1))
    courses.mark_item_done(courses.get_enrolment(learner, case.course), case, now)
    courses.enrol(learner, courses.get_course("JC-AP", learner), now)
    db.session.commit()
    assert db.session.scalar(select(Credential)) is None

    # The last requirement, in the browser: the AP exam.
    browser_sign_in(page, learner.email, jh.PASSWORD)
    _pass_the_exam_then_download_the_certificate(page, learner, tmp_path)


def _pass_the_exam_then_download_the_certificate(page: Page, learner, tmp_path) -> None:
    """The last requirement, the AP exam, in the browser; then the credential appears
    (dashboard, credential page) and its PDF downloads and validates."""
    page.goto(jh.item_url("JC-AP", "ap-exam"))
    page.get_by_role("button", name="Start the quiz").click()
    jh.asked(page, "Which Pillar asks who decides?").get_by_label("Racial Equity").check()
    jh.submit_for_good(page)
    expect(page.locator("#score")).to_have_text("100%")

    # The credential appears (dashboard, credential page); the PDF downloads and validates.
    db.session.expire_all()
    credential = db.session.scalar(select(Credential).where(Credential.user_id == learner.id))
    assert credential is not None and credential.automatic
    _download_and_check(page, credential, tmp_path)


def _enrol_and_complete_lesson(page: Page, code: str) -> None:
    page.goto(f"/courses/{code}")
    page.get_by_role("button", name="Enrol in this course").click()
    page.goto(jh.item_url(code, "intro"))
    page.get_by_role("button", name=re.compile("^Mark as complete")).click()


def test_the_whole_programme_in_the_browser_grants_a_credential_with_a_valid_certificate(
        page: Page, programme, make_user, browser_sign_in, tmp_path):
    """JC-101, JC-201 with the case study (submitted, then passed by the instructor) and the
    AP exam, all in the browser."""
    make_user("instructor", email="teach@example.org", name="Tess Teacher")
    learner = make_user("learner", name="Nia Learner", legal_name="Nia Amani Learner")
    browser_sign_in(page, learner.email, jh.PASSWORD)
    _enrol_and_complete_lesson(page, "JC-101")
    expect(jh.flash(page)).to_contain_text("you have completed")
    _enrol_and_complete_lesson(page, "JC-201")
    page.goto(jh.item_url("JC-201", "case"))
    page.get_by_label("Your response (Markdown)").fill(
        "# Memo\n\nResidents lead the partnership council; the caucus approves the budget.")
    expect(page.locator("#save-status")).to_contain_text("Draft saved")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(jh.flash(page)).to_contain_text("Submitted.")
    page.get_by_role("button", name="Sign out").click()

    browser_sign_in(page, "teach@example.org", jh.PASSWORD)
    page.goto("/assignments/grading?mine=1")
    page.get_by_role("link", name="Nia Learner").click()
    page.get_by_label("Centres community voice: Exemplary").check()
    page.get_by_label("Uses evidence: Proficient").check()
    page.get_by_label("Overall comment").fill("Residents lead: well argued.")
    page.get_by_label("Pass").check()
    page.get_by_role("button", name="Save grade").click()
    expect(jh.flash(page)).to_contain_text("Grade saved")
    page.get_by_role("button", name="Sign out").click()

    browser_sign_in(page, learner.email, jh.PASSWORD)
    db.session.expire_all()
    assert db.session.scalar(select(Credential)) is None  # the exam is still to pass
    page.goto("/courses/JC-AP")
    page.get_by_role("button", name="Enrol in this course").click()
    _pass_the_exam_then_download_the_certificate(page, learner, tmp_path)
