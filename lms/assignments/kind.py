"""The assignment item kind, registered with courses' item-kind registry (lms.courses.kinds)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lms.assignments.parser import ASSIGNMENT_KEYS, parse_assignment
from lms.courses import kinds

NAME = "assignment"
#: An assignment without estimated_minutes is expected to take an hour.
DEFAULT_MINUTES = 60


def parse(meta: Mapping[str, Any], body: str, *, body_line: int,
          key_lines: Mapping[tuple[str, ...], int], default_title: str) -> kinds.KindParse:
    """Parse an assignment file (see :func:`lms.assignments.parser.parse_assignment`)."""
    assignment, issues = parse_assignment(meta, body, body_line=body_line, key_lines=key_lines,
                                          default_title=default_title)
    return kinds.KindParse(content=assignment, title=assignment.title or default_title,
                           minutes=DEFAULT_MINUTES, issues=issues)


def page_context(item: Any, enrolment: Any, user: Any) -> dict[str, Any]:
    """The assignment item page's context (the learner's work, reviews to do)."""
    from lms.assignments.views import item_context

    return item_context(item, enrolment, user)


def register() -> None:
    kinds.register(kinds.ItemKind(NAME, parse, ASSIGNMENT_KEYS, "assignments/item.html",
                                  page_context))
