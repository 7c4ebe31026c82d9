"""Quiz journeys in a real browser: a quiz with every question type (autosave kept across a
reload, score and a review with correct answers and feedback), a quiz whose review is "never",
an exam (honour statement, score and topic breakdown only), a time limit that runs out and
submits the attempt by itself, and an attempt on a phone-sized screen.

The course is written to a temporary folder and imported with the real importer; the learner is
enrolled with the course service (enrolling through the pages is a course journey) and signs in
through the real sign-in page.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from lms.courses import services as courses
from lms.extensions import db
from lms.quizzes.models import Attempt
from tests.e2e import journey_helpers as jh

pytestmark = pytest.mark.e2e


CODE = "JC-Q1"

#: One question of every type; 8 points in all (the multiple-choice question is worth 2).
ALL_TYPES = """\
## Pick the two Pillars. {id=multi points=2 tags=pillars}
- [x] Racial Equity
- [x] Climate Resilience
- [ ] Land value growth
  > Not a goal of the framework: outcomes for residents are.

## The Protocol applies only to new construction. {id=tf tags=pillars}
- ( ) True
- (x) False

## Who relaunched the framework? {id=single tags=history}
- (x) Partnership for Southern Equity
  > Right: PSE relaunched it on its tenth anniversary.
- ( ) A city planning department
- ( ) A national developer

> Explanation: the relaunch renamed EcoDistricts as Just Communities.

## How many CE hours does one renewal cycle require? {id=num}
= 30 ± 1

## What does a community land trust hold? {id=txt}
= land
= /^(the )?land$/i

## Match each Commitment to its focus. {id=match}
- Mobility => Getting around safely
- Wellbeing => Health and safety
- Belonging => Culture and civic life

## Put the phases in order. {id=ord}
1. Formation
2. Roadmap
3. Performance
"""

SCORE_ONLY = """\
## Which Pillar asks who benefits? {id=who-benefits}
- (x) Racial Equity
  > Right: it asks who decides and who benefits.
- ( ) Climate Resilience

> Explanation: Racial Equity is about who decides and who benefits.
"""

EXAM = """\
## Which Pillar asks who decides? {id=ex-who tags=racial-equity}
- (x) Racial Equity
- ( ) Climate Resilience

## Residents are consulted only once the plan is drawn. {id=ex-when tags=racial-equity}
- ( ) True
- (x) False

## What does a rain garden hold back? {id=ex-rain tags=climate-resilience}
= water
= storm water

