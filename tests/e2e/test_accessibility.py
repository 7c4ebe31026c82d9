"""Accessibility in the browser: axe-core on every main page of every role, keyboard-only
journeys, reduced motion and 200% zoom.

The module seeds the real demo (`flask demo`) once into the test database, so every page has
believable content; one browser context per role signs in once. axe-core is vendored in
lms/static/vendor/axe-core and injected by these tests only (the contexts bypass the CSP for
that injected script; the pages never load it).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

import lms
from lms.demo import DEMO_PASSWORD

from .conftest import _shared_conftest

AXE = Path(lms.__file__).resolve().parent / "static" / "vendor" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ZOOMED = {"width": 640, "height": 400}  # 1280 × 800 at 200% zoom
SERIOUS = ("serious", "critical")

#: Only the violations that matter here, each with a few of its elements to find it by.
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ${v.help} — ` +
              v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(' | '));
}"""


@dataclass
class World:
    """The demo's URLs each role's pages are checked on, and who to sign in as."""

    pages: dict[str, list[str]] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    quiz_item: str = ""
    case_study: str = ""
    credential_id: str = ""
    thread: str = ""
    practice_quiz: str = ""


def _find_world() -> World:
    from lms.assignments.models import Assignment, Submission
    from lms.community.models import Thread
    from lms.courses.models import Course, Item
    from lms.credentials.models import Credential
    from lms.extensions import db
    from lms.quizzes.models import Quiz

    def item_of(code: str, kind: str) -> Item:
        course = db.session.scalar(select(Course).where(Course.code == code))
        return next(i for i in course.items
                    if i.kind == kind and i.active and not i.instructors_only)

    lesson = item_of("JC-101", "lesson")
    quiz_item = item_of("JC-101", "quiz")
    quiz = db.session.scalar(select(Quiz).where(Quiz.item_id == quiz_item.id))
    case = item_of("JC-201", "assignment")
    submission = db.session.scalar(select(Submission).join(Assignment)
                                   .where(Assignment.item_id == case.id)
                                   .order_by(Submission.id))
    credential = db.session.scalars(select(Credential).order_by(Credential.id)).first()
    thread = db.session.scalars(select(Thread).order_by(Thread.id)).first()
    holder = credential.user.email if hasattr(credential, "user") else None
    if holder is None:
        from lms.auth.models import User
        holder = db.session.get(User, credential.user_id).email

    def url(item: Item) -> str:
        return f"/courses/{item.course.code}/items/{item.slug}"

    practice = next(i for i in db.session.scalar(select(Course).where(Course.code == "JC-AP")).items
                    if i.kind == "quiz" and "practice" in i.slug)
    world = World(quiz_item=url(quiz_item), case_study=url(case), practice_quiz=url(practice),
                  credential_id=credential.credential_id,
                  thread=f"/community/threads/{thread.id}")
    world.emails = {"learner": "learner@example.org", "holder": holder,
                    "instructor": "instructor@example.org",
                    "registrar": "registrar@example.org", "admin": "admin@example.org",
                    "keyboard": KEYBOARD_USER}
    world.pages = {
        "anonymous": ["/", "/courses", "/courses/JC-101", "/account/signin",
                      "/account/register", "/verify", f"/verify/{credential.credential_id}",
                      "/directory", "/api/docs"],
        "learner": ["/dashboard", url(lesson), url(quiz_item), url(case), "/community/",
                    world.thread, "/notifications", "/account/profile"],
        "holder": ["/ce", "/credential"],
        "instructor": ["/teaching", url(lesson) + "/edit", f"/quiz/{quiz.id}/results",
                       "/assignments/grading", f"/assignments/grading/{submission.id}"],
        "registrar": ["/admin/cohorts", "/registrar/credentials",
                      f"/registrar/credentials/{credential.id}", "/admin/ce",
                      "/community/moderation"],
        "admin": ["/admin/users", "/admin/outbox"],
    }
    return world


KEYBOARD_USER = "keys@example.org"


def _add_keyboard_learner() -> None:
    """A learner of their own for the keyboard journeys, enrolled in JC-AP and JC-201."""
    from lms import clock
    from lms.auth import services as accounts
    from lms.courses import services as courses
    from lms.courses.models import Course
    from lms.extensions import db

    now = clock.now()
    user = accounts.create_user(KEYBOARD_USER, "Kim Keys", "learner", DEMO_PASSWORD, now)
    foundations = courses.enrol(
        user, db.session.scalar(select(Course).where(Course.code == "JC-101")), now)
    foundations.completed_at = now  # test set-up: JC-101 is the other courses' prerequisite
    db.session.commit()
    for code in ("JC-AP", "JC-201"):
        courses.enrol(user, db.session.scalar(select(Course).where(Course.code == code)), now)


@pytest.fixture(scope="module")
def world(live_server, pytestconfig) -> Iterator[World]:
    """The demo seeded once for the module; the tables are emptied after its last test."""
    app = live_server.app
    try:
        with app.app_context():
            result = app.test_cli_runner().invoke(args=["demo"])
            assert result.exit_code == 0, result.output
            _add_keyboard_learner()
            found = _find_world()
        yield found
    finally:
        _shared_conftest(pytestconfig)._clean_tables(app)


