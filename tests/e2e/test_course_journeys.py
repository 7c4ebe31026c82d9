"""Course journeys in a real browser: the catalogue's search and filters, enrolling, reading a
lesson (admonition box, table of contents, previous/next), marking lessons complete until the
progress bar reads 100%, "Continue where you left off" on the dashboard, in-browser authoring
with live preview, history, diff and restore, and a lesson on a phone-sized screen.

The courses are written to a temporary folder and imported with the real importer; people are
made with the shared `make_user` factory and sign in through the real sign-in page.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from lms.courses import services as courses
from tests.e2e import journey_helpers as jh

pytestmark = pytest.mark.e2e


EQUITY = "JC-T1"
EQUITY_TITLE = "Neighbourhood Equity Basics"
CLIMATE = "JC-T2"
CLIMATE_TITLE = "Climate Resilience in Practice"
AUTHOR = "author@example.org"

WHO_DECIDES = jh.lesson_md("Who decides, who benefits", """\
## Learning objectives

- Explain what the Racial Equity Pillar asks of a project.

## Who decides

Residents shape the plan from the first meeting.

!!! tip "Ask early"
    Invite residents before the plan is drawn, not after.

## Key points

| Pillar | Asks |
|---|---|
| Racial Equity | who decides, who benefits and who bears the costs |
| Climate Resilience | whether the place can withstand what is coming |

```text
A long line of code that must scroll inside its own box rather than widen the page on a phone.
```
""")

SHARED_MEASURES = jh.lesson_md("Shared measures", """\
## Measuring together

