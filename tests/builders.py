"""Helpers shared by the course and quiz tests: small course trees written to a temporary
folder (program.yml, course.md, lessons, quizzes) and installed with the real importer, the
answers to their questions, and a few look-ups, clients and page parsers.

Plain functions and constants, no fixtures (those are in the conftest.py files). Test modules
import them with ``from tests.builders import ...``; `tests` needs no __init__.py: pyproject.toml
puts the repository root on sys.path (`pythonpath`), where `tests` is a namespace package. The
browser journeys have their own course tree in tests/e2e/journey_helpers.py.
"""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import yaml
from flask import g
from sqlalchemy import func, select

from lms.courses import services as courses
from lms.courses.models import Course, Item
from lms.extensions import db
from lms.quizzes import services as quizzes
from lms.quizzes.models import Attempt, Quiz

# --------------------------------------------------------------------------- course trees

#: The least program.yml the parser accepts (no `earn`), with two CE categories.
PROGRAM_YML = """\
credential: {name: Test Credential, abbreviation: TC, id_prefix: TC}
categories:
  equity: {name: Racial Equity}
  climate: {name: Climate Resilience}
maintenance:
  cycle: {length_months: 24, anchor: earned}
  hours_per_cycle: 30
"""

#: A quiz item with one question, a passing score of 50 and an introduction.
QUIZ_MD = """\
---
type: quiz
title: Basics check
passing_score: 50
---

One question.

## Two plus two?
= 4
"""

#: The least quiz item: front matter and one question, 7 lines (line numbers count on it).
BARE_QUIZ_MD = """\
---
type: quiz
title: Basics check
---

## Two plus two?
= 4
"""

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
WORKSHEET = b"%PDF-1.4 worksheet"


def course_md(code: str, title: str | None = None, overview: str = "Overview text.",
              **meta) -> str:
    """course.md text: front matter (sensible defaults, overridable) + overview. The title is
    "Course <code>" unless given (an empty title stays empty)."""
    fm = {"code": code, "title": f"Course {code}" if title is None else title,
          "summary": f"About {code}.", "ce_hours": 2, "ce_category": "equity",
          "level": "introductory", **meta}
    return "---\n" + yaml.safe_dump(fm, sort_keys=False) + "---\n\n" + overview + "\n"


def lesson(title: str, body: str = "Some lesson text.") -> str:
    return f"---\ntitle: {title}\n---\n\n{body}\n"


def basic_course(code: str = "C-1", *, first_steps: str = "Some lesson text.",
                 quiz: str = QUIZ_MD, wrap_up: bool = True, worksheet: bool = False,
                 **meta) -> dict[str, str | bytes]:
    """A course folder {relative path: content}: a top-level lesson `welcome` (showing
    assets/map.png), a module `basics` (lesson `basics/first` with body `first_steps`, quiz
    `basics/check` with text `quiz`), a last lesson `wrap-up` (unless `wrap_up` is false) and
    the asset map.png (and assets/worksheet.pdf when `worksheet`). `meta` goes to course_md."""
    files: dict[str, str | bytes] = {
        "course.md": course_md(code, **meta),
        "01-welcome.md": lesson("Welcome", "Hello. ![map](assets/map.png)"),
        "02-basics/module.md": "---\ntitle: The basics\nsummary: First things.\n---\n",
        "02-basics/01-first.md": lesson("First steps", first_steps),
        "02-basics/02-check.md": quiz,
    }
    if wrap_up:
        files["03-wrap-up.md"] = lesson("Wrap up")
    files["assets/map.png"] = PNG
    if worksheet:
        files["assets/worksheet.pdf"] = WORKSHEET
    return files


def write_tree(root: Path, courses: dict[str, dict[str, str | bytes]]) -> Path:
    """Write program.yml and each course folder {dirname: {relative path: content}}."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "program.yml").write_text(PROGRAM_YML, encoding="utf-8")
    for dirname, files in courses.items():
        for rel, content in files.items():
            path = root / dirname / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
    return root


# --------------------------------------------------------------------------- quizzes

#: One question of every type; 8 points in all (the multiple-choice question is worth 2).
ALL_TYPES = """\
## Pick the two pillars {id=multi points=2 tags=pillars}
- [x] Racial Equity
- [x] Climate Resilience
- [ ] Land value growth

## The Protocol applies only to new construction. {id=tf tags=pillars}
- ( ) True
- (x) False

## Who relaunched the framework? {id=single tags=history}
- (x) Partnership for Southern Equity
- ( ) A city planning department
- ( ) A national developer

## How many CE hours per cycle? {id=num tags=history}
= 30 ± 1

## What does a land trust hold? {id=txt}
= land
= /^(the )?land$/i

## Match each Commitment. {id=match}
- Mobility => Getting around
- Wellbeing => Health and safety
- Belonging => Civic life