@pytest.fixture(scope="module")
def contexts(browser: Browser, live_server, world: World) -> Iterator[dict[str, BrowserContext]]:
    """One browser context per role, signed in once (anonymous stays signed out)."""
    made: dict[str, BrowserContext] = {}
    try:
        for role in world.pages:
            context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                          bypass_csp=True, viewport=DESKTOP)
            context.set_default_timeout(15_000)
            made[role] = context
            if role != "anonymous":
                page = context.new_page()
                page.goto("/account/signin")
                page.get_by_label(re.compile(r"^E-mail address( \*)?$")).fill(world.emails[role])
                page.get_by_label(re.compile(r"^Password( \*)?$")).fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                expect(page.get_by_role("button", name="Sign out",
                                        include_hidden=True)).to_be_attached()
                page.close()
        yield made
    finally:
        for context in made.values():
            context.close()


def axe_violations(page: Page) -> list[str]:
    """The page's serious and critical axe-core violations."""
    page.wait_for_load_state("load")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_RUN)


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)


ROLES = ["anonymous", "learner", "holder", "instructor", "registrar", "admin"]


@pytest.mark.parametrize("role", ROLES)
def test_axe_finds_no_serious_violations(role, contexts, world):
    """Every main page of the role, at desktop and phone widths."""
    page = contexts[role].new_page()
    found: list[str] = []
    urls = list(world.pages[role])
    try:
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            for url in urls:
                visit(page, url)
                found += [f"{url} @{size['width']}: {v}" for v in axe_violations(page)]
            if role == "learner":  # the attempt page of a quiz: opened from the quiz page
                visit(page, world.quiz_item)
                start = page.locator("form.start-form button[type=submit]")
                if start.count():
                    start.click()
                else:
                    page.get_by_role("button", name="Continue your attempt").click()
                expect(page.locator("fieldset.question").first).to_be_visible()
                found += [f"attempt @{size['width']}: {v}" for v in axe_violations(page)]
    finally:
        page.close()
    assert not found, "\n".join(found)


# --- reduced motion and zoom ------------------------------------------------------------------

NO_MOTION = """() => {
  const moving = [];
  for (const el of document.querySelectorAll('*')) {
    for (const pseudo of [null, '::before', '::after']) {
      const s = getComputedStyle(el, pseudo);
      const anim = s.animationName !== 'none' &&
        s.animationDuration.split(',').some(d => parseFloat(d) > 0.01);
      const trans = s.transitionDuration.split(',').some(d => parseFloat(d) > 0.01) &&
        s.transitionProperty !== 'none';
      if (anim || trans) moving.push(`${el.tagName.toLowerCase()}${pseudo || ''}` +
        `.${el.className}: ${s.animationName} ${s.animationDuration} ${s.transitionDuration}`);
    }
  }
  return moving.slice(0, 10);
}"""


@pytest.mark.parametrize("role", ["anonymous", "learner"])
def test_reduced_motion_stops_animations_and_transitions(role, contexts, world):
    page = contexts[role].new_page()
    try:
        page.emulate_media(reduced_motion="reduce")
        for url in world.pages[role][:4]:
            visit(page, url)
            assert page.evaluate("matchMedia('(prefers-reduced-motion: reduce)').matches")
            assert page.evaluate(NO_MOTION) == [], url
    finally:
        page.close()


#: The innermost elements that reach past the viewport's right edge (to find a fault by).
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > innerWidth + 1 &&
                ![...el.children].some(c => c.getBoundingClientRect().right > innerWidth + 1))
  .slice(0, 4).map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') +
                         ' ' + (el.textContent || '').trim().slice(0, 40))"""


@pytest.mark.parametrize("role", ROLES)
def test_zoom_200_percent_keeps_pages_in_the_width(role, contexts, world):
    """At 640 CSS px (1280 px at 200%) nothing scrolls sideways and the nav is reachable."""
    page = contexts[role].new_page()
    page.set_viewport_size(ZOOMED)
    wide: list[str] = []
    try:
        for url in world.pages[role]:
            visit(page, url)
            page.wait_for_load_state("load")
            overflow = page.evaluate(
                "() => document.scrollingElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                wide.append(f"{url}: {overflow}px too wide: {page.evaluate(WIDEST)}")
        # the navigation: visible, or behind a Menu button that opens it
        visit(page, world.pages[role][0])
        nav = page.get_by_role("navigation").first
        expect(nav).to_be_attached()
        menu = page.get_by_role("button", name=re.compile("^Menu"))
        if menu.count() and menu.first.is_visible():
            menu.first.focus()
            page.keyboard.press("Enter")
        link = nav.get_by_role("link").first
        expect(link).to_be_visible()
    finally:
        page.close()
    assert not wide, "\n".join(wide)


# --- keyboard only ----------------------------------------------------------------------------

FOCUS_VISIBLE = """el => {
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  return outline || (s.boxShadow && s.boxShadow !== 'none');
}"""


def tab_to(page: Page, target, *, back: bool = False, limit: int = 200,
           check_focus: bool = True) -> None:
    """Press Tab (Shift+Tab when `back`) until `target` (a locator) has the focus; then, with
    `check_focus`, the focused element must show it (an outline or a box shadow)."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if target.evaluate("el => el === document.activeElement"):
            if check_focus:
                assert target.evaluate(FOCUS_VISIBLE), f"no visible focus on {target}"
            return
    raise AssertionError(f"the keyboard never reached {target}")


