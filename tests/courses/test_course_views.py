"""Learner pages: catalogue, course page, enrolment, lessons, progress, completion, dashboard,
rendering and sanitisation of lessons, assets, visibility of unpublished courses."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import g
from sqlalchemy import func, select

from lms import markdown
from lms.courses import services
from lms.courses.models import Enrolment, ItemProgress
from lms.courses.signals import course_completed
from lms.extensions import db
from tests import builders
from tests.builders import (
    PNG,
    client_for,
    course,
    course_md,
    item,
    lesson,
    tags_of,
    text_of,
    write_tree,
)

RICH_LESSON = """\
---
title: Rich lesson
estimated_minutes: 7
---

# Rich lesson

Intro paragraph with a note.[^1]

## Section one

| Left | Right |
|:-----|------:|
| a1   | b1    |

- [x] done task
- [ ] open task

Term
: The definition of the term.

!!! warning "Mind the gap"
    Admonition body text.

### Sub section

![Map of the site](assets/map.png)

[Download the worksheet](assets/worksheet.pdf)

```python
print("hello")
```

[^1]: The footnote text.
"""

EVIL_MARKDOWN = """\
Hello <script>alert('script')</script> world.

<img src="assets/map.png" onerror="alert('img')">

[md link](javascript:alert('md'))

<a href="javascript:alert('raw')">raw js link</a>
<a href="JaVaScRiPt:alert('mixed')">mixed case</a>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>

<svg onload="alert('svg')"><script>alert('in svg')</script><circle r="4"/></svg>

<iframe src="https://evil.example" srcdoc="<script>alert('frame')</script>"></iframe>

<p onclick="alert('click')" style="position:fixed">styled</p>

<math><mi xlink:href="javascript:alert('math')">x</mi></math>

<form action="https://evil.example"><input name="x" onfocus="alert('focus')" autofocus></form>

<object data="evil.swf"></object><embed src="evil.swf">

<style>body { display: none }</style>