## By how many degrees can street trees cool a block? {id=ex-trees tags=climate-resilience}
= 2 ± 0.5
"""

TIMED = """\
## Which Pillar asks whether a place can withstand climate impacts? {id=timed}
- ( ) Racial Equity
- (x) Climate Resilience
"""


@pytest.fixture
def quiz_course(app, tmp_path, now):
    """A course of four quizzes (every type; review never; an exam; a one-minute quiz)."""
    root = tmp_path / "courses"
    jh.write_course(root, CODE, "Quiz practice", {
        "01-every-type.md": jh.quiz_md("Every kind of question", ALL_TYPES,
                                       passing_score=50, review="after_submit"),
        "02-score-only.md": jh.quiz_md("Score only", SCORE_ONLY, review="never"),
        "03-exam.md": jh.quiz_md("Practitioner exam", EXAM, intro="The exam.", exam=True,
                                 time_limit=30, passing_score=70),
        "04-timed.md": jh.quiz_md("One-minute check", TIMED, time_limit=1),
    })
    jh.import_tree(root, now)
    return root


@pytest.fixture
def learner(quiz_course, make_user, now):
    """A learner enrolled in the quiz course."""
    user = make_user("learner", name="Quinn Learner")
    courses.enrol(user, courses.get_course(CODE, user), now)
    return user


def reviewed(page: Page, stem: str):
    """The review of the question whose stem contains `stem`."""
    return page.locator("article.review-question").filter(has_text=stem)


def open_quiz(page: Page, slug: str, title: str) -> None:
    page.goto(jh.item_url(CODE, slug))
    expect(jh.page_heading(page)).to_have_text(title)


def attempts_of(user) -> list[Attempt]:
    db.session.expire_all()
    return list(db.session.scalars(select(Attempt).where(Attempt.user_id == user.id)))


def test_every_question_type_autosaves_across_a_reload_then_reviews(page: Page, learner,
                                                                    browser_sign_in):
    browser_sign_in(page, learner.email, jh.PASSWORD)
    open_quiz(page, "every-type", "Every kind of question")
    expect(page.get_by_text("7 questions")).to_be_visible()
    page.get_by_role("button", name="Start the quiz").click()
    expect(page.get_by_role("button", name="Submit quiz")).to_be_visible()
    expect(page.locator("fieldset.question")).to_have_count(7)
    expect(page.locator("#timer")).to_have_count(0)

    # Answer three questions; each change is autosaved by fetch.
    multi = jh.asked(page, "Pick the two Pillars.")
    jh.answer_and_wait_for_save(page, lambda: multi.get_by_label("Racial Equity").check())
    jh.answer_and_wait_for_save(page, lambda: multi.get_by_label("Climate Resilience").check())
    jh.answer_and_wait_for_save(page, lambda: jh.asked(page, "The Protocol applies").get_by_label(
        "False", exact=True).check())
    jh.answer_and_wait_for_save(page, lambda: jh.asked(page, "Who relaunched").get_by_label(
        "Partnership for Southern Equity").check())
    jh.expect_saved(page)

    # Reload mid-attempt: the answers are still there.
    page.reload()
    expect(page.locator("#save-status")).to_have_text("Your answers are saved as you go.")
    multi = jh.asked(page, "Pick the two Pillars.")
    expect(multi.get_by_label("Racial Equity")).to_be_checked()
    expect(multi.get_by_label("Climate Resilience")).to_be_checked()
    expect(multi.get_by_label("Land value growth")).not_to_be_checked()
    expect(jh.asked(page, "The Protocol applies").get_by_label("False", exact=True)).to_be_checked()
    expect(jh.asked(page, "Who relaunched").get_by_label("Partnership for Southern Equity")
           ).to_be_checked()

    # The rest: a wrong number, a text answer, matching and ordering.
    jh.asked(page, "How many CE hours").get_by_label("Your answer (a number)").fill("12")
    jh.asked(page, "community land trust").get_by_label("Your answer").fill("The land")
    matching = jh.asked(page, "Match each Commitment")
    matching.get_by_label("Mobility").select_option(label="Getting around safely")
    matching.get_by_label("Wellbeing").select_option(label="Health and safety")
    matching.get_by_label("Belonging").select_option(label="Culture and civic life")
    ordering = jh.asked(page, "Put the phases in order.")
    for position, phase in enumerate(["Formation", "Roadmap", "Performance"], start=1):
        ordering.get_by_label(phase).select_option(str(position))
    jh.submit_for_good(page)

    # Score, then the review with the right answers, feedback and explanations.
    expect(page.locator("#score")).to_have_text("88%")
    expect(page.locator(".result-pass")).to_have_text("Passed")
    expect(page.get_by_text("7 of 8 points")).to_be_visible()
    expect(page.get_by_role("heading", name="Review")).to_be_visible()
    expect(page.locator("article.review-question")).to_have_count(7)

    numeric = reviewed(page, "How many CE hours")
    expect(numeric).to_contain_text("Not right")
    expect(numeric).to_contain_text("12")
    expect(numeric).to_contain_text("Accepted answers:")
    expect(numeric).to_contain_text("30")

    multi = reviewed(page, "Pick the two Pillars.")
    expect(multi).to_contain_text("Right")
    expect(multi.locator("li.right")).to_have_count(2)
    expect(multi.get_by_text("correct answer")).to_have_count(2)
    expect(multi).to_contain_text("Not a goal of the framework: outcomes for residents are.")

    single = reviewed(page, "Who relaunched")
    expect(single).to_contain_text("Right: PSE relaunched it on its tenth anniversary.")
    expect(single.locator(".explanation")).to_contain_text(
        "the relaunch renamed EcoDistricts as Just Communities")
    expect(reviewed(page, "community land trust")).to_contain_text("The land")
    matches = reviewed(page, "Match each Commitment").get_by_role("table")
    expect(matches.get_by_role("row", name="Mobility")).to_contain_text("Getting around safely")
    expect(matches.get_by_role("columnheader", name="Correct matches")).to_be_visible()
    order = reviewed(page, "Put the phases in order.").get_by_role("table")
    expect(order.get_by_role("row")).to_have_count(4)
    expect(order.get_by_role("row").nth(1)).to_contain_text("Formation")

    attempt, = attempts_of(learner)
    assert (attempt.status, attempt.earned, attempt.possible) == ("submitted", 7, 8)


def test_review_never_shows_no_correct_answers(page: Page, learner, browser_sign_in):
    browser_sign_in(page, learner.email, jh.PASSWORD)
    open_quiz(page, "score-only", "Score only")
    page.get_by_role("button", name="Start the quiz").click()
    jh.asked(page, "Which Pillar asks who benefits?").get_by_label("Climate Resilience").check()
    jh.submit_for_good(page)

    expect(page.locator("#score")).to_have_text("0%")
    expect(page.locator(".result-fail")).to_have_text("Not passed")
    review = page.get_by_role("region", name="Review")
    expect(review).to_contain_text(
        "Answers are not reviewed for this quiz: only your score is shown.")
    expect(page.locator("article.review-question")).to_have_count(0)
    for hidden in ("correct answer", "Right: it asks", "Explanation", "who decides and who"):
        expect(page.get_by_text(hidden)).to_have_count(0)


def test_exam_needs_the_honour_statement_and_shows_only_score_and_topics(page: Page, learner,
                                                                          browser_sign_in):
    browser_sign_in(page, learner.email, jh.PASSWORD)
    open_quiz(page, "exam", "Practitioner exam")
    expect(page.get_by_text("This is an exam")).to_be_visible()
    expect(page.get_by_text("Time limit 30 minutes")).to_be_visible()
    honour = page.get_by_label("I agree to the honour statement")
    start = page.get_by_role("button", name="Start the exam")

    # Without the honour statement the exam does not start.
    start.click()
    expect(page).to_have_url(re.compile(r"/items/exam$"))
    assert honour.evaluate("el => el.validity.valueMissing") is True
    assert attempts_of(learner) == []
    # The server refuses too, when the browser's check is bypassed.
    honour.evaluate("el => el.removeAttribute('required')")
    start.click()
    expect(jh.flash(page)).to_contain_text("Confirm the honour statement to begin the exam.")
    assert attempts_of(learner) == []

    honour = page.get_by_label("I agree to the honour statement")
    honour.check()
    start.click()
    expect(page.get_by_role("button", name="Submit exam")).to_be_visible()
    expect(page.get_by_role("timer")).to_contain_text(re.compile(r"Time left: (30:00|29:\d\d)"))
    jh.asked(page, "Which Pillar asks who decides?").get_by_label("Racial Equity").check()
    jh.asked(page, "Residents are consulted").get_by_label("False", exact=True).check()
    jh.asked(page, "rain garden").get_by_label("Your answer").fill("sand")
    jh.asked(page, "street trees").get_by_label("Your answer (a number)").fill("9")
    jh.submit_for_good(page, "exam")

    # Score, pass or fail and the topic breakdown; no answers.
    expect(page.locator("#score")).to_have_text("50%")
    expect(page.locator(".result-fail")).to_have_text("Not passed")
    breakdown = page.get_by_role("table", name="Breakdown by topic")
    expect(breakdown.get_by_role("row")).to_have_count(4)  # header, "Pillars", two pillars
    expect(breakdown.get_by_role("row", name="Racial Equity")).to_contain_text("100%")
    expect(breakdown.get_by_role("row", name="Climate Resilience")).to_contain_text("0%")
    expect(page.get_by_role("heading", name="Review")).to_have_count(0)
    expect(page.locator("article.review-question")).to_have_count(0)
    for hidden in ("correct answer", "Accepted answers", "water", "Which Pillar asks who"):
        expect(page.get_by_text(hidden)).to_have_count(0)

    attempt, = attempts_of(learner)
    assert attempt.honour_confirmed_at is not None and attempt.status == "submitted"


def test_countdown_reaching_zero_submits_the_attempt(page: Page, learner, browser_sign_in,
                                                     live_clock):
    browser_sign_in(page, learner.email, jh.PASSWORD)
    started = datetime.now(UTC).replace(microsecond=0)
    live_clock["FROZEN_NOW"] = started
    open_quiz(page, "timed", "One-minute check")
    page.get_by_role("button", name="Start the quiz").click()
    expect(page.locator("#timer-value")).to_have_text(re.compile(r"^(1:00|0:59)$"))
    jh.answer_and_wait_for_save(page, lambda: jh.asked(page, "withstand climate").get_by_label(
        "Climate Resilience").check())

    # Eight seconds before the deadline: the page counts down and submits by itself. The
    # browser's clock is Playwright's, so the eight seconds pass at once, not in real time.
    live_clock["FROZEN_NOW"] = started + timedelta(seconds=52)
    page.clock.install()
    page.reload()
    expect(page.locator("#timer-value")).to_have_text("0:08")
    page.clock.run_for(7_000)
    expect(page.locator("#timer-value")).to_have_text("0:01")
    assert attempts_of(learner)[0].status == "open"  # not a second early
    page.clock.run_for(1_000)
    expect(page.locator("#score")).to_be_visible()
    expect(page.locator("#score")).to_have_text("100%")
    expect(page.locator(".result-pass")).to_have_text("Passed")

    attempt, = attempts_of(learner)
    assert attempt.status == "submitted"
    assert attempt.submitted_at == started + timedelta(seconds=52)


def test_attempt_on_a_phone(page: Page, learner, browser_sign_in):
    page.set_viewport_size(jh.PHONE)
    browser_sign_in(page, learner.email, jh.PASSWORD)
    open_quiz(page, "every-type", "Every kind of question")
    assert jh.page_width(page) <= jh.PHONE["width"] + 1
    page.get_by_role("button", name="Start the quiz").click()
    submit = page.get_by_role("button", name="Submit quiz…")
    expect(submit).to_be_visible()
    assert jh.page_width(page) <= jh.PHONE["width"] + 1

    matching = jh.asked(page, "Match each Commitment")
    select = matching.get_by_label("Belonging")
    select.scroll_into_view_if_needed()
    box = select.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= jh.PHONE["width"]
    jh.answer_and_wait_for_save(
        page, lambda: select.select_option(label="Culture and civic life"))
    submit.scroll_into_view_if_needed()
    box = submit.bounding_box()
    assert box is not None and box["x"] + box["width"] <= jh.PHONE["width"]
    submit.click()
    assert jh.page_width(page) <= jh.PHONE["width"] + 1  # the summary fits a phone too
    page.get_by_role("button", name="Submit quiz now (final)").click()
    expect(page.locator("#score")).to_be_visible()
    assert jh.page_width(page) <= jh.PHONE["width"] + 1
