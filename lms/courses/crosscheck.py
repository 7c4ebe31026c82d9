"""Checks across courses: duplicate codes, prerequisites (known, not circular), categories."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from lms.authoring.frontmatter import FrontMatter, split_front_matter
from lms.authoring.problems import Sink, display_path
from lms.authoring.values import line_of
from lms.courses.layout import COURSE_FILE, list_course_dirs
from lms.courses.parsed import ParsedCourse
from lms.courses.program_check import Program


def _line(fm: FrontMatter, *path: str) -> int:
    """Line of the deepest known prefix of a front matter key path (else the first line)."""
    return line_of(fm.lines, 1, *path)


def peek_code(course_dir: Path) -> str | None:
    """The code of a course folder's course.md, or None (no problems reported)."""
    try:
        text = (course_dir / COURSE_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    code = split_front_matter(text.replace("\r\n", "\n")).meta.get("code")
    return str(code).strip() if isinstance(code, str | int) and not isinstance(code, bool) \
        else None


def _code_line(course: ParsedCourse) -> int:
    return split_front_matter(course.source).lines.get(("code",), 1)


def check_courses(courses: list[ParsedCourse], course_dirs: list[Path], known: set[str],
                   program_for: Callable[[Path], Program | None], sink: Sink) -> None:
    """Cross-course checks: duplicate codes, prerequisites, categories."""
    parsed_dirs = {course.path for course in courses}
    # codes in the tree: the parsed courses and their sibling course folders
    siblings: dict[str, list[Path]] = {}
    for parent in {folder.parent for folder in course_dirs}:
        for folder in list_course_dirs(parent):
            if folder in parsed_dirs:
                continue
            code = peek_code(folder)
            if code:
                siblings.setdefault(code, []).append(folder)
    by_code: dict[str, list[ParsedCourse]] = {}
    for course in courses:
        if course.code:
            by_code.setdefault(course.code, []).append(course)
    for code, group in by_code.items():
        others = [c.path / COURSE_FILE for c in group] + \
                 [f / COURSE_FILE for f in siblings.get(code, [])]
        if len(others) < 2:
            continue
        for course in group:
            also = ", ".join(display_path(p) for p in others if p != course.path / COURSE_FILE)
            sink.add(course.path / COURSE_FILE, _code_line(course),
                     f"duplicate course code '{code}' (also {also})")
    tree_codes = set(by_code) | set(siblings)
    for course in courses:
        fm = split_front_matter(course.source)
        course_md = course.path / COURSE_FILE
        for index, code in enumerate(course.prerequisites):
            line = _line(fm, "prerequisites", str(index))
            if code == course.code:
                sink.add(course_md, line, f"course lists itself ({code}) as a prerequisite")
            elif code not in tree_codes and code not in known:
                sink.add(course_md, line, f"unknown prerequisite '{code}' (no course with that "
                                          "code in the tree or the database)")
        program = program_for(course.path.parent)
        if course.ce_category and program is not None and program.data is not None:
            categories = program.data.get("categories")
            if isinstance(categories, dict) and course.ce_category not in categories:
                sink.add(course_md, _line(fm, "ce_category"),
                         f"unknown ce_category '{course.ce_category}' (program.yml categories: "
                         f"{', '.join(sorted(categories))})")
    _check_prerequisite_cycles(by_code, sink)


def _check_prerequisite_cycles(by_code: Mapping[str, list[ParsedCourse]], sink: Sink) -> None:
    graph = {code: group[0].prerequisites for code, group in by_code.items()}
    state: dict[str, int] = {}  # 1 = visiting, 2 = done
    reported: set[str] = set()

    def visit(code: str, trail: list[str]) -> None:
        state[code] = 1
        for nxt in graph.get(code, []):
            if nxt not in graph or nxt == code:
                continue
            if state.get(nxt) == 1:
                cycle = trail[trail.index(nxt):] + [nxt]
                if nxt not in reported:
                    reported.update(cycle)
                    course = by_code[code][0]
                    fm = split_front_matter(course.source)
                    sink.add(course.path / COURSE_FILE, _line(fm, "prerequisites"),
                             f"prerequisite cycle: {' -> '.join(cycle)}")
            elif state.get(nxt) is None:
                visit(nxt, [*trail, nxt])
        state[code] = 2

    for code in sorted(graph):
        if code not in state:
            visit(code, [code])
