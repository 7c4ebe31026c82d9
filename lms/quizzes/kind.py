"""The quiz item kind, registered with courses' item-kind registry (lms.courses.kinds)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lms.courses import kinds
from lms.quizzes.parser import QUIZ_KEYS, estimate_minutes, parse_quiz

NAME = "quiz"


def parse(meta: Mapping[str, Any], body: str, *, body_line: int,
          key_lines: Mapping[tuple[str, ...], int], default_title: str) -> kinds.KindParse:
    """Parse a quiz file's front matter and body (see :func:`lms.quizzes.parser.parse_quiz`)."""
    quiz, issues = parse_quiz(meta, body, body_line=body_line, key_lines=key_lines,
                              default_title=default_title)
    return kinds.KindParse(content=quiz, title=quiz.settings["title"] or default_title,
                           minutes=estimate_minutes(quiz.settings, len(quiz.questions)),
                           issues=issues)


def page_context(item: Any, enrolment: Any, user: Any) -> dict[str, Any]:
    """The quiz item page's context (the learner's standing and the start form)."""
    from lms.quizzes.views import item_context

    return item_context(item, enrolment, user)


def register() -> None:
    kinds.register(kinds.ItemKind(NAME, parse, QUIZ_KEYS, "quizzes/item.html", page_context))