Partners agree on a few indicators and report them the same way.
""")

CHECK_QUIZ = jh.quiz_md("Check your understanding", """\
## Who should shape a neighbourhood plan? {id=who}
- (x) The residents, from the start
- ( ) The developer alone
""", passing_score=100)

HEAT = jh.lesson_md("Heat and shade", "## Trees\n\nStreet trees cool a block.\n")
FLOODS = jh.lesson_md("Flood-ready streets", "## Rain gardens\n\nThey hold water.\n")


@pytest.fixture
def course_tree(app, tmp_path, now):
    """Two published courses: JC-T1 (two lessons and a quiz), JC-T2 (two lessons)."""
    root = tmp_path / "courses"
    jh.write_course(root, EQUITY, EQUITY_TITLE, {
        "01-who-decides.md": WHO_DECIDES,
        "02-shared-measures.md": SHARED_MEASURES,
        "03-check.md": CHECK_QUIZ,
    }, summary="Who decides and who benefits in neighbourhood development.",
        ce_category="racial-equity", level="introductory", instructors=(AUTHOR,))
    jh.write_course(root, CLIMATE, CLIMATE_TITLE, {
        "01-heat.md": HEAT,
        "02-floods.md": FLOODS,
    }, summary="Heat, floods and the streets that carry them.",
        ce_category="climate-resilience", level="advanced")
    jh.import_tree(root, now)
    return root


def _course_cards(page: Page):
    return page.locator("article.course-card")


def _catalogue_count(page: Page):
    return page.get_by_role("status").filter(has_text=re.compile(r"^\d+ courses?$"))


def test_catalogue_enrol_read_complete_and_continue(page: Page, app, course_tree, make_user,
                                                    browser_sign_in):
    learner = make_user("learner", name="Lee Learner")
    browser_sign_in(page, learner.email, jh.PASSWORD)

    # The catalogue: search by word, then filter by category and by level.
    page.goto("/courses")
    expect(page.get_by_role("heading", name="Course catalogue")).to_be_visible()
    expect(_catalogue_count(page)).to_have_text("2 courses")
    page.get_by_role("searchbox", name="Search").fill("resilience")
    page.get_by_role("button", name="Filter").click()
    expect(_catalogue_count(page)).to_have_text("1 course")
    expect(_course_cards(page)).to_have_count(1)
    expect(page.get_by_role("link", name=CLIMATE_TITLE)).to_be_visible()

    page.get_by_role("searchbox", name="Search").fill("")
    page.get_by_label("CE category").select_option(label="Racial Equity")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"category=racial-equity"))
    expect(_course_cards(page)).to_have_count(1)
    expect(page.get_by_role("link", name=EQUITY_TITLE)).to_be_visible()

    page.get_by_label("CE category").select_option(label="All categories")
    page.get_by_label("Level").select_option(label="Advanced")
    page.get_by_role("button", name="Filter").click()
    expect(_course_cards(page)).to_have_count(1)
    expect(page.get_by_role("link", name=CLIMATE_TITLE)).to_be_visible()

    page.get_by_label("Level").select_option(label="All levels")
    page.get_by_role("button", name="Filter").click()
    expect(_course_cards(page)).to_have_count(2)

    # Open the course and enrol.
    page.get_by_role("link", name=EQUITY_TITLE).click()
    expect(jh.page_heading(page)).to_have_text(EQUITY_TITLE)
    page.get_by_role("button", name="Enrol in this course").click()
    expect(jh.flash(page)).to_contain_text(f"You are enrolled in {EQUITY_TITLE}.")
    jh.expect_percent(page, 0)
    expect(page.get_by_text("0 of 3 items done.")).to_be_visible()

    # Read the first lesson: an admonition box and a table of contents.
    page.get_by_role("button", name="Continue: Who decides, who benefits").click()
    expect(page.get_by_role("heading", level=1, name="Who decides, who benefits")).to_be_visible()
    box = page.get_by_role("note").filter(has_text="Ask early")
    expect(box).to_be_visible()
    expect(box).to_have_class(re.compile(r"\badmonition\b"))
    expect(box).to_contain_text("Invite residents before the plan is drawn")
    toc = page.get_by_role("navigation", name="On this page")
    expect(toc.get_by_role("link")).to_have_text(["Learning objectives", "Who decides",
                                                  "Key points"])
    toc.get_by_role("link", name="Key points").click()
    expect(page).to_have_url(re.compile(r"#key-points$"))
    expect(page.locator("#key-points")).to_be_in_viewport()

    # Next and previous.
    pager = page.get_by_role("navigation", name="Previous and next")
    expect(pager.locator("a[rel=prev]")).to_have_count(0)
    pager.get_by_role("link", name="Shared measures →").click()
    expect(page.get_by_role("heading", level=1, name="Shared measures")).to_be_visible()
    pager.get_by_role("link", name="← Who decides, who benefits").click()
    expect(page.get_by_role("heading", level=1, name="Who decides, who benefits")).to_be_visible()

    # Mark the first lesson complete: on to the second, a third of the way there.
    page.get_by_role("button", name="Mark as complete and continue").click()
    expect(page.get_by_role("heading", level=1, name="Shared measures")).to_be_visible()
    expect(jh.flash(page)).to_contain_text("“Who decides, who benefits” marked complete.")
    jh.expect_percent(page, 33)
    page.get_by_text("Course contents", exact=True).click()  # a closed <details> beside a toc
    outline = page.get_by_role("navigation", name="Course contents")
    expect(outline.get_by_role("listitem").filter(has_text="Who decides, who benefits")
           ).to_contain_text("Done")

    # The dashboard offers to continue where the learner left off.
    page.goto("/dashboard")
    section = page.get_by_role("region", name="Continue where you left off")
    expect(section).to_be_visible()
    expect(section.get_by_role("link", name=EQUITY_TITLE)).to_be_visible()
    expect(section.locator("progress")).to_have_attribute("value", "33")
    section.get_by_role("button", name="Continue: Shared measures").click()
    expect(page.get_by_role("heading", level=1, name="Shared measures")).to_be_visible()

    # The second lesson leads to the quiz; passing it completes the course.
    page.get_by_role("button", name="Mark as complete and continue").click()
    expect(page.get_by_role("heading", level=1, name="Check your understanding")).to_be_visible()
    jh.expect_percent(page, 67)
    page.get_by_role("button", name="Start the quiz").click()
    jh.asked(page, "Who should shape").get_by_label("The residents, from the start").check()
    jh.submit_for_good(page)
    expect(page.locator("#score")).to_have_text("100%")
    expect(page.locator(".result-pass")).to_have_text("Passed")

    page.goto(f"/courses/{EQUITY}")
    jh.expect_percent(page, 100)
    expect(page.get_by_text("3 of 3 items done.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Completed "))).to_be_visible()

    # Nothing is left to continue.
    page.goto("/dashboard")
    expect(page.get_by_role("heading", name="Continue where you left off")).to_have_count(0)
    expect(page.get_by_role("heading", name="My courses")).to_be_visible()
    expect(page.locator("article").filter(has_text=EQUITY_TITLE)).to_contain_text("Completed")


def test_course_of_lessons_only_reaches_100_percent(page: Page, app, course_tree, make_user,
                                                    browser_sign_in):
    learner = make_user("learner")
    browser_sign_in(page, learner.email, jh.PASSWORD)
    page.goto(f"/courses/{CLIMATE}")
    page.get_by_role("button", name="Enrol in this course").click()
    jh.expect_percent(page, 0)

    page.get_by_role("region", name="Contents").get_by_role("link", name="Heat and shade").click()
    page.get_by_role("button", name="Mark as complete and continue").click()
    expect(page.get_by_role("heading", level=1, name="Flood-ready streets")).to_be_visible()
    jh.expect_percent(page, 50)
    # The last lesson has no "next": the button just marks it complete.
    expect(page.locator("a[rel=next]")).to_have_count(0)
    page.get_by_role("button", name="Mark as complete", exact=True).click()

    expect(jh.page_heading(page)).to_have_text(CLIMATE_TITLE)
    expect(jh.flash(page)).to_contain_text(f"Congratulations: you have completed {CLIMATE_TITLE}!")
    jh.expect_percent(page, 100)
    expect(page.get_by_text("2 of 2 items done.")).to_be_visible()

    page.goto("/courses")
    expect(_course_cards(page).filter(has_text=CLIMATE_TITLE)).to_contain_text("Completed")


def test_instructor_edits_with_live_preview_then_restores_a_revision(page: Page, app,
                                                                      course_tree, make_user,
                                                                      browser_sign_in):
    author = make_user("instructor", email=AUTHOR, name="Ada Author")
    browser_sign_in(page, author.email, jh.PASSWORD)
    lesson = jh.item_url(EQUITY, "who-decides")

    page.goto(lesson)
    expect(page.get_by_text("Instructor preview")).to_be_visible()
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit “Who decides, who benefits”")
    preview = page.locator("#preview")
    expect(preview.get_by_role("heading", name="Who decides", exact=True)).to_be_visible()

    # Typing updates the preview, rendered by the server.
    editor = page.get_by_label("Markdown")
    original = editor.input_value()
    assert original.startswith("---\ntitle: Who decides, who benefits")
    editor.fill(original + "\n## Freshly added heading\n\nWritten in the *browser*.\n")
    expect(preview.get_by_role("heading", name="Freshly added heading")).to_be_visible()
    expect(preview.locator("em")).to_have_text("browser")

    page.get_by_label("What changed (optional)").fill("Added a heading")
    page.get_by_role("button", name="Publish").click()
    expect(jh.flash(page)).to_contain_text("Saved as revision 2.")

    page.goto(lesson)
    expect(page.get_by_role("heading", name="Freshly added heading")).to_be_visible()

    # History, the diff of the new revision, and restoring the first one.
    page.get_by_role("link", name="History", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "History of “Who decides, who benefits”")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    newest = rows.filter(has_text="Added a heading")
    expect(newest).to_contain_text("current")
    expect(newest).to_contain_text("Ada Author")
    newest.get_by_role("link", name="Changes").click()
    expect(page.get_by_role("heading", level=1, name="Revision 2")).to_be_visible()
    expect(page.locator(".diff-add").filter(has_text="## Freshly added heading")).to_have_count(1)
    expect(page.locator(".diff-del")).to_have_count(0)

    page.get_by_role("link", name="← History of Who decides, who benefits").click()
    page.get_by_role("button", name="Restore revision 1").click()
    expect(jh.flash(page)).to_contain_text("Revision 1 restored as revision 3.")
    expect(page.locator("tbody tr")).to_have_count(3)

    page.goto(lesson)
    expect(page.get_by_role("heading", name="Who decides", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Freshly added heading")).to_have_count(0)
    item = jh.course_item(EQUITY, "who-decides")
    assert (item.revision, item.source) == (3, original)


def test_lesson_on_a_phone(page: Page, app, course_tree, make_user, browser_sign_in, now):
    learner = make_user("learner")
    courses.enrol(learner, courses.get_course(EQUITY, learner), now)
    page.set_viewport_size(jh.PHONE)
    browser_sign_in(page, learner.email, jh.PASSWORD)

    page.goto(jh.item_url(EQUITY, "who-decides"))
    expect(page.get_by_role("heading", level=1, name="Who decides, who benefits")).to_be_visible()
    expect(page.get_by_role("note").filter(has_text="Ask early")).to_be_visible()
    assert jh.page_width(page) <= jh.PHONE["width"] + 1
    assert jh.horizontal_overflow(page) <= 1

    button = page.get_by_role("button", name="Mark as complete and continue")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= jh.PHONE["width"]
    button.click()
    expect(page.get_by_role("heading", level=1, name="Shared measures")).to_be_visible()
    assert jh.page_width(page) <= jh.PHONE["width"] + 1
