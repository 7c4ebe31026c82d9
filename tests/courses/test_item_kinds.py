"""The item-kind registry: courses parses and shows kinds it does not know by name."""
from __future__ import annotations

import pytest

from lms.courses import kinds
from lms.courses.parser import parse_item_text


def test_every_kind_is_registered_lesson_first():
    assert kinds.names() == ("lesson", "quiz", "assignment")
    assert kinds.names_text() == "lesson, quiz or assignment"
    assert [kinds.label(name) for name in kinds.names()] == ["Lesson", "Quiz", "Assignment"]
    assert kinds.template_for("quiz") == "quizzes/item.html"
    assert kinds.template_for("assignment") == "assignments/item.html"
    assert kinds.template_for("lesson") == "courses/lesson.html"


@pytest.fixture
def survey(monkeypatch: pytest.MonkeyPatch):
    """A kind registered the way a feature package would, removed after the test."""

    def parse(meta, body, *, body_line, key_lines, default_title):
        issues = [] if body.strip() else [(body_line, "survey has no questions")]
        return kinds.KindParse(content={"questions": body.count("?")},
                               title=meta.get("title") or default_title, minutes=3,
                               issues=issues)

    kind = kinds.ItemKind("survey", parse, frozenset({"title", "type"}), "surveys/item.html",
                          lambda item, enrolment, user: {"extra": item.kind}, label="Poll")
    monkeypatch.setitem(kinds._KINDS, "survey", kind)
    return kind


def test_a_registered_kind_is_parsed_by_its_own_parser(survey):
    item, problems = parse_item_text("---\ntype: survey\ntitle: Views\n---\nWhy? How?\n",
                                     source_path="02-views.md", slug="views")
    assert problems == []
    assert (item.kind, item.title, item.estimated_minutes) == ("survey", "Views", 3)
    assert item.content == {"questions": 2}
    _, problems = parse_item_text("---\ntype: survey\n---\n", source_path="02-views.md",
                                  slug="views")
    assert [(p.line, p.message) for p in problems] == [(4, "survey has no questions")]
    assert kinds.label("survey") == "Poll"

    class Item:
        kind = "survey"

    assert kinds.context_for(Item(), None, None) == {"extra": "survey"}


def test_an_unknown_type_lists_the_registered_kinds(survey):
    _, problems = parse_item_text("---\ntype: video\n---\nText.\n", source_path="01-a.md",
                                  slug="a")
    assert [(p.line, p.message) for p in problems] == [
        (2, "unknown type 'video': use lesson, quiz, assignment or survey")]
