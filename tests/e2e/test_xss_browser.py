"""A sample of the XSS corpus in real Chromium: the whole corpus as a lesson and a case-study
draft, and one-line payloads as the learner's name, opened by the learner and the instructor
with traps: any dialog (alert/confirm/prompt) and any request leaving the live server fail.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page

from lms.auth import services as auth
from lms.courses import services as courses
from tests.builders import item, lesson
from tests.security.test_xss import lesson_text
from tests.security.xss import PAYLOADS
from tests.world import build_world

pytestmark = pytest.mark.e2e
PASSWORD = "correct-horse-battery"


def _trapped(page: Page, origin: str) -> tuple[list[str], list[str]]:
    dialogs: list[str] = []
    leaks: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_route(route) -> None:
        url = route.request.url
        if url.startswith(origin) or url.startswith("data:"):
            route.continue_()
        else:
            leaks.append(url)
            route.abort()

    page.on("dialog", on_dialog)
    page.route("**/*", on_route)
    return dialogs, leaks


def test_corpus_runs_nothing_and_loads_nothing_in_chromium(app, tmp_path, now, make_user,
                                                          sign_in, live_server, new_context,
                                                          browser_sign_in):
    world = build_world(app, tmp_path, now, make_user, sign_in)
    # payloads that glue an attribute onto the image's path name no file: the linter refuses
    # them (tests/security/test_xss.py stores them one at a time), as it refuses NUL
    # characters; the rest go in one lesson
    document = "\n\n".join(p for p in PAYLOADS
                            if 'x.png"' not in p and "x.png'" not in p and "\x00" not in p)
    courses.publish_source(item("CS-1", "intro"), lesson("Introduction", lesson_text(document)),
                           world.users["inst"], now)
    auth.update_profile(world.users["learner"], {"name": "<img src=x onerror=alert(1)>"[:100]})
    for person, urls in (("learner", ["/courses/CS-1/items/intro", "/account/profile",
                                      "/courses/CS-1/items/case"]),
                         ("inst", ["/courses/CS-1/items/intro",
                                   f"/assignments/grading/{world.values['submission_id']}"])):
        page = new_context().new_page()
        dialogs, leaks = _trapped(page, live_server.url)
        browser_sign_in(page, world.users[person].email, PASSWORD)
        for url in urls:
            page.goto(url)
            page.wait_for_load_state("networkidle")
            for link in page.locator("main a").all()[:40]:
                link.hover(timeout=2000, force=True)
            assert not dialogs, f"{person} {url}: {dialogs}"
            assert not leaks, f"{person} {url}: {leaks}"
        page.close()
