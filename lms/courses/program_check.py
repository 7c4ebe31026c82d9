"""program.yml for the course linter: its structure is checked by the programme's own models
(lms.programme, below every feature), its course references here against the course tree."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lms.authoring.frontmatter import load_yaml
from lms.authoring.problems import Problem, Sink, read_text
from lms.authoring.values import line_of, str_list
from lms.programme import InvalidProgramme, check_programme, programme_for

if TYPE_CHECKING:
    from lms.courses.parsed import ParsedCourse

PROGRAM_FILE = "program.yml"

_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def parse_program(path: Path) -> tuple[dict[str, Any] | None, dict[tuple[str, ...], int],
                                       list[Problem]]:
    """Read and validate program.yml; return (data or None, key-path lines, problems).

    Course references (earn.*, required_courses_each_cycle) are checked by :func:`parse_tree`,
    which knows the courses.
    """
    sink = Sink()
    text = read_text(path, sink)
    if text is None:
        return None, {}, sink.problems
    data, lines, issues = load_yaml(text, offset=1)
    sink.extend(path, issues)
    if data is None and not issues:
        sink.add(path, 1, "program.yml is empty")
        return None, lines, sink.problems
    if data is None:
        return None, lines, sink.problems
    programme, issues = check_programme(data, lines)  # the rules' own models (lms.programme)
    for line, message in issues:
        sink.add(path, line, message)
    return (data if programme is not None else None), lines, sink.problems


@dataclass
class Program:
    path: Path
    data: dict[str, Any] | None
    lines: dict[tuple[str, ...], int]


def check_program_courses(program: dict[str, Any], lines: Mapping[tuple[str, ...], int],
                           path: Path, courses: list[ParsedCourse], sink: Sink) -> None:
    """Check the programme's course references against the whole tree."""
    by_code = {course.code: course for course in courses if course.code}

    earn: dict[str, Any] = program["earn"] if isinstance(program.get("earn"), dict) else {}
    for index, code in enumerate(str_list(earn.get("courses")) or []):
        if code not in by_code:
            sink.add(path, line_of(lines, 1, "earn", "courses", str(index)),
                     f"earn.courses: unknown course code '{code}'")
    for name, kind in (("exam", "quiz"), ("case_study", "assignment")):
        ref = earn.get(name)
        if not isinstance(ref, dict) or not isinstance(ref.get("course"), str):
            continue
        course = by_code.get(ref["course"])
        if course is None:
            sink.add(path, line_of(lines, 1, "earn", name, "course"),
                     f"earn.{name}: unknown course code '{ref['course']}'")
            continue
        item = course.item(str(ref.get("item")))
        if item is None:
            sink.add(path, line_of(lines, 1, "earn", name, "item"),
                     f"earn.{name}: course {course.code} has no item '{ref.get('item')}'")
        elif item.kind != kind:
            sink.add(path, line_of(lines, 1, "earn", name, "item"),
                     f"earn.{name}: item '{item.slug}' of {course.code} has type: {item.kind} "
                     f"(expected type: {kind})")
    maintenance: dict[str, Any] = program["maintenance"] \
        if isinstance(program.get("maintenance"), dict) else {}
    required = str_list(maintenance.get("required_courses_each_cycle")) or []
    for index, code in enumerate(required):
        if code not in by_code:
            sink.add(path,
                     line_of(lines, 1, "maintenance", "required_courses_each_cycle", str(index)),
                     f"required_courses_each_cycle: unknown course code '{code}'")


def load_program_categories(path: Path | str | None = None) -> dict[str, str]:
    """Return program.yml's CE categories as {key: name}; {} when missing or unreadable.

    path is program.yml or the folder holding it. Without a path: the Flask app's COURSES_DIR
    when an app context is active, else ./courses.
    """
    if path is None:
        folder: Path | str = "courses"
        try:
            from flask import current_app, has_app_context

            if has_app_context():
                folder = current_app.config.get("COURSES_DIR", "courses")
        except ImportError:  # pragma: no cover - Flask is a dependency of the app
            pass
        path = folder
    try:
        programme = programme_for(path)  # cached: parsed again only when the file changes
    except InvalidProgramme:
        return {}
    return {key: category.name for key, category in programme.categories.items()}
