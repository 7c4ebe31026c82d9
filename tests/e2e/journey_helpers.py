"""Helpers for the course and quiz browser journeys: a small course tree written to a temporary
folder and imported, and a few page helpers shared by the two journey files.

Nothing here is a fixture: the journey files call these functions with the shared fixtures'
values (`tmp_path`, `now`, `page`).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from lms.courses import services as courses
from lms.courses.models import Course, Item
from lms.extensions import db

PASSWORD = "correct-horse-battery"  # the shared make_user default
PHONE = {"width": 390, "height": 844}

#: The least program.yml the parser accepts (no `earn`: it would name courses of the real tree).
#: The category keys match courses/program.yml, which the live server's catalogue filter reads.
PROGRAM_YML = """\
credential: {name: Test Credential, abbreviation: TC, id_prefix: TC}
categories:
  racial-equity: {name: Racial Equity}
  climate-resilience: {name: Climate Resilience}
maintenance:
  cycle: {length_months: 24, anchor: earned}
  hours_per_cycle: 30
"""


def front_matter(data: dict) -> str:
    """A YAML front matter block for `data`."""
    return "---\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True) + "---\n\n"


def lesson_md(title: str, body: str, minutes: int = 5) -> str:
    """A lesson file."""
    return front_matter({"title": title, "estimated_minutes": minutes}) + body


def quiz_md(title: str, body: str, intro: str = "Answer every question.", **settings) -> str:
    """A quiz file with its settings in the front matter."""
    return front_matter({"type": "quiz", "title": title, **settings}) + intro + "\n\n" + body


def write_course(root: Path, code: str, title: str, items: dict[str, str], *,
                 summary: str = "A short course.", ce_category: str = "racial-equity",
                 level: str = "introductory", instructors: tuple[str, ...] = (),
                 ce_hours: float = 1) -> Path:
    """Write one course folder under `root` (and program.yml beside it when missing).

    `items` maps file names (``01-welcome.md``) to their text.
    """
    root.mkdir(parents=True, exist_ok=True)
    program = root / "program.yml"
    if not program.exists():
        program.write_text(PROGRAM_YML, encoding="utf-8")
    folder = root / code.lower()
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"code": code, "title": title, "summary": summary, "ce_hours": ce_hours,
            "ce_category": ce_category, "level": level, "instructors": list(instructors)}
    (folder / "course.md").write_text(front_matter(meta) + f"# {title}\n\n{summary}\n",
                                      encoding="utf-8")
    for name, text in items.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def import_tree(root: Path, now) -> courses.ImportReport:
    """Import every course under `root` (committed, so the live server sees it)."""
    return courses.import_courses(root, now)


def item_url(code: str, slug: str) -> str:
    return f"/courses/{code}/items/{slug}"


def course_item(code: str, slug: str) -> Item:
    """The item `slug` of course `code`, read fresh from the database."""
    db.session.expire_all()
    return db.session.scalar(select(Item).join(Course, Course.id == Item.course_id)
                             .where(Course.code == code, Item.slug == slug))


def flash(page: Page) -> Locator:
    """The flashed messages (not the info boxes that share their style)."""
    return page.get_by_role("region", name="Messages").locator(".flash")


def progress_bar(page: Page) -> Locator:
    """The course progress bar of a course or item page."""
    return page.locator("progress").first


def expect_percent(page: Page, percent: int) -> None:
    """The page's course progress bar shows `percent`."""
    bar = progress_bar(page)
    expect(bar).to_have_attribute("value", str(percent))
    expect(bar).to_have_attribute("aria-valuetext", f"{percent}% complete")


def asked(page: Page, stem: str) -> Locator:
    """The fieldset of an attempt page's question whose stem contains `stem`."""
    return page.locator("fieldset.question").filter(has_text=stem)


def answer_and_wait_for_save(page: Page, action: Callable[[], None]) -> None:
    """Do `action` (a change to an answer) and wait for the autosave request it triggers.

    Waits for the page's load event first: before it, quiz.js may not be listening yet and the
    change would trigger no save (a slow machine showed it)."""
    page.wait_for_load_state("load")
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith("/answers")) as saved:
        action()
    assert saved.value.ok, saved.value.status


def expect_saved(page: Page) -> None:
    expect(page.locator("#save-status")).to_contain_text("All answers saved")


def page_width(page: Page) -> int:
    """The page's laid-out width in CSS pixels, once its stylesheets have loaded.

    Right after a navigation an element can be visible before the stylesheets apply; measuring
    then gives the unstyled width, so wait for the load event first.
    """
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth")


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than its viewport (0 when it fits)."""
    page.wait_for_load_state("load")
    return page.evaluate(
        "() => document.documentElement.scrollWidth - window.innerWidth")


def page_heading(page: Page) -> Locator:
    """The page's own `<h1>` (a course overview written with `# Title` adds a second one)."""
    return page.get_by_role("main").get_by_role("heading", level=1).first


def submit_for_good(page: Page, what: str = "quiz") -> None:
    """Submit an attempt: "Submit quiz…" opens the summary, whose button submits for good."""
    page.get_by_role("button", name=f"Submit {what}…").click()
    expect(page.get_by_role("heading", level=1, name="Check before you submit")).to_be_visible()
    page.get_by_role("button", name=f"Submit {what} now (final)").click()
