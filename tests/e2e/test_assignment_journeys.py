"""Browser journey for case-study assignments: a learner submits with an attachment, two peers
review, the instructor grades with the rubric and returns it, the learner reads the feedback
and resubmits, the instructor passes it, and the course (which needs the case study) is
complete."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from lms.assignments import services
from lms.courses import services as courses
from lms.courses.models import Enrolment
from lms.extensions import db
from tests.e2e.journey_helpers import (
    PASSWORD,
    flash,
    front_matter,
    import_tree,
    item_url,
    lesson_md,
    write_course,
)

CASE_MD = front_matter({
    "type": "assignment", "title": "Case study: Riverside memo", "peer_reviews": 2,
    "attachments": ["pdf"], "max_upload_mb": 1, "passing_score": 70}) + """\
Write a roadmap memo for the Riverside Flats partnership council.

## Rubric

| Criterion | Exemplary (4) | Proficient (3) | Developing (2) | Beginning (1) |
|---|---|---|---|---|
| Centres resident voice | Residents lead | Consulted | Token | Absent |
| Uses evidence | Rich | Enough | Thin | None |
"""
PEER_MEMOS = {
    "ben": "Ben's memo: fund cooling rooms and let the tenants' union set the priorities.",
    "cat": "Cat's memo: a land trust near the station, and stormwater credits for roofs.",
}


def _review_everything(page: Page, sign_in, email: str) -> None:
    sign_in(page, email, PASSWORD)
    page.goto(item_url("JC-201", "case"))
    todo = page.locator("#reviews-to-do a")
    expect(todo).to_have_count(2)
    for index in range(2):
        page.goto(item_url("JC-201", "case"))
        page.locator("#reviews-to-do li").filter(has_text="To do").first.get_by_role(
            "link").click()
        expect(page.get_by_role("heading", name="Peer review")).to_be_visible()
        page.get_by_label("Centres resident voice: Proficient").check()
        page.get_by_label("Uses evidence: Developing").check()
        page.get_by_label("One strength").fill(f"Clear ask ({index})")
        page.get_by_label("One suggestion").fill("Add the heat study's numbers.")
        page.get_by_role("button", name="Send review").click()
        expect(flash(page)).to_contain_text("Review sent")
    page.get_by_role("button", name="Sign out").click()


def _grade(page: Page, sign_in, levels: tuple[str, str], decision: str, overall: str) -> None:
    sign_in(page, "teach@example.org", PASSWORD)
    page.goto("/assignments/grading?mine=1")
    page.get_by_role("link", name="Ana Author").click()
    page.get_by_label(f"Centres resident voice: {levels[0]}").check()
    page.get_by_label(f"Uses evidence: {levels[1]}").check()
    page.get_by_label("Comment on “Uses evidence”").fill("Cite the youth heat study.")
    page.get_by_label("Overall comment").fill(overall)
    page.get_by_label(decision).check()
    page.get_by_role("button", name="Save grade").click()
    expect(flash(page)).to_contain_text("Grade saved")
    page.get_by_role("button", name="Sign out").click()


def test_case_study_submit_review_return_resubmit_pass_complete(
        page: Page, app, tmp_path, now, make_user, browser_sign_in):
    write_course(tmp_path / "courses", "JC-201", "Applying the Framework",
                 {"01-intro.md": lesson_md("Introducing Riverside Flats", "Meet the place."),
                  "02-case.md": CASE_MD}, instructors=("teach@example.org",))
    import_tree(tmp_path / "courses", now)
    make_user("instructor", email="teach@example.org", name="Tess Teacher")
    ana = make_user(email="ana@example.org", name="Ana Author")
    peers = {key: make_user(email=f"{key}@example.org", name=f"{key.title()} Peer")
             for key in PEER_MEMOS}
    course = courses.get_course("JC-201", ana)
    for user in (ana, *peers.values()):
        courses.enrol(user, course, now)
    assignment = services.assignment_for_item(course.items[1])
    for key, user in peers.items():  # two peers submitted earlier
        services.save_draft(assignment, user, PEER_MEMOS[key], now)
        services.submit(assignment, user, 0, now)

    # The learner completes the lesson, writes with a live preview, attaches a PDF, submits.
    browser_sign_in(page, "ana@example.org", PASSWORD)
    page.goto(item_url("JC-201", "intro"))
    page.get_by_role("button", name=re.compile("Mark as complete")).click()
    page.goto(item_url("JC-201", "case"))
    expect(page.get_by_role("rowheader", name="Centres resident voice")).to_be_visible()
    body = page.get_by_label("Your response (Markdown)")
    body.fill("# My roadmap\n\nThe council should **let residents lead** the heat plan.")
    expect(page.locator("#preview strong")).to_have_text("let residents lead")
    expect(page.locator("#save-status")).to_contain_text("Draft saved")
    page.reload()
    expect(page.get_by_label("Your response (Markdown)")).to_have_value(
        re.compile("let residents lead"))
    pdf = tmp_path / "memo.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% Ana's memo\n" + b"0" * 200)
    page.get_by_label(re.compile("^Attach a file")).set_input_files(str(pdf))
    page.get_by_role("button", name="Attach", exact=True).click()
    expect(flash(page)).to_contain_text("Attached memo.pdf")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(flash(page)).to_contain_text("Submitted.")
    expect(page.locator("[data-status]")).to_have_text("In peer review")
    page.get_by_role("button", name="Sign out").click()

    # Two peers review (anonymously) every submission they were given.
    for key in PEER_MEMOS:
        _review_everything(page, browser_sign_in, f"{key}@example.org")

    # The instructor grades with the rubric and returns the work.
    _grade(page, browser_sign_in, ("Developing", "Developing"), "Return for revision",
           "Say who decides and how residents hold partners to account.")

    # The learner reads the feedback and the peer reviews, revises and resubmits.
    browser_sign_in(page, "ana@example.org", PASSWORD)
    page.goto(item_url("JC-201", "case"))
    expect(page.locator("[data-status]")).to_have_text("Returned for revision")
    expect(page.get_by_text("Cite the youth heat study.")).to_be_visible()
    expect(page.get_by_text("Say who decides")).to_be_visible()
    expect(page.locator(".peer-review")).to_have_count(2)
    expect(page.get_by_text("Ben Peer")).to_have_count(0)
    page.get_by_label("Your response (Markdown)").fill(
        "# My roadmap, revised\n\nResidents lead; the caucus approves the budget each year.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator("[data-status]")).to_have_text("Resubmitted")
    page.get_by_role("button", name="Sign out").click()

    # The instructor passes the new version.
    _grade(page, browser_sign_in, ("Exemplary", "Proficient"), "Pass", "Well argued.")

    # The learner has passed, both versions are kept, and the course is complete.
    browser_sign_in(page, "ana@example.org", PASSWORD)
    page.goto(item_url("JC-201", "case"))
    expect(page.locator("[data-status]")).to_have_text("Passed")
    expect(page.locator("details.version")).to_have_count(2)
    page.goto("/courses/JC-201")
    expect(page.get_by_text(re.compile("^Completed"))).to_be_visible()
    db.session.expire_all()
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == ana.id))
    assert enrolment.completed_at is not None
