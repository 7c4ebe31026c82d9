"""Issue 7, course and dashboard: Enrol disabled with its reason while a prerequisite is unmet;
each course once on the dashboard; "Welcome back" only to returning learners, greeted once."""
from __future__ import annotations

import re
from pathlib import Path

from lms.extensions import db
from tests.builders import basic_course, client_for, text_of
from tests.courses.test_course_views import enrol

ROOT = Path(__file__).resolve().parents[2]


def test_enrol_is_disabled_with_the_reason_while_a_prerequisite_is_unmet(
        app, setup, make_user, sign_in, now):
    setup({"c1": basic_course("C-1", title="Foundations"),
           "c2": basic_course("C-2", prerequisites=["C-1"])})
    learner = make_user()
    client = client_for(app, sign_in, learner)

    page = text_of(client.get("/courses/C-2"))

    assert re.search(r'<button type="button" id="enrol-button" disabled '
                     r'aria-describedby="enrol-reason">Enrol in this course</button>', page)
    assert 'id="enrol-reason"' in page and "once you have completed" in page
    assert '<a href="/courses/C-1">Foundations</a>' in page.split('id="enrol-reason"')[1]
    assert 'action="/courses/C-2/enrol"' not in page

    first = enrol(learner, "C-1", now)
    first.completed_at = now
    db.session.commit()
    page = text_of(client_for(app, sign_in, learner).get("/courses/C-2"))
    assert 'action="/courses/C-2/enrol"' in page and "disabled" not in page.split(
        'id="enrol-button"')[0][-200:]
    # staff may enrol regardless, so their button stays active
    staff = client_for(app, sign_in, make_user("instructor"))
    assert 'action="/courses/C-2/enrol"' in text_of(staff.get("/courses/C-2"))


def test_the_dashboard_shows_each_course_once(app, setup, make_user, sign_in, now):
    setup({"c1": basic_course("C-1", title="First course"),
           "c2": basic_course("C-2", title="Second course")})
    learner = make_user()
    enrol(learner, "C-1", now)
    page = text_of(client_for(app, sign_in, learner).get("/dashboard"))
    assert page.count(">First course</a>") == 1
    enrol(learner, "C-2", now)
    page = text_of(client_for(app, sign_in, learner).get("/dashboard"))
    assert page.count(">First course</a>") == 1 and page.count(">Second course</a>") == 1


def test_welcome_back_only_for_returning_learners_and_greeted_once(
        app, setup, make_user, sign_in, now):
    setup({"c1": basic_course("C-1")})
    newcomer = make_user(name="Nia New")
    client = app.test_client()
    from tests.conftest import DEFAULT_PASSWORD

    page = text_of(client.post("/account/signin", data={"email": newcomer.email,
                                                        "password": DEFAULT_PASSWORD},
                               follow_redirects=True))
    assert "Welcome, Nia New" in page and "Welcome back" not in page
    assert len(re.findall(r"Welcome(?: back)?, ", page)) == 1

    regular = make_user(name="Rita Regular")
    enrol(regular, "C-1", now)
    client = app.test_client()
    page = text_of(client.post("/account/signin", data={"email": regular.email,
                                                        "password": DEFAULT_PASSWORD},
                               follow_redirects=True))
    assert "Welcome back, Rita Regular" in page
    assert len(re.findall(r"Welcome(?: back)?, ", page)) == 1


def test_honour_is_spelled_one_way_across_the_site():
    """The site writes British English: "honour statement", never "honor"."""
    folders = [ROOT / "lms", ROOT / "docs", ROOT / "courses"]
    files = [ROOT / "README.md"] + [p for folder in folders for p in folder.rglob("*")
                                    if p.suffix in {".html", ".md", ".py", ".yml", ".js"}
                                    and "vendor" not in p.parts]
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in files
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"\bhonor", line, re.I)]
    assert offenders == []