@pytest.fixture
def keyboard_page(browser: Browser, live_server) -> Iterator[Page]:
    """A fresh signed-out page (its own context) that accepts confirmation dialogs."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        yield page
    finally:
        context.close()


def keyboard_sign_in(page: Page, email: str) -> None:
    page.goto("/account/signin")
    tab_to(page, page.get_by_label(re.compile(r"^E-mail address( \*)?$")))
    page.keyboard.type(email)
    tab_to(page, page.get_by_label(re.compile(r"^Password( \*)?$")))
    page.keyboard.type(DEMO_PASSWORD)
    tab_to(page, page.get_by_role("button", name="Sign in"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out", include_hidden=True)).to_be_attached()


#: Every answer control of the attempt page, in page order, with what to do with it.
CONTROLS = """() => [...document.querySelectorAll('fieldset.question')].map(q => {
  const radio = q.querySelector('input[type=radio]');
  if (radio) return [{kind: 'radio', sel: `input[name="${radio.name}"]`}];
  const box = q.querySelector('input[type=checkbox]:not([name^="flag-"])');
  if (box) return [{kind: 'checkbox', sel: `input[name="${box.name}"][value="${box.value}"]`}];
  const text = q.querySelector('input[type=text]');
  if (text) return [{kind: text.hasAttribute('data-numeric') ? 'number' : 'text',
                     sel: '#' + CSS.escape(text.id)}];
  return [...q.querySelectorAll('select')].map((s, i) => ({kind: 'select', n: i + 1,
                                                           sel: '#' + CSS.escape(s.id)}));
}).flat()"""


def test_keyboard_only_sign_in_quiz_and_case_study(keyboard_page: Page, world: World):
    """Sign in, answer every question type of the practice quiz and submit it, then write and
    submit the case study: Tab, Shift+Tab, Space, arrows and Enter only."""
    page = keyboard_page
    keyboard_sign_in(page, KEYBOARD_USER)

    page.goto(world.practice_quiz)
    tab_to(page, page.get_by_role("button", name=re.compile("^Start")))
    page.keyboard.press("Enter")
    expect(page.locator("fieldset.question").first).to_be_visible()
    page.wait_for_load_state("load")
    controls = page.evaluate(CONTROLS)
    kinds = {c["kind"] for c in controls}
    assert kinds == {"radio", "checkbox", "text", "number", "select"}, kinds
    for control in controls:
        target = page.locator(control["sel"]).first
        tab_to(page, target)
        if control["kind"] in ("radio", "checkbox"):
            page.keyboard.press("Space")
            expect(target).to_be_checked()
        elif control["kind"] == "number":
            page.keyboard.type("30")
        elif control["kind"] == "text":
            page.keyboard.type("civic-public-private partnership")
        else:  # a matching or ordering select: the n-th choice, so no two share one
            for _ in range(control["n"]):
                page.keyboard.press("ArrowDown")
            assert target.evaluate("el => el.selectedIndex") == control["n"]
    # back up with Shift+Tab to a question's control, then forward to the submit button
    tab_to(page, page.locator(controls[0]["sel"]).first, back=True)
    tab_to(page, page.get_by_role("button", name="Submit quiz…"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Check before you submit")).to_be_visible()
    tab_to(page, page.get_by_role("button", name="Submit quiz now (final)"))
    page.keyboard.press("Enter")
    expect(page.locator("#score")).to_be_visible()

    page.goto(world.case_study)
    tab_to(page, page.get_by_label("Your response (Markdown)"))
    page.keyboard.type("Residents lead the heat plan; the council funds it.")
    tab_to(page, page.get_by_role("button", name="Submit", exact=True))
    page.keyboard.press("Enter")  # the confirmation dialog is accepted
    expect(page.get_by_role("region", name="Messages")).to_contain_text("ubmitted")


def test_keyboard_only_verify_a_credential(keyboard_page: Page, world: World):
    page = keyboard_page
    page.goto("/verify")
    tab_to(page, page.get_by_label(re.compile("^Credential ID")))
    page.keyboard.type(world.credential_id)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(world.credential_id)))
    expect(page.get_by_role("main")).to_contain_text(world.credential_id)


def test_keyboard_only_reply_on_a_thread(contexts, world: World):
    page = contexts["learner"].new_page()
    try:
        page.goto(world.thread)
        tab_to(page, page.get_by_label("Your reply"))
        page.keyboard.type("Typed without a mouse: count me in for the walk-through.")
        tab_to(page, page.get_by_role("button", name="Post reply"))
        page.keyboard.press("Enter")
        expect(page.get_by_role("main")).to_contain_text("Typed without a mouse")
    finally:
        page.close()