## Put the phases in order. {id=ord}
1. Formation
2. Roadmap
3. Performance
"""


def choice_questions(n: int, tag: str | None = None, prefix: str = "q", *,
                     stem: str = "Question {prefix} number {k}?") -> str:
    """n single-choice questions keyed <prefix>1.. with four options, 'Right <prefix>k'
    correct; `stem` is formatted with `prefix` and `k`."""
    out = []
    for k in range(1, n + 1):
        attrs = f"id={prefix}{k}" + (f" tags={tag}" if tag else "")
        out.append(f"## {stem.format(prefix=prefix, k=k)} {{{attrs}}}\n"
                   f"- (x) Right {prefix}{k}\n- ( ) Wrong A {prefix}{k}\n"
                   f"- ( ) Wrong B {prefix}{k}\n- ( ) Wrong C {prefix}{k}\n")
    return "\n".join(out)


def quiz_md(body: str = ALL_TYPES, **settings) -> str:
    """A quiz item titled "Check": front matter with `settings`, an introduction, `body`."""
    front = {"type": "quiz", "title": "Check", **settings}
    return "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n\nRead carefully.\n\n" + body


def write_course(root: Path, quiz_text: str, code: str = "Q-1",
                 instructors: tuple[str, ...] = ("teach@example.org",)) -> Path:
    """Write program.yml and a course folder with one quiz item (slug `check`)."""
    folder = root / code.lower()
    folder.mkdir(parents=True, exist_ok=True)
    (root / "program.yml").write_text(PROGRAM_YML, encoding="utf-8")
    front = {"code": code, "title": f"Course {code}", "summary": "About quizzes.",
             "ce_hours": 1, "ce_category": "equity", "instructors": list(instructors)}
    (folder / "course.md").write_text(
        "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n\nOverview.\n", encoding="utf-8")
    (folder / "01-check.md").write_text(quiz_text, encoding="utf-8")
    return root


def install(tmp_path: Path, now, quiz_text: str, code: str = "Q-1", **kw) -> Quiz:
    """write_course (under tmp_path/courses) and import it; the course's quiz."""
    root = write_course(tmp_path / "courses", quiz_text, code, **kw)
    courses.import_courses(root, now)
    return quiz_of(code)


def quiz_of(code: str) -> Quiz:
    return db.session.scalar(select(Quiz).join(Item, Item.id == Quiz.item_id)
                             .join(Course, Course.id == Item.course_id)
                             .where(Course.code == code))


def item_url(quiz: Quiz) -> str:
    return f"/courses/{quiz.item.course.code}/items/{quiz.item.slug}"


def latest_attempt(quiz: Quiz, user) -> Attempt:
    """The user's attempt at the quiz with the highest number, loaded with its questions."""
    return quizzes.load_attempt(db.session.scalar(
        select(Attempt.id).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id)
        .order_by(Attempt.number.desc()).limit(1)))


# --------------------------------------------------------------------------- answers


def correct_response(q: dict):
    """The response that earns full marks for a question dict (as stored in a version)."""
    kind = q["type"]
    if kind in ("single", "truefalse"):
        return next(o["id"] for o in q["options"] if o["correct"])
    if kind == "multiple":
        return [o["id"] for o in q["options"] if o["correct"]]
    if kind == "numeric":
        return f"{q['numeric'][0]['value']:g}"
    if kind == "text":
        return next(a["text"] for a in q["accepted"] if "text" in a)
    if kind == "matching":
        return {p["id"]: p["right_id"] for p in q["pairs"]}
    if kind == "ordering":
        return [i["id"] for i in q["items"]]
    raise AssertionError(kind)


def wrong_response(q: dict):
    """A well-formed response that earns nothing."""
    kind = q["type"]
    if kind in ("single", "truefalse"):
        return next(o["id"] for o in q["options"] if not o["correct"])
    if kind == "multiple":
        return [o["id"] for o in q["options"] if not o["correct"]]
    if kind == "numeric":
        return "-12345"
    if kind == "text":
        return "nothing like it"
    if kind == "matching":
        rights = [p["right_id"] for p in q["pairs"]]
        return {p["id"]: rights[(i + 1) % len(rights)] for i, p in enumerate(q["pairs"])}
    if kind == "ordering":
        ids = [i["id"] for i in q["items"]]
        return ids[1:] + ids[:1] if len(ids) > 2 else list(reversed(ids))
    raise AssertionError(kind)


def response_fields(q: dict, response) -> dict:
    """The attempt-page form fields that carry `response` for question dict `q`."""
    key = q["key"]
    name = f"q-{key}"
    fields: dict = {f"present-{key}": "1"}
    if q["type"] == "matching":
        for left_id, right_id in response.items():
            fields[f"{name}-{left_id}"] = right_id
    elif q["type"] == "ordering":
        for rank, item_id in enumerate(response, start=1):
            fields[f"{name}-{item_id}"] = str(rank)
    else:
        fields[name] = response
    return fields


# --------------------------------------------------------------------------- look-ups, clients


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def course(code: str) -> Course:
    return db.session.scalar(select(Course).where(Course.code == code))


def item(code: str, slug: str) -> Item:
    return db.session.scalar(select(Item).join(Course).where(Course.code == code,
                                                             Item.slug == slug))


def client_for(app, sign_in, user=None):
    """A fresh test client signed in as user (or anonymous).

    The shared `app` fixture keeps one app context pushed for the whole test, so every request
    shares flask.g, where Flask-Login caches the current user: forget it before switching.
    """
    g.pop("_login_user", None)
    client = app.test_client()
    if user is not None:
        sign_in(client, user)
    return client


def text_of(response) -> str:
    return response.get_data(as_text=True)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def tags_of(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every start tag of `html` with its attributes, in order."""
    parser = _Tags()
    parser.feed(html)
    return parser.tags


#: A small valid program.yml: the course linter's and the programme loader's tests share it
#: (their expected line numbers refer to it).
LINTER_PROGRAM_YML = """\
credential:
  name: Test Credential
  abbreviation: TC
  id_prefix: TCX
earn:
  courses: [C-1]
categories:
  equity: {name: Equity}
  climate: {name: Climate}
activity_types:
  course: {name: Course, self_reported: false}
  volunteering: {name: Volunteering, self_reported: true}
maintenance:
  cycle:
    length_months: 24
    anchor: earned
  hours_per_cycle: 30
  category_minimums:
    equity: 2
  activity_caps:
    volunteering: {hours: 8, per: year}
  required_categories_each_cycle: [equity]
"""
