"""In-browser authoring: edit with live preview, revisions (history, diff, restore), export."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.courses import services
from lms.courses.models import Course, CourseRevision, Item, ItemRevision
from lms.extensions import db
from tests.builders import (
    BARE_QUIZ_MD,
    PNG,
    basic_course,
    client_for,
    count,
    lesson,
    tags_of,
    text_of,
)

OWNER = "owner@example.org"

EVIL_MARKDOWN = """\
# Title

Hello <script>alert('script')</script> world.

<img src="assets/map.png" onerror="alert('img')">

<a href="javascript:alert('raw')">raw js link</a>
<a href=" javascript:alert('space')">space</a>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>

<svg><a xlink:href="javascript:alert('svg')"><text>svg link</text></a></svg>
<svg onload="alert('svg')"></svg>

<iframe srcdoc="<script>alert('frame')</script>"></iframe>
<iframe src="https://evil.example"></iframe>

<p onmouseover="alert('over')" style="background:url(javascript:alert('css'))">styled</p>

<object data="x.swf"></object>

<base href="https://evil.example/">
<meta http-equiv="refresh" content="0;url=https://evil.example">
"""


@pytest.fixture
def tree(setup):
    """A course C-1 (instructor owner@example.org) imported from tmp_path/courses."""
    return setup({"c1": basic_course("C-1", instructors=[OWNER], quiz=BARE_QUIZ_MD,
                                     first_steps="Line one.\n\nLine two.", wrap_up=False)})


@pytest.fixture
def owner(make_user):
    return make_user("instructor", email=OWNER, name="Olive Owner")


def item(slug: str) -> Item:
    db.session.expire_all()
    return db.session.scalar(select(Item).where(Item.slug == slug))


def assert_inert(html: str) -> None:
    for tag, attrs in tags_of(html):
        assert tag not in {"script", "iframe", "svg", "object", "embed", "style", "base", "meta",
                           "form", "link"}, (tag, html)
        for name, value in attrs:
            assert not name.startswith("on") and name not in ("style", "srcdoc"), (tag, name)
            if name in ("href", "src"):
                assert not re.match(r"\s*(javascript|data|vbscript):", value or "", re.I)
    assert "alert(" not in html


# ---------------------------------------------------------------- who may author


def test_only_the_courses_instructors_and_admins_may_author(
        app, tree, owner, make_user, sign_in):
    urls = ["/courses/C-1/items/welcome/edit", "/courses/C-1/items/welcome/history",
            "/courses/C-1/items/welcome/revisions/1", "/courses/C-1/export.zip"]
    allowed = [owner, make_user("admin")]
    refused = [make_user("learner"), make_user("instructor", email="other@example.org"),
               make_user("registrar")]

    anonymous = client_for(app, sign_in)
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/account/signin" in response.location
    for user in refused:
        client = client_for(app, sign_in, user)
        for url in urls:
            assert client.get(url).status_code == 403, (user.role, url)
        assert client.post("/courses/C-1/preview", data={"source": "x"}).status_code == 403
        assert client.post("/courses/C-1/items/welcome/edit",
                           data={"source": lesson("Hacked")}).status_code == 403
        assert client.post("/courses/C-1/items/welcome/revisions/1/restore").status_code == 403
    assert item("welcome").revision == 1
    for user in allowed:
        client = client_for(app, sign_in, user)
        for url in urls:
            assert client.get(url).status_code == 200, (user.role, url)
        assert client.post("/courses/C-1/preview", data={"source": "x"}).status_code == 200


def test_lesson_and_course_pages_show_authoring_links_to_editors_only(
        app, tree, owner, make_user, sign_in, now):
    learner = make_user()
    services.enrol(learner, db.session.scalar(select(Course)), now)

    page = text_of(client_for(app, sign_in, learner).get("/courses/C-1/items/welcome"))
    assert "/courses/C-1/items/welcome/edit" not in page

    editor = client_for(app, sign_in, owner)
    page = text_of(editor.get("/courses/C-1/items/welcome"))
    assert "Instructor preview" in page  # not enrolled: a preview that records nothing
    assert 'href="/courses/C-1/items/welcome/edit"' in page
    assert 'href="/courses/C-1/items/welcome/history"' in page
    assert 'href="/courses/C-1/export.zip"' in text_of(editor.get("/courses/C-1"))
    assert "Course C-1" in text_of(editor.get("/teaching"))


# ---------------------------------------------------------------- edit and preview


def test_edit_page_shows_the_source_and_its_preview(app, tree, owner, sign_in):
    client = client_for(app, sign_in, owner)

    page = text_of(client.get("/courses/C-1/items/welcome/edit"))

    assert "title: Welcome" in page  # the whole file, front matter included, in the textarea
    assert 'data-preview-url="/courses/C-1/preview"' in page
    preview = page.split('id="preview"', 1)[1]
    assert '<img src="/courses/C-1/assets/map.png" alt="map">' in preview
    assert "Revision 1" in page


def test_preview_returns_sanitised_html(app, tree, owner, sign_in):
    client = client_for(app, sign_in, owner)

    response = client.post("/courses/C-1/preview",
                           data={"source": "---\ntitle: X\n---\n\n## Hi there\n\n"
                                           "| a | b |\n|---|---|\n| 1 | 2 |\n"})

    assert response.status_code == 200 and response.is_json
    html = response.get_json()["html"]
    assert set(response.get_json()) == {"html"}
    assert "title: X" not in html
    assert '<h2 id="hi-there">Hi there</h2>' in html and "<table>" in html

    evil = client.post("/courses/C-1/preview", data={"source": EVIL_MARKDOWN}).get_json()["html"]
    assert "Hello" in evil and "styled" in evil
    assert_inert(evil)
    assert '<img src="/courses/C-1/assets/map.png">' in evil


def test_preview_requires_the_csrf_token(app, tree, owner, sign_in):
    client = client_for(app, sign_in, owner)
    app.config["WTF_CSRF_ENABLED"] = True
    page = text_of(client.get("/courses/C-1/items/welcome/edit"))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    assert client.post("/courses/C-1/preview", data={"source": "Hi"}).status_code == 400
    response = client.post("/courses/C-1/preview", data={"source": "Hi"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json()["html"] == "<p>Hi</p>\n"


def test_saving_makes_a_new_revision_with_author_and_note(app, tree, owner, sign_in, now):
    client = client_for(app, sign_in, owner)
    app.config["FROZEN_NOW"] = later = now + timedelta(hours=3)
    new_source = lesson("Welcome back", "A **new** text.")

    response = client.post("/courses/C-1/items/welcome/edit",
                           data={"source": new_source, "note": "tone", "base_revision": "1"},
                           follow_redirects=True)

    assert "Saved as revision 2." in text_of(response)
    welcome = item("welcome")
    assert welcome.revision == 2 and welcome.source == new_source
    assert welcome.title == "Welcome back" and "A **new** text." in welcome.body
    rev = db.session.scalar(select(ItemRevision).where(ItemRevision.item_id == welcome.id,
                                                       ItemRevision.number == 2))
    assert (rev.author_id, rev.origin, rev.note, rev.created_at) == (owner.id, "edit", "tone",
                                                                     later)
    course_rev = db.session.scalar(select(CourseRevision).order_by(CourseRevision.number.desc()))
    assert (course_rev.number, course_rev.source, course_rev.author_id) == (2, "edit", owner.id)
    # learners (and the editor) see the new text
    page = text_of(client.get("/courses/C-1/items/welcome"))
    assert "<strong>new</strong>" in page and "Welcome back" in page
    # saving the same text again is not a revision
    response = client.post("/courses/C-1/items/welcome/edit",
                           data={"source": new_source, "base_revision": "2"},
                           follow_redirects=True)
    assert "No changes to save." in text_of(response)
    assert item("welcome").revision == 2


def test_windows_line_endings_do_not_make_a_revision(app, tree, owner, sign_in):
    client = client_for(app, sign_in, owner)
    source = item("welcome").source

    client.post("/courses/C-1/items/welcome/edit",
                data={"source": source.replace("\n", "\r\n"), "base_revision": "1"})

    assert item("welcome").revision == 1


def test_a_text_with_problems_is_not_saved(app, tree, owner, sign_in):
    client = client_for(app, sign_in, owner)
    broken_quiz = "---\ntype: quiz\ntitle: Basics check\n---\n\n## Pick one\n- (x) A\n- (x) B\n"

    response = client.post("/courses/C-1/items/basics/check/edit",
                           data={"source": broken_quiz, "base_revision": "1"})

    assert response.status_code == 200
    page = text_of(response)
    assert "nothing was saved" in page
    assert re.search(r"<li><strong>6:</strong> single-answer question", page)
    assert "- (x) B" in page  # the author's text is kept in the form
    assert item("basics/check").revision == 1
    assert count(ItemRevision) == 3


def test_relative_links_of_an_edit_are_checked_against_the_course(app, tree, owner, sign_in):
    client = client_for(app, sign_in, owner)
    url = "/courses/C-1/items/basics/first/edit"
    broken = lesson("First steps", "See [the map](../assets/missing.png) and [next](03-nope.md).")

    page = text_of(client.post(url, data={"source": broken, "base_revision": "1"}))

    assert "nothing was saved" in page
    assert "broken link: &#39;../assets/missing.png&#39; does not exist" in page
    assert "broken link: &#39;03-nope.md&#39; does not exist" in page
    assert item("basics/first").revision == 1

    good = lesson("First steps", "![map](../assets/map.png), [the check](02-check.md), "
                                 "[welcome](../01-welcome.md), [module](module.md), "
                                 "[the web](https://example.org).")
    response = client.post(url, data={"source": good, "base_revision": "1"})
    assert response.status_code == 302
    assert item("basics/first").revision == 2


def test_saving_over_a_newer_revision_is_refused(app, tree, owner, make_user, sign_in, now):
    admin = make_user("admin")
    services.save_item_source(item("welcome"), lesson("Welcome", "Admin text."), admin, now)
    client = client_for(app, sign_in, owner)

    response = client.post("/courses/C-1/items/welcome/edit",
                           data={"source": lesson("Welcome", "Owner text."),
                                 "base_revision": "1"})

    page = text_of(response)
    assert "Someone saved revision 2 while you were editing" in page
    assert "Owner text." in page
    welcome = item("welcome")
    assert welcome.revision == 2 and "Admin text." in welcome.body


def test_a_lesson_edit_can_turn_into_a_quiz(app, tree, owner, sign_in):
    from lms.quizzes.models import Quiz

    client = client_for(app, sign_in, owner)
    client.post("/courses/C-1/items/welcome/edit",
                data={"source": BARE_QUIZ_MD.replace("Basics check", "Welcome quiz"),
                      "base_revision": "1"})

    welcome = item("welcome")
    assert welcome.kind == "quiz" and welcome.title == "Welcome quiz"
    assert db.session.scalar(select(Quiz).where(Quiz.item_id == welcome.id)) is not None


def test_edits_are_sanitised_on_the_lesson_page(app, tree, owner, make_user, sign_in, now):
    client = client_for(app, sign_in, owner)
    client.post("/courses/C-1/items/welcome/edit",
                data={"source": lesson("Welcome", EVIL_MARKDOWN), "base_revision": "1"})
    assert item("welcome").revision == 2
    learner = make_user()
    services.enrol(learner, db.session.scalar(select(Course)), now)

    page = text_of(client_for(app, sign_in, learner).get("/courses/C-1/items/welcome"))

    body = page.split('<div class="prose">', 1)[1].split('<form method="post" action="/c', 1)[0]
    assert "Hello" in body
    assert_inert(body)


# ---------------------------------------------------------------- history, diff, restore


def test_history_diff_and_restore(app, tree, owner, make_user, sign_in, now):
    admin = make_user("admin", name="Ada Admin")
    first = item("basics/first")
    original = first.source
    services.save_item_source(first, lesson("First steps", "Line one.\n\nLine 2, better."),
                              owner, now + timedelta(days=1), note="fix line two")
    services.save_item_source(item("basics/first"),
                              lesson("First steps", "Line one.\n\nLine 2, better.\n\nMore."),
                              admin, now + timedelta(days=2))
    client = client_for(app, sign_in, owner)

    page = text_of(client.get("/courses/C-1/items/basics/first/history"))
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr>")[1:]
    assert len(rows) == 3
    assert "3" in rows[0] and "current" in rows[0] and "Ada Admin" in rows[0]
    assert "Olive Owner" in rows[1] and "fix line two" in rows[1] and "25 Nov 2026" in rows[1]
    assert "import from files" in rows[2] and "24 Nov 2026" in rows[2]
    assert "Restore revision 1" in page and "Restore revision 3" not in page

    diff = text_of(client.get("/courses/C-1/items/basics/first/revisions/2"))
    assert '<span class="diff-del"><span class="visually-hidden">removed: </span>-Line two.' \
        in diff
    assert '<span class="diff-add"><span class="visually-hidden">added: </span>+Line 2, ' \
           "better." in diff
    assert "Changes from revision 1" in diff
    first_diff = text_of(client.get("/courses/C-1/items/basics/first/revisions/1"))
    assert "+title: First steps" in first_diff
    assert client.get("/courses/C-1/items/basics/first/revisions/9").status_code == 404

    app.config["FROZEN_NOW"] = now + timedelta(days=3)
    response = client.post("/courses/C-1/items/basics/first/revisions/1/restore",
                           follow_redirects=True)
    assert "Revision 1 restored as revision 4." in text_of(response)
    restored = item("basics/first")
    assert restored.revision == 4 and restored.source == original
    rev = services.get_revision(restored, 4)
    assert (rev.origin, rev.author_id, rev.note) == ("restore", owner.id,
                                                     "restored from revision 1")
    response = client.post("/courses/C-1/items/basics/first/revisions/4/restore",
                           follow_redirects=True)
    assert "already the current text" in text_of(response)
    assert item("basics/first").revision == 4
    assert client.post("/courses/C-1/items/basics/first/revisions/9/restore").status_code == 404


# ---------------------------------------------------------------- export


def test_export_then_import_changes_nothing_even_after_browser_edits(
        app, tree, owner, now, tmp_path):
    services.save_item_source(item("basics/first"), lesson("First steps", "Edited online."),
                              owner, now)
    before = (count(CourseRevision), count(ItemRevision))
    c = db.session.scalar(select(Course))
    out = tmp_path / "export"

    folder = services.export_course(c, out)

    assert folder == out / "c1"
    assert "Edited online." in (folder / "02-basics" / "01-first.md").read_text()
    assert (folder / "assets" / "map.png").read_bytes() == PNG
    assert (folder / "course.md").read_text() == (tree / "c1" / "course.md").read_text()
    report = services.import_courses(out, now + timedelta(days=1), only=[folder])
    assert report.unchanged == ["C-1"]
    assert (count(CourseRevision), count(ItemRevision)) == before
    assert "Edited online." in item("basics/first").body
    # exporting over the source folder makes the files the record again: still no change
    services.export_course(db.session.scalar(select(Course)), tree)
    assert services.import_courses(tree, now).unchanged == ["C-1"]
    assert (count(CourseRevision), count(ItemRevision)) == before


def test_export_of_the_real_curriculum_round_trips(app, now, tmp_path):
    repo_courses = Path(__file__).resolve().parents[2] / "courses"
    services.import_courses(repo_courses, now)
    before = (count(CourseRevision), count(ItemRevision))
    out = tmp_path / "export"
    (out).mkdir()
    (out / "program.yml").write_bytes((repo_courses / "program.yml").read_bytes())

    for c in db.session.scalars(select(Course)):
        services.export_course(c, out)
    for path in repo_courses.rglob("*"):
        if path.is_file() and path.name.lower() != "readme.md":
            rel = path.relative_to(repo_courses)
            assert (out / rel).read_bytes() == path.read_bytes(), rel

    report = services.import_courses(out, now + timedelta(days=1))
    assert sorted(report.unchanged) == ["JC-101", "JC-110", "JC-201", "JC-210", "JC-AP"]
    assert (count(CourseRevision), count(ItemRevision)) == before


def test_export_zip_holds_the_course_folder(app, tree, owner, sign_in):
    client = client_for(app, sign_in, owner)

    response = client.get("/courses/C-1/export.zip")

    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert 'filename=c1.zip' in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
        names = set(zf.namelist())
        assert names == {"c1/course.md", "c1/01-welcome.md", "c1/02-basics/module.md",
                         "c1/02-basics/01-first.md", "c1/02-basics/02-check.md",
                         "c1/assets/map.png"}
        assert zf.read("c1/assets/map.png") == PNG
        assert zf.read("c1/01-welcome.md").decode() == (tree / "c1" / "01-welcome.md") \
            .read_text()


def test_save_item_source_refuses_a_stale_base_revision_and_saves_nothing(
        app, tree, owner, make_user, now):
    from lms.errors import Conflict

    services.save_item_source(item("welcome"), lesson("Welcome", "First."), owner, now,
                              base_revision=1)
    with pytest.raises(Conflict, match="Someone saved revision 2"):
        services.save_item_source(item("welcome"), lesson("Welcome", "Stale."), owner, now,
                                  base_revision=1)
    welcome = item("welcome")
    assert welcome.revision == 2 and "First." in welcome.body


def test_a_failed_save_leaves_the_session_clean(app, tree, owner, now):
    welcome = item("welcome")
    with pytest.raises(services.ValidationError):
        services.save_item_source(welcome, "---\ntype: quiz\n---\nNo questions.\n", owner, now)
    assert not db.session.dirty and not db.session.new
    assert item("welcome").revision == 1