<details open ontoggle="alert('toggle')"><summary>More</summary>Hidden</details>
"""


def basic_course(code: str = "C-1", **meta) -> dict[str, str | bytes]:
    """The shared basic course with a second asset: welcome, basics/first, basics/check (quiz),
    wrap-up; assets map.png, worksheet.pdf."""
    return builders.basic_course(code, worksheet=True, **meta)


def enrol(user, code: str, now) -> Enrolment:
    return services.enrol(user, course(code), now)


def prose(page: str) -> str:
    """The lesson body of an item page (between the prose div and the prev/next nav)."""
    body = page.split('<div class="prose">', 1)[1].split('<nav class="prev-next"', 1)[0]
    return body.split('<form method="post" action="/courses/', 1)[0]


def assert_inert(html: str) -> None:
    """No script, frame, svg, math, form, object or style; no handlers, styles or bad URLs."""
    bad_tags = {"script", "iframe", "svg", "math", "form", "object", "embed", "style", "base",
                "meta", "link", "textarea", "button"}
    for tag, attrs in tags_of(html):
        assert tag not in bad_tags, (tag, html)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, html)
            assert name not in ("style", "srcdoc", "formaction", "xlink:href"), (tag, name)
            if name in ("href", "src"):
                assert not re.match(r"\s*(javascript|data|vbscript):", value or "", re.I), value
    assert "alert(" not in re.sub(r"\[md link\]\(javascript:alert\('md'\)\)", "", html)


# ---------------------------------------------------------------- catalogue


def test_catalogue_lists_published_courses_with_ce_hours(client, setup):
    setup({"c1": basic_course("C-1", ce_hours=1.5),
           "c2": basic_course("C-2", title="Climate work", ce_category="climate"),
           "u1": basic_course("U-1", title="Secret draft", published=False)})

    page = text_of(client.get("/courses"))

    assert "Course C-1" in page and "Climate work" in page
    assert "1.5 CE hours" in page and "2 CE hours" in page
    assert "Racial Equity" in page and "Climate Resilience" in page
    assert "Secret draft" not in page and "U-1" not in page
    assert "2 courses" in page


def test_catalogue_search_matches_title_summary_and_code(client, setup):
    setup({"c1": basic_course("C-1", title="Housing justice", summary="Tenure and rent."),
           "c2": basic_course("C-2", title="Flood resilience", summary="Rivers and rain."),
           "x9": basic_course("XY-9", title="Something else", summary="Nothing.")})

    def titles(query: str) -> set[str]:
        page = text_of(client.get("/courses", query_string={"q": query}))
        return {t for t in ("Housing justice", "Flood resilience", "Something else")
                if t in page}

    assert titles("housing") == {"Housing justice"}
    assert titles("RIVERS") == {"Flood resilience"}
    assert titles("xy-9") == {"Something else"}
    assert titles("") == {"Housing justice", "Flood resilience", "Something else"}
    assert titles("no such words") == set()
    assert "No courses match" in text_of(client.get("/courses?q=zzz"))


def test_catalogue_filters_by_category_and_level(client, setup):
    setup({"a": basic_course("A-1", title="Equity intro"),
           "b": basic_course("B-1", title="Equity advanced", level="advanced"),
           "c": basic_course("C-1", title="Climate intro", ce_category="climate")})

    def titles(**args) -> set[str]:
        page = text_of(client.get("/courses", query_string=args))
        return {t for t in ("Equity intro", "Equity advanced", "Climate intro") if t in page}

    assert titles(category="equity") == {"Equity intro", "Equity advanced"}
    assert titles(category="climate") == {"Climate intro"}
    assert titles(level="advanced") == {"Equity advanced"}
    assert titles(level="introductory") == {"Equity intro", "Climate intro"}
    assert titles(category="equity", level="introductory") == {"Equity intro"}
    # unknown values are ignored rather than hiding everything
    assert titles(category="bogus", level="expert") == {"Equity intro", "Equity advanced",
                                                        "Climate intro"}
    page = text_of(client.get("/courses", query_string={"category": "climate"}))
    assert '<option value="climate" selected>' in page


def test_catalogue_shows_the_learners_progress(client, setup, make_user, sign_in, now):
    setup({"c1": basic_course("C-1"), "c2": basic_course("C-2")})
    learner = make_user()
    enrolment = enrol(learner, "C-1", now)
    services.complete_lesson(enrolment, item("C-1", "welcome"), now)
    sign_in(client, learner)

    page = text_of(client.get("/courses"))

    assert "Enrolled · 25% done" in page
    assert page.count("Enrolled ·") == 1


# ---------------------------------------------------------------- visibility


def test_unpublished_course_is_visible_to_its_instructors_and_admins_only(
        app, setup, make_user, sign_in, now):
    setup({"u1": basic_course("U-1", title="Secret draft", published=False,
                              instructors=["owner@example.org"])})
    owner = make_user("instructor", email="owner@example.org")
    other = make_user("instructor", email="other@example.org")
    admin = make_user("admin")
    learner = make_user()
    urls = ["/courses/U-1", "/courses/U-1/items/welcome", "/courses/U-1/assets/map.png"]

    anonymous = client_for(app, sign_in)
    for url in urls:
        assert anonymous.get(url).status_code in (404, 302), url
    assert anonymous.get(urls[0]).status_code == 404
    assert anonymous.get(urls[2]).status_code == 404
    assert "Secret draft" not in text_of(anonymous.get("/courses"))

    for user in (learner, other):
        client = client_for(app, sign_in, user)
        for url in urls:
            assert client.get(url).status_code == 404, (user.email, url)
        assert "Secret draft" not in text_of(client.get("/courses"))
        assert client.post("/courses/U-1/enrol").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 0

    for user in (owner, admin):
        client = client_for(app, sign_in, user)
        for url in urls:
            assert client.get(url).status_code == 200, (user.email, url)
        page = text_of(client.get("/courses"))
        assert "Secret draft" in page and "Unpublished" in page
        assert "visible to its instructors and admins only" in text_of(client.get(urls[0]))


# ---------------------------------------------------------------- course page and enrolment


def test_course_page_shows_overview_outline_time_ce_hours_and_prerequisites(
        client, setup, make_user, sign_in, now):
    setup({"c1": basic_course("C-1", title="First course"),
           "c2": basic_course("C-2", title="Second course", ce_hours=3.5,
                              prerequisites=["C-1"],
                              overview="## What you learn\n\nA *lot* of things.")})
    learner = make_user()
    sign_in(client, learner)

    page = text_of(client.get("/courses/C-2"))

    # the overview sits under the page's own "Overview" h2, so its headings shift down one level
    assert '<h3 id="what-you-learn">What you learn</h3>' in page
    assert "<em>lot</em>" in page
    assert "3.5 CE hours</strong> in Racial Equity" in page
    minutes = course("C-2").estimated_minutes
    assert minutes > 0 and f"About {minutes} min of study" in page
    assert "4 items" in page
    assert "The basics" in page and "First things." in page
    for title in ("Welcome", "First steps", "Basics check", "Wrap up"):
        assert title in page
    assert "Quiz" in page and "Lesson" in page
    assert "First course" in page and "Not yet completed" in page
    assert "Enrol in this course" in page
    # not enrolled: the items are listed but not linked
    assert "/courses/C-2/items/welcome" not in page

    enrolment = enrol(learner, "C-1", now)
    enrolment.completed_at = now
    db.session.commit()
    page = text_of(client.get("/courses/C-2"))
    assert "Not yet completed" not in page
    assert re.search(r"First course</a>\s*— <span class=\"badge\">Completed", page)


def test_anonymous_visitor_is_asked_to_sign_in_to_enrol(client, setup):
    setup({"c1": basic_course("C-1")})

    page = text_of(client.get("/courses/C-1"))

    assert "Sign in to enrol" in page
    response = client.post("/courses/C-1/enrol")
    assert response.status_code == 302 and "/account/signin" in response.location


def test_enrolment_enforces_prerequisites_for_learners(client, setup, make_user, sign_in, now):
    setup({"c1": basic_course("C-1"), "c2": basic_course("C-2", prerequisites=["C-1"])})
    learner = make_user()
    sign_in(client, learner)

    response = client.post("/courses/C-2/enrol", follow_redirects=True)

    assert "Complete the prerequisite course(s) first: C-1." in text_of(response)
    assert services.get_enrolment(learner, course("C-2")) is None

    first = enrol(learner, "C-1", now)
    first.completed_at = now
    db.session.commit()
    response = client.post("/courses/C-2/enrol", follow_redirects=True)
    assert "You are enrolled in Course C-2." in text_of(response)
    assert services.get_enrolment(learner, course("C-2")) is not None
    # enrolling again is harmless
    client.post("/courses/C-2/enrol")
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 2


def test_staff_may_enrol_without_prerequisites(client, setup, make_user, sign_in):
    setup({"c1": basic_course("C-1"), "c2": basic_course("C-2", prerequisites=["C-1"])})
    instructor = make_user("instructor")
    sign_in(client, instructor)

    client.post("/courses/C-2/enrol")

    assert services.get_enrolment(instructor, course("C-2")) is not None


def test_enrolment_form_is_csrf_protected(app, client, setup, make_user, sign_in):
    setup({"c1": basic_course("C-1")})
    learner = make_user()
    sign_in(client, learner)
    app.config["WTF_CSRF_ENABLED"] = True

    client.post("/courses/C-1/enrol")

    assert services.get_enrolment(learner, course("C-1")) is None


# ---------------------------------------------------------------- lessons and progress


def test_item_pages_need_an_enrolment(app, client, setup, make_user, sign_in):
    setup({"c1": basic_course("C-1")})

    anonymous = app.test_client().get("/courses/C-1/items/welcome")
    assert anonymous.status_code == 302 and "/account/signin" in anonymous.location

    sign_in(client, make_user())
    response = client.get("/courses/C-1/items/welcome")
    assert response.status_code == 302 and response.location.endswith("/courses/C-1")
    assert client.get("/courses/C-1/items/nope").status_code == 404
    assert client.get("/courses/NOPE/items/welcome").status_code == 404


def test_lessons_link_to_previous_and_next(client, setup, make_user, sign_in, now):
    setup({"c1": basic_course("C-1")})
    learner = make_user()
    enrol(learner, "C-1", now)
    sign_in(client, learner)

    def neighbours(slug: str) -> tuple[str | None, str | None]:
        page = text_of(client.get(f"/courses/C-1/items/{slug}"))
        prev = re.search(r'<a rel="prev" href="/courses/C-1/items/([^"]+)"', page)
        nxt = re.search(r'<a rel="next" href="/courses/C-1/items/([^"]+)"', page)
        return (prev and prev.group(1)), (nxt and nxt.group(1))

    assert neighbours("welcome") == (None, "basics/first")
    assert neighbours("basics/first") == ("welcome", "basics/check")
    assert neighbours("basics/check") == ("basics/first", "wrap-up")
    assert neighbours("wrap-up") == ("basics/check", None)


def test_mark_complete_moves_on_and_updates_the_progress_bar(
        client, setup, make_user, sign_in, now):
    setup({"c1": basic_course("C-1")})
    learner = make_user()
    enrolment = enrol(learner, "C-1", now)
    sign_in(client, learner)

    page = text_of(client.get("/courses/C-1/items/welcome"))
    assert "Mark as complete and continue" in page
    assert '<progress value="0" max="100"' in page

    response = client.post("/courses/C-1/items/welcome/complete")
    assert response.status_code == 302
    assert response.location.endswith("/courses/C-1/items/basics/first")
    page = text_of(client.get(response.location))
    assert "“Welcome” marked complete." in page
    assert '<progress value="25" max="100"' in page
    page = text_of(client.get("/courses/C-1/items/welcome"))
    assert "You completed this lesson." in page
    assert "1 of 4 items done." in text_of(client.get("/courses/C-1"))

    client.post("/courses/C-1/items/welcome/complete")  # twice: still one row
    assert db.session.scalar(select(func.count()).select_from(ItemProgress).where(
        ItemProgress.enrolment_id == enrolment.id)) == 1
    # the last lesson has no next item: back to the course page
    response = client.post("/courses/C-1/items/wrap-up/complete")
    assert response.location.endswith("/courses/C-1")
    assert "2 of 4 items done." in text_of(client.get("/courses/C-1"))


def test_quizzes_are_not_marked_complete_by_hand(client, setup, make_user, sign_in, now):
    setup({"c1": basic_course("C-1")})
    learner = make_user()
    enrolment = enrol(learner, "C-1", now)
    sign_in(client, learner)

    response = client.post("/courses/C-1/items/basics/check/complete", follow_redirects=True)

    assert "complete when passed" in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(ItemProgress).where(
        ItemProgress.enrolment_id == enrolment.id)) == 0


def test_mark_complete_needs_an_enrolment(client, setup, make_user, sign_in):
    setup({"c1": basic_course("C-1")})
    sign_in(client, make_user())

    response = client.post("/courses/C-1/items/welcome/complete", follow_redirects=True)

    assert "Enrol in this course" in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(ItemProgress)) == 0


def test_course_completes_once_when_lessons_are_done_and_the_quiz_is_passed(
        client, setup, make_user, sign_in, now):
    from lms.quizzes import services as quizzes

    setup({"c1": basic_course("C-1")})
    learner = make_user()
    enrolment = enrol(learner, "C-1", now)
    sign_in(client, learner)
    sent: list[tuple[int, object]] = []

    def receiver(sender, now=None, **_):
        sent.append((sender.id, now))

    course_completed.connect(receiver)
    try:
        for slug in ("welcome", "basics/first", "wrap-up"):
            client.post(f"/courses/C-1/items/{slug}/complete")
        db.session.expire_all()
        assert db.session.get(Enrolment, enrolment.id).completed_at is None
        assert sent == []

        quiz_item = item("C-1", "basics/check")
        quiz = quizzes.quiz_for_item(quiz_item)
        [question] = quizzes.active_pool(quiz)
        key = question.data["key"]
        failed = quizzes.start_attempt(quiz, learner, enrolment, now)
        quizzes.submit_attempt(failed, {key: "5"}, now)
        assert db.session.get(Enrolment, enrolment.id).completed_at is None

        passed_at = now + timedelta(days=3)
        attempt = quizzes.start_attempt(quiz, learner, enrolment, passed_at)
        quizzes.submit_attempt(attempt, {key: "4"}, passed_at)
        db.session.expire_all()
        assert db.session.get(Enrolment, enrolment.id).completed_at == passed_at
        assert sent == [(enrolment.id, passed_at)]

        # passing again, or marking a lesson again, records nothing new
        later = now + timedelta(days=9)
        again = quizzes.start_attempt(quiz, learner, enrolment, later)
        quizzes.submit_attempt(again, {key: "4"}, later)
        client.post("/courses/C-1/items/welcome/complete")
        db.session.expire_all()
        assert db.session.get(Enrolment, enrolment.id).completed_at == passed_at
        assert len(sent) == 1
    finally:
        course_completed.disconnect(receiver)

    page = text_of(client.get("/courses/C-1"))
    assert "Completed 27 Nov 2026" in page
    assert "4 of 4 items done." in page
    assert "Completed 27 Nov 2026" in text_of(client.get("/dashboard"))
    assert '<span class="badge">Completed</span>' in text_of(client.get("/courses"))


def test_completion_is_kept_when_the_course_later_grows(app, setup, make_user, now):
    root = setup({"c1": basic_course("C-1")})
    learner = make_user()
    enrolment = enrol(learner, "C-1", now)
    for it in course("C-1").items:
        services.mark_item_done(enrolment, it, now)
    db.session.commit()
    assert enrolment.completed_at == now

    write_tree(root, {"c1": {"04-bonus.md": lesson("Bonus")}})
    services.import_courses(root, now + timedelta(days=1))

    db.session.expire_all()
    e = db.session.get(Enrolment, enrolment.id)
    assert e.completed_at == now
    assert services.progress(e, course("C-1")).percent == 80


def test_dashboard_continues_where_the_learner_left_off(
        app, client, setup, make_user, sign_in, now):
    setup({"c1": basic_course("C-1", title="First course"),
           "c2": basic_course("C-2", title="Second course")})
    learner = make_user()
    enrol(learner, "C-1", now)
    enrol(learner, "C-2", now)
    sign_in(client, learner)

    page = text_of(client.get("/dashboard"))
    assert "Continue where you left off" in page
    assert "Continue: Welcome" in page  # nothing visited yet: the first item

    app.config["FROZEN_NOW"] = now + timedelta(hours=1)
    client.get("/courses/C-2/items/basics/first")
    client.post("/courses/C-2/items/basics/first/complete")  # redirects to basics/check
    app.config["FROZEN_NOW"] = now + timedelta(hours=2)
    client.get("/courses/C-2/items/wrap-up")

    page = text_of(client.get("/dashboard"))
    section = page.split('id="continue-heading"', 1)[1].split("</section>", 1)[0]
    assert "Second course" in section and "First course" not in section
    assert 'href="/courses/C-2/items/wrap-up">Continue: Wrap up' in section
    assert '<progress value="25"' in section
    assert 'href="/courses/C-1/items/welcome">Continue: Welcome' in page
    # most recent first
    assert page.index("Second course") < page.index("First course")


# ---------------------------------------------------------------- lesson rendering


def test_lessons_render_markdown_features(client, setup, make_user, sign_in, now):
    files = basic_course("C-1")
    files["01-welcome.md"] = RICH_LESSON
    setup({"c1": files})
    learner = make_user()
    enrol(learner, "C-1", now)
    sign_in(client, learner)

    page = text_of(client.get("/courses/C-1/items/welcome"))
    body = prose(page)

    assert "estimated_minutes" not in body and "title: Rich lesson" not in body
    assert "about 7 min" in page
    assert '<div class="table-wrap" tabindex="0">' in body and "<table>" in body
    assert '<th align="left">Left</th>' in body and '<td align="right">b1</td>' in body
    assert 'class="footnotes"' in body and "The footnote text." in body
    assert 'class="footnote-ref"' in body
    assert body.count('type="checkbox"') == 2 and "checked" in body and "disabled" in body
    assert "<dl>" in body and "<dt>Term</dt>" in body
    assert "<dd>" in body and "The definition of the term." in body
    assert '<aside class="admonition warning" role="note">' in body
    assert "Mind the gap" in body and "Admonition body text." in body
    assert '<h2 id="section-one">Section one</h2>' in body
    assert '<h3 id="sub-section">Sub section</h3>' in body
    toc = page.split('<nav class="toc"', 1)[1].split("</nav>", 1)[0]
    assert 'href="#section-one">Section one</a>' in toc
    assert 'href="#sub-section">Sub section</a>' in toc
    assert '<img src="/courses/C-1/assets/map.png" alt="Map of the site">' in body
    assert '<a href="/courses/C-1/assets/worksheet.pdf">Download the worksheet</a>' in body
    assert '<code class="language-python">' in body
    assert "print(&quot;hello&quot;)" in body or 'print("hello")' in body


def test_assets_are_served_inert(app, client, setup):
    files = basic_course("C-1")
    files["assets/diagram.svg"] = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)' \
                                  "</script></svg>"
    files["assets/sub/notes.html"] = "<script>alert(1)</script>"
    setup({"c1": files})

    image = client.get("/courses/C-1/assets/map.png")
    assert image.status_code == 200
    assert image.data == PNG and image.mimetype == "image/png"
    csp = image.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp
    assert "Content-Disposition" not in image.headers
    assert image.headers["X-Content-Type-Options"] == "nosniff"

    svg = client.get("/courses/C-1/assets/diagram.svg")
    assert svg.status_code == 200 and "sandbox" in svg.headers["Content-Security-Policy"]
    assert "script-src" not in svg.headers["Content-Security-Policy"]

    pdf = client.get("/courses/C-1/assets/worksheet.pdf")
    assert pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"] == 'attachment; filename="worksheet.pdf"'

    html = client.get("/courses/C-1/assets/sub/notes.html")
    assert html.status_code == 200
    assert "attachment" in html.headers["Content-Disposition"]
    assert "sandbox" in html.headers["Content-Security-Policy"]

    assert client.get("/courses/C-1/assets/missing.png").status_code == 404
    assert client.get("/courses/C-1/assets/../course.md").status_code == 404
    assert client.get("/courses/NOPE/assets/map.png").status_code == 404


def test_imported_lessons_are_sanitised(client, setup, make_user, sign_in, now):
    files = basic_course("C-1")
    files["01-welcome.md"] = lesson("Welcome", EVIL_MARKDOWN)
    files["course.md"] = course_md("C-1", overview=EVIL_MARKDOWN)
    setup({"c1": files})
    learner = make_user()
    enrol(learner, "C-1", now)
    sign_in(client, learner)

    page = text_of(client.get("/courses/C-1/items/welcome"))
    body = prose(page)

    assert "Hello" in body and "world." in body and "styled" in body
    assert_inert(body)
    assert '<img src="/courses/C-1/assets/map.png">' in body  # the image stays, inert
    overview = text_of(client.get("/courses/C-1")).split('id="overview-heading"', 1)[1]
    assert_inert(overview.split("</section>", 1)[0])


def test_rendered_lessons_are_cached_by_content(client, setup, make_user, sign_in, now):
    setup({"c1": basic_course("C-1")})
    learner = make_user()
    enrol(learner, "C-1", now)
    sign_in(client, learner)
    markdown.clear_cache()

    client.get("/courses/C-1/items/wrap-up")
    first = markdown.cache_info()
    client.get("/courses/C-1/items/wrap-up")
    second = markdown.cache_info()

    assert first.misses >= 1
    assert second.misses == first.misses
    assert second.hits > first.hits

    # the same text in another folder is another entry: its lesson links resolve differently
    admin_edit = item("C-1", "basics/first")
    assert admin_edit.body == item("C-1", "wrap-up").body
    client.get("/courses/C-1/items/basics/first")
    assert markdown.cache_info().misses == first.misses + 1


# ---------------------------------------------------------------- edge cases that were bugs


def test_catalogue_search_treats_wildcards_literally(client, setup):
    setup({"a": basic_course("A-1", title="Housing justice", summary="Rent."),
           "b": basic_course("B-1", title="Toward 100% renewable", summary="Solar_power.")})

    def titles(query: str) -> set[str]:
        page = text_of(client.get("/courses", query_string={"q": query}))
        return {t for t in ("Housing justice", "Toward 100% renewable") if t in page}

    assert titles("%") == {"Toward 100% renewable"}
    assert titles("100%") == {"Toward 100% renewable"}
    assert titles("_") == {"Toward 100% renewable"}
    assert titles("r_nt") == set()
    assert titles("h%justice") == set()


def test_dashboard_leaves_out_a_course_that_was_unpublished(
        client, setup, make_user, sign_in, now):
    root = setup({"c1": basic_course("C-1", title="Withdrawn course"),
                  "c2": basic_course("C-2", title="Live course")})
    learner = make_user()
    enrol(learner, "C-1", now)
    enrol(learner, "C-2", now)
    sign_in(client, learner)
    assert "Withdrawn course" in text_of(client.get("/dashboard"))

    (root / "c1" / "course.md").write_text(
        course_md("C-1", title="Withdrawn course", published=False), encoding="utf-8")
    services.import_courses(root, now)

    page = text_of(client.get("/dashboard"))
    assert "Live course" in page
    assert "Withdrawn course" not in page and "/courses/C-1" not in page
    assert client.get("/courses/C-1/items/welcome").status_code == 404


def test_lessons_named_like_page_actions_are_reachable(
        app, client, setup, make_user, sign_in, now):
    files = basic_course("C-1", instructors=["owner@example.org"])
    files["02-basics/03-history.md"] = lesson("A short history", "Long ago.")
    files["02-basics/04-edit.md"] = lesson("How to edit a plan", "Carefully.")
    setup({"c1": files})
    learner = make_user()
    enrol(learner, "C-1", now)
    sign_in(client, learner)

    history = client.get("/courses/C-1/items/basics/history")
    assert history.status_code == 200 and "Long ago." in text_of(history)
    edit = client.get("/courses/C-1/items/basics/edit")
    assert edit.status_code == 200 and "Carefully." in text_of(edit)
    assert client.get("/courses/C-1/items/basics/history/history").status_code == 403

    owner = make_user("instructor", email="owner@example.org")
    g.pop("_login_user", None)
    editor = app.test_client()
    sign_in(editor, owner)
    assert "Long ago." in text_of(editor.get("/courses/C-1/items/basics/history"))
    page = text_of(editor.get("/courses/C-1/items/basics/history/history"))
    assert "History of “A short history”" in page
    page = text_of(editor.get("/courses/C-1/items/basics/edit/edit"))
    assert "Edit “How to edit a plan”" in page


def test_titles_and_summaries_are_escaped(client, setup, make_user, sign_in, now):
    evil = "<img src=x onerror=alert(1)>"
    files = basic_course("C-1", title=f"Course {evil}", summary=f"Summary {evil}")
    files["01-welcome.md"] = lesson(f"'{evil}'")
    files["02-basics/module.md"] = f"---\ntitle: 'Module {evil}'\n---\n"
    setup({"c1": files})
    learner = make_user()
    enrol(learner, "C-1", now)
    sign_in(client, learner)

    for url in ("/courses", "/courses/C-1", "/courses/C-1/items/welcome",
                "/courses/C-1/items/basics/first", "/dashboard"):
        page = text_of(client.get(url))
        assert "onerror=alert" not in page.replace("&lt;img src=x onerror=alert(1)&gt;", ""), url
        assert "&lt;img src=x onerror=alert(1)&gt;" in page, url
