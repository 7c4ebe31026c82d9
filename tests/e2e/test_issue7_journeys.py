"""Issue 7 journeys in a real browser: the summary before submitting with a flagged question,
the countdown that stays in view (and speaks at 10 minutes left), a lesson edited as a draft,
previewed, then published (with the leave-page warning), and Enrol disabled while a
prerequisite is unmet."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from lms.courses import services as courses
from tests.builders import choice_questions
from tests.e2e import journey_helpers as jh

pytestmark = pytest.mark.e2e

CODE = "JC-X7"
AUTHOR = "author7@example.org"


@pytest.fixture
def course7(app, tmp_path, now):
    root = tmp_path / "courses"
    jh.write_course(root, "JC-P7", "Foundations first", {
        "01-intro.md": jh.lesson_md("Intro", "Start here."),
    })
    jh.write_course(root, CODE, "Exam screen practice", {
        "01-lesson.md": jh.lesson_md("Who decides", "The original lesson text."),
        "02-three.md": jh.quiz_md("Three questions", choice_questions(3)),
        "03-long-timed.md": jh.quiz_md("Long timed check", choice_questions(
            12, stem="Question {k}: read this long stem carefully before you answer it?"),
            time_limit=30),
        "04-numeric.md": jh.quiz_md("Numbers", "## How many Commitments? {id=n}\n= 5\n"),
    }, instructors=(AUTHOR,))
    jh.write_course(root, "JC-N7", "Next steps", {
        "01-next.md": jh.lesson_md("Next", "After the foundations."),
    })
    jh.import_tree(root, now)
    # JC-N7 needs JC-P7: add the prerequisite and import again
    course_md = root / "jc-n7" / "course.md"
    course_md.write_text(course_md.read_text().replace("instructors: []",
                                                       "instructors: []\nprerequisites: [JC-P7]"))
    jh.import_tree(root, now)
    return root


@pytest.fixture
def learner7(course7, make_user, now):
    user = make_user("learner", name="Lee Learner")
    courses.enrol(user, courses.get_course(CODE, user), now)
    return user


def test_the_summary_before_submitting_lists_a_flagged_question(page: Page, learner7,
                                                                browser_sign_in):
    browser_sign_in(page, learner7.email, jh.PASSWORD)
    page.goto(jh.item_url(CODE, "three"))
    page.get_by_role("button", name="Start the quiz").click()
    first, second = jh.asked(page, "number 1?"), jh.asked(page, "number 2?")
    jh.answer_and_wait_for_save(page, lambda: first.get_by_label("Right q1").check())
    jh.answer_and_wait_for_save(page, lambda: second.get_by_label("Flag for review").check())

    page.get_by_role("button", name="Submit quiz…").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check before you submit")
    counts = page.locator("#submit-counts")
    expect(counts).to_contain_text("1 answered")
    expect(counts).to_contain_text("2 unanswered")
    expect(counts).to_contain_text("1 flagged for review")
    table = page.get_by_role("table", name="Your 3 questions")
    expect(table.get_by_role("row", name="Question 2")).to_contain_text("Flagged for review")
    expect(table.get_by_role("row", name="Question 3")).to_contain_text("Not answered")

    # Back to question 2 through its link: the flag is still ticked; answer it and unflag.
    table.get_by_role("link", name="Question 2").click()
    expect(page).to_have_url(re.compile(r"/quiz/attempts/\d+#question-2$"))
    second = jh.asked(page, "number 2?")
    expect(second.get_by_label("Flag for review")).to_be_checked()
    jh.answer_and_wait_for_save(page, lambda: second.get_by_label("Right q2").check())
    jh.answer_and_wait_for_save(page, lambda: second.get_by_label("Flag for review").uncheck())
    page.get_by_role("button", name="Submit quiz…").click()
    expect(page.locator("#submit-counts")).to_contain_text("2 answered")
    expect(page.locator("#submit-counts")).to_contain_text("0 flagged for review")
    page.get_by_role("button", name="Submit quiz now (final)").click()

    expect(page.locator("#score")).to_have_text("67%")
    expect(page.get_by_text("2 of 3 points")).to_be_visible()
    expect(page.locator("#next-item")).to_have_text("Next item: Long timed check →")


def test_the_countdown_stays_in_view_and_speaks_at_ten_minutes(page: Page, learner7,
                                                               browser_sign_in, live_clock):
    browser_sign_in(page, learner7.email, jh.PASSWORD)
    started = datetime.now(UTC).replace(microsecond=0)
    live_clock["FROZEN_NOW"] = started
    page.goto(jh.item_url(CODE, "long-timed"))
    page.get_by_role("button", name="Start the quiz").click()
    expect(page.get_by_text("Time allowed: 30 minutes")).to_be_visible()
    navigator = page.get_by_role("navigation", name="Questions")
    expect(navigator.get_by_role("link")).to_have_count(12)

    # Scrolled to the last question, the timer is still on screen.
    last = jh.asked(page, "Question 12:")
    last.scroll_into_view_if_needed()
    page.mouse.wheel(0, 5000)
    expect(page.locator("#timer")).to_be_in_viewport()
    box = page.locator("#timer").bounding_box()
    assert box is not None and 0 <= box["y"] < 80

    # Three seconds before "10 minutes left" the live region announces it once reached. The
    # browser's clock is Playwright's, so the three seconds pass at once, not in real time.
    live_clock["FROZEN_NOW"] = started + timedelta(minutes=20, seconds=-3)
    page.clock.install()
    page.reload()
    alert = page.locator("#timer-alert")
    expect(alert).to_have_attribute("aria-live", "assertive")
    expect(alert).not_to_have_text("10 minutes left.")
    page.clock.run_for(3_000)
    expect(alert).to_have_text("10 minutes left.")

    # The navigator marks answered questions.
    first_link = navigator.get_by_role("link").first
    jh.answer_and_wait_for_save(page, lambda: jh.asked(page, "Question 1:").get_by_label(
        "Right q1").check())
    expect(first_link).to_have_class(re.compile(r"is-answered"))


def test_a_draft_is_previewed_then_published(page: Page, course7, make_user, browser_sign_in,
                                             learner7, browser):
    author = make_user("instructor", email=AUTHOR, name="Ada Author")
    browser_sign_in(page, author.email, jh.PASSWORD)
    lesson = jh.item_url(CODE, "lesson")
    page.goto(lesson + "/edit")
    editor = page.get_by_label("Markdown")
    original = editor.input_value()

    # Leaving with unsaved changes asks first.
    editor.click()
    page.keyboard.press("End")
    page.keyboard.type(" Unsaved words.")
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", on_dialog)
    page.get_by_role("link", name="History").click()
    page.wait_for_timeout(500)  # give the refused navigation time to settle
    assert dialogs == ["beforeunload"]
    expect(page).to_have_url(re.compile(r"/edit$"))
    page.remove_listener("dialog", on_dialog)

    editor.fill(original.replace("The original lesson text.", "A draft sentence."))
    page.get_by_role("button", name="Save draft").click()
    expect(jh.flash(page)).to_contain_text("Draft saved: learners still see revision 1")
    expect(page.get_by_label("Markdown")).to_have_value(re.compile("A draft sentence."))

    # A learner still reads the published text; the instructor previews the draft.
    other = browser.new_page(base_url=page.url.split("/courses")[0])
    browser_sign_in(other, learner7.email, jh.PASSWORD)
    other.goto(lesson)
    expect(other.get_by_text("The original lesson text.")).to_be_visible()
    expect(other.get_by_text("A draft sentence.")).to_have_count(0)

    page.get_by_role("link", name="Preview the draft as learners will see it").click()
    expect(page.get_by_text("Draft preview")).to_be_visible()
    expect(page.get_by_text("A draft sentence.")).to_be_visible()
    page.get_by_role("link", name="Back to the editor").click()

    # Broken front matter is refused beside the editor, keeping the text.
    editor = page.get_by_label("Markdown")
    kept = editor.input_value()
    editor.fill(kept.replace("---\n", "", 1))
    page.get_by_role("button", name="Publish").click()
    problems = page.locator("#editor-problems")
    expect(problems).to_contain_text("1: front matter must start with a '---' line")
    expect(page.get_by_label("Markdown")).to_have_value(re.compile("A draft sentence."))

    page.get_by_label("Markdown").fill(kept)
    page.get_by_role("button", name="Publish").click()
    expect(jh.flash(page)).to_contain_text("Saved as revision 2.")
    other.goto(lesson)
    expect(other.get_by_text("A draft sentence.")).to_be_visible()
    other.close()


def test_enrol_is_disabled_with_its_reason(page: Page, course7, make_user, browser_sign_in):
    learner = make_user("learner")
    browser_sign_in(page, learner.email, jh.PASSWORD)
    page.goto("/courses/JC-N7")
    button = page.get_by_role("button", name="Enrol in this course")
    expect(button).to_be_disabled()
    expect(page.locator("#enrol-reason")).to_have_text(
        "You can enrol once you have completed Foundations first.")
    assert button.get_attribute("aria-describedby") == "enrol-reason"
    page.get_by_role("link", name="Foundations first").last.click()
    page.get_by_role("button", name="Enrol in this course").click()
    expect(jh.flash(page)).to_contain_text("You are enrolled in Foundations first.")


def test_a_numeric_answer_in_words_is_flagged_before_saving(page: Page, learner7,
                                                            browser_sign_in):
    browser_sign_in(page, learner7.email, jh.PASSWORD)
    page.goto(jh.item_url(CODE, "numeric"))
    page.get_by_role("button", name="Start the quiz").click()
    expect(page).to_have_url(re.compile(r"/quiz/attempts/\d+$"))
    page.wait_for_load_state("load")  # quiz.js is listening before the learner types
    field = page.get_by_label("Your answer (a number)")
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    field.fill("twenty-two")

    help_text = page.locator("#q-n-help")
    expect(help_text).to_have_text("“twenty-two” is not a number: write it in digits, e.g. 22.")
    expect(field).to_have_attribute("aria-invalid", "true")
    page.wait_for_timeout(1200)  # past the autosave delay: nothing was sent
    assert posts == []
    page.get_by_role("button", name="Submit quiz…").click()
    expect(page.locator("#save-status")).to_contain_text("Correct the answers marked in red")
    expect(page).to_have_url(re.compile(r"/quiz/attempts/\d+$"))

    jh.answer_and_wait_for_save(page, lambda: field.fill("5"))
    expect(help_text).to_have_text("Digits only, e.g. 22, -3 or 2.5 (a decimal comma is fine).")
    expect(field).not_to_have_attribute("aria-invalid", "true")
