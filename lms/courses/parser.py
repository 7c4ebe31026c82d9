"""Read the Markdown course tree (``courses/``) and lint it: pure Python, no database, no Flask.

The format is documented in ``docs/authoring.md``. :func:`parse_tree` reads ``program.yml`` and
the course folders and returns every course with its modules and items, plus every problem
found (``path:LINE: message``); it never raises on bad input. :func:`check` returns only the
problems. The importer refuses to import a tree that has problems.

Quiz bodies are parsed by :mod:`lms.quizzes.parser`, assignment bodies by
:mod:`lms.assignments.parser`; this module reads the files, splits off the YAML front matter,
orders modules and items, checks links, course metadata, cross-course references and the
programme rules file.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import traceback
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from lms.assignments.parser import ParsedAssignment, parse_assignment
from lms.authoring import fence_flags, is_int, is_number, line_of, unfenced_front_matter
from lms.quizzes.parser import ParsedQuiz, estimate_minutes, parse_quiz

__all__ = [
    "COURSE_KEYS", "ITEM_KINDS", "LEVELS", "FrontMatter", "ParseResult", "ParsedAssignment",
    "ParsedCourse", "ParsedItem", "ParsedModule", "ParsedQuiz", "Problem", "check",
    "load_program_categories", "parse_course", "parse_item_text", "parse_program", "parse_tree",
    "split_front_matter",
]

ITEM_KINDS = ("lesson", "quiz", "assignment")
LEVELS = ("introductory", "intermediate", "advanced")
COURSE_KEYS = frozenset({
    "code", "title", "summary", "ce_hours", "ce_category", "level", "prerequisites",
    "instructors", "published",
})
MODULE_KEYS = frozenset({"title", "summary"})
LESSON_KEYS = frozenset({"title", "type", "estimated_minutes", "summary"})
#: Minutes per 200 words used to estimate a lesson; assignments default to an hour.
WORDS_PER_MINUTE = 200
DEFAULT_ASSIGNMENT_MINUTES = 60

PROGRAM_FILE = "program.yml"
COURSE_FILE = "course.md"
MODULE_FILE = "module.md"
ASSETS_DIR = "assets"
IGNORED_FILES = frozenset({"readme.md"})

_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PREFIX_RE = re.compile(r"^(\d+)-(.*)$")
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_H1_RE = re.compile(r"^ {0,3}#[ \t]+(.+)$")
_CODE_SPAN_RE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_INLINE_LINK_RE = re.compile(
    r"(!?)\[((?:[^\[\]\\]|\\.|\[[^\[\]]*\])*+)\]\(\s*+"
    r"(<[^<>\n]*>|(?:[^\s()\\]|\\.|\([^\s()]*\))*+)"
    r"(?:\s++(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*+\)"
)
_REF_DEF_RE = re.compile(r"^ {0,3}\[([^\]^][^\]]*)\]:\s*(<[^<>]*>|\S+)")
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Problem:
    """One lint problem: a file (relative to the working directory when possible), a line."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class ParsedModule:
    """A module: a numbered folder of items, optionally described by module.md."""

    slug: str
    title: str
    summary: str
    position: int
    dirname: str
    source: str = ""


@dataclass
class ParsedItem:
    """A lesson, quiz or assignment file."""

    slug: str
    kind: str
    title: str
    module_slug: str | None
    position: int
    source_path: str
    source: str
    body: str
    meta: dict[str, Any]
    estimated_minutes: int
    quiz: ParsedQuiz | None = None
    assignment: ParsedAssignment | None = None


@dataclass
class ParsedCourse:
    """A course folder: course.md metadata and overview, modules, items (in order) and assets."""

    code: str
    title: str
    summary: str
    ce_hours: float | None
    ce_category: str | None
    level: str | None
    prerequisites: list[str]
    instructors: list[str]
    published: bool
    overview: str
    source: str
    path: Path
    dirname: str
    modules: list[ParsedModule] = field(default_factory=list)
    items: list[ParsedItem] = field(default_factory=list)
    assets: list[str] = field(default_factory=list)

    def item(self, slug: str) -> ParsedItem | None:
        """Return the item with this slug, or None."""
        return next((item for item in self.items if item.slug == slug), None)


@dataclass
class ParseResult:
    """What :func:`parse_tree` found: the programme rules, the courses and every problem."""

    program: dict[str, Any] | None
    courses: list[ParsedCourse]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems


@dataclass
class FrontMatter:
    """A Markdown file split into YAML front matter and body.

    ``lines`` maps key paths (tuples of str; list indexes as str) to 1-based file lines;
    ``body_line`` is the file line of the body's first line; ``issues`` are (line, message).
    """

    meta: dict[str, Any]
    lines: dict[tuple[str, ...], int]
    body: str
    body_line: int
    issues: list[tuple[int, str]] = field(default_factory=list)


# --------------------------------------------------------------------------- problems


def _display_path(path: Path) -> str:
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(absolute)


class _Sink:
    """Collects problems."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(_display_path(path), max(1, int(line)), message))

    def extend(self, path: Path, issues: Iterable[tuple[int, str]]) -> None:
        for line, message in issues:
            self.add(path, line, message)


# --------------------------------------------------------------------------- YAML


def _plain(value: Any) -> Any:
    """Make YAML data JSON-friendly: dates to ISO strings, keys to str, tuples to lists."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def _node_lines(node: yaml.Node | None, offset: int) -> tuple[dict[tuple[str, ...], int],
                                                              list[tuple[int, str]]]:
    """Map key paths of a composed YAML node to file lines; report duplicate keys."""
    lines: dict[tuple[str, ...], int] = {}
    issues: list[tuple[int, str]] = []

    def walk(current: yaml.Node, path: tuple[str, ...]) -> None:
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in current.value:
                key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
                line = key_node.start_mark.line + offset
                if key in seen and key != "<<":
                    issues.append((line, f"duplicate key '{'.'.join((*path, key))}'"))
                seen.add(key)
                lines.setdefault((*path, key), line)
                walk(value_node, (*path, key))
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                lines.setdefault((*path, str(index)), item.start_mark.line + offset)
                walk(item, (*path, str(index)))

    if node is not None:
        walk(node, ())
    return lines, issues


def _shared_node_line(node: yaml.Node | None) -> int | None:
    """The 0-based line of a node reached twice (an alias), else None."""
    seen: set[int] = set()
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if id(current) in seen:
            return current.start_mark.line
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                stack.extend((key_node, value_node))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return None


def load_yaml(text: str, *, offset: int = 1) -> tuple[Any, dict[tuple[str, ...], int],
                                                      list[tuple[int, str]]]:
    """Load YAML safely; return (data, key-path lines, issues). offset = file line of text's line 1.

    On a syntax error data is None and the issue carries the error's line.
    """
    loader = None
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        alias_line = _shared_node_line(node)
        if alias_line is not None:
            return None, {}, [(alias_line + offset, "YAML anchors and aliases (&name, *name) "
                                                    "are not supported here")]
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + offset) if mark is not None else offset
        detail = " ".join(part for part in (exc.context, exc.problem) if part) or str(exc)
        return None, {}, [(line, f"YAML syntax error: {detail}")]
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        return None, {}, [(offset, f"YAML error: {exc}")]
    finally:
        if loader is not None:
            loader.dispose()
    lines, issues = _node_lines(node, offset)
    return _plain(data), lines, issues


def split_front_matter(text: str) -> FrontMatter:
    """Split a Markdown file into YAML front matter (between `---` lines) and body."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return FrontMatter({}, {}, text, 1)
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        return FrontMatter({}, {}, text, 1, [(1, "front matter starting with '---' is never "
                                                 "closed by a '---' line")])
    body = "\n".join(lines[end + 1:])
    data, key_lines, issues = load_yaml("\n".join(lines[1:end]), offset=2)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        issues.append((2, "front matter must be a map of key: value lines"))
        data = {}
    return FrontMatter(data, key_lines, body, end + 2, issues)


# --------------------------------------------------------------------------- small helpers


def _line(fm: FrontMatter, *path: str) -> int:
    """Line of the deepest known prefix of a front matter key path (else the first line)."""
    return line_of(fm.lines, 1, *path)


def _titleize(slug: str) -> str:
    return slug.replace("-", " ").replace("_", " ").strip().capitalize()


def _first_h1(body: str) -> str | None:
    for line in body.split("\n"):
        match = _H1_RE.match(line)
        if match:
            title = match.group(1).strip()
            bare = title.rstrip("#")
            if bare != title and (not bare or bare[-1] in " \t"):
                title = bare.strip()
            return title or None
    return None


def _read_text(path: Path, sink: _Sink) -> str | None:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        sink.add(path, 1, f"cannot read file: {exc.strerror or exc}")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        sink.add(path, line, "file is not valid UTF-8 text")
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _word_count(body: str) -> int:
    return len(re.findall(r"[\w'’-]+", body))


def _str_list(value: Any) -> list[str] | None:
    """A list of non-empty strings (numbers are turned into text); None when not a list."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return None
    out = []
    for item in value:
        if isinstance(item, bool) or item is None or isinstance(item, dict | list):
            return None
        text = str(item).strip()
        if not text:
            return None
        out.append(text)
    return out


# --------------------------------------------------------------------------- links


def iter_links(text: str) -> Iterable[tuple[int, str, bool]]:
    """Yield (line, target, is_image) for inline links/images and reference definitions.

    Fenced code blocks and inline code spans are skipped (indented text is checked: it is
    usually an admonition body or a list item's continuation, not code).
    """
    lines = text.split("\n")
    fenced = fence_flags(lines)
    for index, line in enumerate(lines):
        if fenced[index]:
            continue
        plain = _CODE_SPAN_RE.sub(lambda m: " " * len(m.group(0)), line)
        for match in _INLINE_LINK_RE.finditer(plain):
            yield index + 1, match.group(3), match.group(1) == "!"
        ref = _REF_DEF_RE.match(plain)
        if ref:
            yield index + 1, ref.group(2), False


def _local_target(target: str) -> str | None:
    """The file part of a relative link target, or None when it is not a local file link."""
    target = target.strip()
    if target.startswith("<") and target.endswith(">"):
        target = target[1:-1].strip()
    if not target or target.startswith(("#", "/", "\\")) or _SCHEME_RE.match(target):
        return None
    target = re.split(r"[#?]", target, maxsplit=1)[0]
    target = re.sub(r"\\(.)", r"\1", target)
    return unquote(target) or None


def check_links(text: str, file: Path, course_dir: Path, line_offset: int = 0, *,
                exists: Callable[[Path], bool] = Path.exists) -> list[tuple[int, str]]:
    """Return (line, message) for each relative link or image whose target file is missing.

    `exists` decides whether a resolved target is there (the filesystem by default).
    """
    issues: list[tuple[int, str]] = []
    base = file.parent
    course_root = Path(os.path.abspath(course_dir))
    for line, raw, is_image in iter_links(text):
        target = _local_target(raw)
        if target is None:
            continue
        what = "image" if is_image else "link"
        resolved = Path(os.path.normpath(os.path.abspath(base / target)))
        if course_root != resolved and course_root not in resolved.parents:
            issues.append((line + line_offset, f"{what} '{raw}' points outside the course "
                                               "folder"))
        elif not exists(resolved):
            issues.append((line + line_offset, f"broken {what}: '{raw}' does not exist"))
    return issues


# --------------------------------------------------------------------------- program.yml


def _program_checker(data: Any, lines: Mapping[tuple[str, ...], int],
                     report: Callable[[int, str], None]) -> dict[str, Any] | None:
    """Validate program.yml's structure; report (line, message). Returns the data or None."""

    def bad(path: tuple[str, ...], message: str) -> None:
        report(line_of(lines, 1, *path), message)

    if not isinstance(data, dict):
        report(1, "program.yml must be a map (credential, earn, categories, activity_types, "
                  "maintenance)")
        return None

    def section(name: str, required: bool = True) -> dict[str, Any]:
        value = data.get(name)
        if value is None:
            if required:
                report(1, f"program.yml: missing section '{name}'")
            return {}
        if not isinstance(value, dict):
            bad((name,), f"'{name}' must be a map")
            return {}
        return value

    credential = section("credential")
    for key in ("name", "abbreviation", "id_prefix"):
        value = credential.get(key)
        if not isinstance(value, str) or not value.strip():
            if "credential" in data:
                bad(("credential", key), f"credential.{key} is required (text)")
    prefix = credential.get("id_prefix")
    if isinstance(prefix, str) and prefix.strip() and not re.fullmatch(r"[A-Za-z0-9]+", prefix):
        bad(("credential", "id_prefix"), "credential.id_prefix must be letters and digits only")

    categories = section("categories")
    if "categories" in data and not categories:
        bad(("categories",), "categories must name at least one CE category")
    for key, value in categories.items():
        if not _KEY_RE.match(key):
            bad(("categories", key), f"category key '{key}' must be lowercase letters, digits "
                                     "and hyphens")
        if not isinstance(value, dict) or not isinstance(value.get("name"), str) \
                or not value["name"].strip():
            bad(("categories", key), f"category '{key}' needs a name: {{name: ...}}")

    activity_types = section("activity_types", required=False)
    for key, value in activity_types.items():
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            bad(("activity_types", key), f"activity type '{key}' needs a name: {{name: ...}}")
        elif "self_reported" in value and not isinstance(value["self_reported"], bool):
            bad(("activity_types", key, "self_reported"),
                f"activity_types.{key}.self_reported must be true or false")

    _check_earn(section("earn", required=False), bad)
    _check_maintenance(section("maintenance"), categories, activity_types, bad)
    return data


def _check_ref(value: Any, path: tuple[str, ...], bad: Callable[[tuple[str, ...], str], None],
               ) -> None:
    if value is None:
        return
    if not isinstance(value, dict) or not isinstance(value.get("course"), str) \
            or not isinstance(value.get("item"), str):
        bad(path, f"{'.'.join(path)} must be a map with course (a course code) and item "
                  "(an item slug)")


def _check_earn(earn: dict[str, Any], bad: Callable[[tuple[str, ...], str], None]) -> None:
    courses = earn.get("courses")
    if courses is not None and _str_list(courses) is None:
        bad(("earn", "courses"), "earn.courses must be a list of course codes")
    _check_ref(earn.get("exam"), ("earn", "exam"), bad)
    _check_ref(earn.get("case_study"), ("earn", "case_study"), bad)


def _nonneg(value: Any, path: tuple[str, ...], bad: Callable[[tuple[str, ...], str], None],
            *, integer: bool = False, positive: bool = False, allow_null: bool = False) -> None:
    if value is None and allow_null:
        return
    ok = is_int(value) if integer else is_number(value)
    if ok:
        ok = value > 0 if positive else value >= 0
    if not ok:
        kind = "a whole number" if integer else "a number"
        bound = "> 0" if positive else ">= 0"
        null = " or null" if allow_null else ""
        bad(path, f"{'.'.join(path)} must be {kind} {bound}{null} (got {value!r})")


def _check_maintenance(
    maintenance: dict[str, Any], categories: dict[str, Any], activity_types: dict[str, Any],
    bad: Callable[[tuple[str, ...], str], None],
) -> None:
    if not maintenance:
        return
    m = ("maintenance",)
    cycle = maintenance.get("cycle")
    if not isinstance(cycle, dict):
        bad((*m, "cycle"), "maintenance.cycle must be a map with length_months and anchor")
    else:
        _nonneg(cycle.get("length_months"), (*m, "cycle", "length_months"), bad,
                integer=True, positive=True)
        anchor = cycle.get("anchor", "earned")
        if anchor not in ("earned", "calendar"):
            bad((*m, "cycle", "anchor"), f"maintenance.cycle.anchor must be earned or calendar "
                                         f"(got {anchor!r})")
        start = cycle.get("calendar_start")
        if start is not None and not _valid_month_day(start):
            bad((*m, "cycle", "calendar_start"),
                "maintenance.cycle.calendar_start must be MM-DD, e.g. 01-01")
    if "hours_per_cycle" not in maintenance:
        bad(m, "maintenance.hours_per_cycle is required")
    else:
        _nonneg(maintenance["hours_per_cycle"], (*m, "hours_per_cycle"), bad, positive=True)

    minimums = maintenance.get("category_minimums")
    if minimums is not None:
        if not isinstance(minimums, dict):
            bad((*m, "category_minimums"), "maintenance.category_minimums must be a map of "
                                           "category: hours")
        else:
            for key, hours in minimums.items():
                path = (*m, "category_minimums", key)
                if key not in categories:
                    bad(path, f"unknown category '{key}' in category_minimums")
                _nonneg(hours, path, bad)

    caps = maintenance.get("activity_caps")
    if caps is not None:
        if not isinstance(caps, dict):
            bad((*m, "activity_caps"), "maintenance.activity_caps must be a map of activity "
                                       "type: {hours, per}")
        else:
            for key, cap in caps.items():
                path = (*m, "activity_caps", key)
                if key not in activity_types:
                    bad(path, f"unknown activity type '{key}' in activity_caps")
                if not isinstance(cap, dict):
                    bad(path, f"activity cap '{key}' must be {{hours: N, per: year|cycle}}")
                    continue
                _nonneg(cap.get("hours"), (*path, "hours"), bad)
                if cap.get("per", "cycle") not in ("year", "cycle"):
                    bad((*path, "per"), f"activity cap '{key}': per must be year or cycle "
                                        f"(got {cap.get('per')!r})")

    _nonneg(maintenance.get("self_report_cap"), (*m, "self_report_cap"), bad, allow_null=True)
    carry = maintenance.get("carry_over")
    if carry is not None:
        if not isinstance(carry, dict):
            bad((*m, "carry_over"), "maintenance.carry_over must be {max_hours, "
                                    "from_final_months}")
        else:
            _nonneg(carry.get("max_hours", 0), (*m, "carry_over", "max_hours"), bad)
            _nonneg(carry.get("from_final_months", 0), (*m, "carry_over", "from_final_months"),
                    bad, integer=True)
    for key in ("grace_months", "reinstatement_months"):
        if key in maintenance:
            _nonneg(maintenance[key], (*m, key), bad, integer=True)
    days = maintenance.get("reminder_days")
    if days is not None and (not isinstance(days, list)
                             or not all(is_int(d) and d > 0 for d in days)):
        bad((*m, "reminder_days"), "maintenance.reminder_days must be a list of whole numbers "
                                   "of days > 0")
    rate = maintenance.get("audit_rate")
    if rate is not None and not (is_number(rate) and 0 <= rate <= 1):
        bad((*m, "audit_rate"), f"maintenance.audit_rate must be a number from 0 to 1 "
                                f"(got {rate!r})")
    required = maintenance.get("required_categories_each_cycle")
    if required is not None:
        keys = _str_list(required)
        if keys is None:
            bad((*m, "required_categories_each_cycle"),
                "maintenance.required_categories_each_cycle must be a list of category keys")
        else:
            for index, key in enumerate(keys):
                if key not in categories:
                    bad((*m, "required_categories_each_cycle", str(index)),
                        f"unknown category '{key}' in required_categories_each_cycle")
    courses = maintenance.get("required_courses_each_cycle")
    if courses is not None and _str_list(courses) is None:
        bad((*m, "required_courses_each_cycle"),
            "maintenance.required_courses_each_cycle must be a list of course codes")


def _valid_month_day(value: Any) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{2}-\d{2}", value):
        return False
    try:
        dt.date(2000, int(value[:2]), int(value[3:]))
    except ValueError:
        return False
    return True


def parse_program(path: Path) -> tuple[dict[str, Any] | None, dict[tuple[str, ...], int],
                                       list[Problem]]:
    """Read and validate program.yml; return (data or None, key-path lines, problems).

    Course references (earn.*, required_courses_each_cycle) are checked by :func:`parse_tree`,
    which knows the courses.
    """
    sink = _Sink()
    text = _read_text(path, sink)
    if text is None:
        return None, {}, sink.problems
    data, lines, issues = load_yaml(text, offset=1)
    sink.extend(path, issues)
    if data is None and not issues:
        sink.add(path, 1, "program.yml is empty")
        return None, lines, sink.problems
    if data is None:
        return None, lines, sink.problems
    program = _program_checker(data, lines, lambda line, message: sink.add(path, line, message))
    return program, lines, sink.problems


def _check_program_courses(program: dict[str, Any], lines: Mapping[tuple[str, ...], int],
                           path: Path, courses: list[ParsedCourse], sink: _Sink) -> None:
    """Check the programme's course references against the whole tree."""
    by_code = {course.code: course for course in courses if course.code}

    earn = program.get("earn") if isinstance(program.get("earn"), dict) else {}
    for index, code in enumerate(_str_list(earn.get("courses")) or []):
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
    maintenance = program.get("maintenance") if isinstance(program.get("maintenance"),
                                                            dict) else {}
    required = _str_list(maintenance.get("required_courses_each_cycle")) or []
    for index, code in enumerate(required):
        if code not in by_code:
            sink.add(path,
                     line_of(lines, 1, "maintenance", "required_courses_each_cycle", str(index)),
                     f"required_courses_each_cycle: unknown course code '{code}'")


# --------------------------------------------------------------------------- course folders


@dataclass
class _Entry:
    number: int
    slug: str
    path: Path


def _scan_folder(folder: Path, sink: _Sink, *, top: bool) -> tuple[list[_Entry], list[_Entry]]:
    """Return (item files, module folders) of a course or module folder, named NN-slug."""
    files: list[_Entry] = []
    dirs: list[_Entry] = []
    try:
        children = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        sink.add(folder, 1, f"cannot read folder: {exc.strerror or exc}")
        return files, dirs
    own_file = COURSE_FILE if top else MODULE_FILE
    for child in children:
        name = child.name
        if name.startswith((".", "_")):
            continue
        if child.is_dir():
            if top and name == ASSETS_DIR:
                continue
            if not top:
                sink.add(child, 1, f"folder '{name}' inside a module: modules cannot be nested "
                                   "(keep images in the course's assets/ folder)")
                continue
            entry = _numbered(child, name, sink, "module folder")
            if entry:
                dirs.append(entry)
        elif child.is_file() and name.endswith(".md"):
            if name == own_file or name.lower() in IGNORED_FILES:
                continue
            if top and name == MODULE_FILE or not top and name == COURSE_FILE:
                sink.add(child, 1, f"{name} does not belong here")
                continue
            entry = _numbered(child, name[:-3], sink, "item file")
            if entry:
                files.append(entry)
    _check_positions([*files, *dirs], sink)
    return files, dirs


def _numbered(path: Path, stem: str, sink: _Sink, what: str) -> _Entry | None:
    match = _PREFIX_RE.match(stem)
    suffix = ".md" if path.suffix == ".md" else ""
    if not match:
        example = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "name"
        sink.add(path, 1, f"{what} name '{path.name}' has no numeric prefix: name it "
                          f"NN-slug{suffix} (e.g. 01-{example}{suffix}) to give its position")
        return None
    if not _SLUG_RE.match(match.group(2)):
        sink.add(path, 1, f"{what} name '{path.name}': after the numeric prefix use lowercase "
                          "letters, digits and single hyphens (NN-slug)")
        return None
    return _Entry(int(match.group(1)), match.group(2), path)


def _check_positions(entries: list[_Entry], sink: _Sink) -> None:
    seen: dict[int, _Entry] = {}
    for entry in sorted(entries, key=lambda e: (e.number, e.path.name)):
        if entry.number in seen:
            sink.add(entry.path, 1, f"position prefix {entry.number} is also used by "
                                    f"'{seen[entry.number].path.name}': the order is ambiguous")
        else:
            seen[entry.number] = entry


def _ordered(files: list[_Entry], dirs: list[_Entry]) -> list[tuple[_Entry, bool]]:
    tagged = [(e, False) for e in files] + [(e, True) for e in dirs]
    return sorted(tagged, key=lambda pair: (pair[0].number, pair[0].path.name))


def _list_assets(course_dir: Path) -> list[str]:
    assets_dir = course_dir / ASSETS_DIR
    if not assets_dir.is_dir():
        return []
    found = []
    for path in sorted(assets_dir.rglob("*")):
        rel = path.relative_to(assets_dir)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            found.append(rel.as_posix())
    return found


def _course_meta(fm: FrontMatter, path: Path, sink: _Sink) -> dict[str, Any]:
    """Validate course.md front matter; return the course fields (defaults for bad values)."""
    meta = fm.meta

    def bad(key: str, message: str) -> None:
        sink.add(path, _line(fm, key), message)

    for key in meta:
        if key not in COURSE_KEYS:
            bad(key, f"unknown course.md key '{key}' (known: {', '.join(sorted(COURSE_KEYS))})")
    out: dict[str, Any] = {"code": "", "title": "", "summary": "", "ce_hours": None,
                           "ce_category": None, "level": None, "prerequisites": [],
                           "instructors": [], "published": True}
    code = meta.get("code")
    if code is None or (isinstance(code, str) and not code.strip()):
        bad("code", "course.md: missing required key 'code' (e.g. code: JC-101)")
    elif isinstance(code, bool) or isinstance(code, dict | list) \
            or not _CODE_RE.match(str(code).strip()):
        bad("code", f"invalid course code {code!r}: letters, digits, '-', '_' and '.', "
                    "at most 40 characters")
    else:
        out["code"] = str(code).strip()
    title = meta.get("title")
    if title is None or (isinstance(title, str) and not title.strip()):
        bad("title", "course.md: missing required key 'title'")
    elif not isinstance(title, str | int | float) or isinstance(title, bool):
        bad("title", "course title must be text")
    else:
        out["title"] = str(title).strip()
    summary = meta.get("summary")
    if summary is not None:
        if isinstance(summary, str):
            out["summary"] = summary.strip()
        else:
            bad("summary", "summary must be text")
    hours = meta.get("ce_hours")
    if hours is not None:
        if is_number(hours) and hours >= 0:
            out["ce_hours"] = float(hours)
        else:
            bad("ce_hours", f"ce_hours must be a number >= 0 (got {hours!r})")
    category = meta.get("ce_category")
    if category is not None:
        if isinstance(category, str) and category.strip():
            out["ce_category"] = category.strip()
        else:
            bad("ce_category", "ce_category must be a category key from program.yml")
    level = meta.get("level")
    if level is not None:
        if level in LEVELS:
            out["level"] = level
        else:
            bad("level", f"level must be one of {', '.join(LEVELS)} (got {level!r})")
    prerequisites = meta.get("prerequisites")
    if prerequisites is not None:
        codes = _str_list(prerequisites)
        if codes is None:
            bad("prerequisites", "prerequisites must be a list of course codes")
        else:
            out["prerequisites"] = list(dict.fromkeys(codes))
    instructors = meta.get("instructors")
    if instructors is not None:
        emails = _str_list(instructors)
        if emails is None:
            bad("instructors", "instructors must be a list of e-mail addresses")
        else:
            for index, email in enumerate(emails):
                if len(email) > 254 or not _EMAIL_RE.match(email):
                    sink.add(path, _line(fm, "instructors", str(index)),
                             f"instructor '{email}' is not an e-mail address")
            out["instructors"] = list(dict.fromkeys(
                e.lower() for e in emails if len(e) <= 254 and _EMAIL_RE.match(e)))
    published = meta.get("published")
    if published is not None:
        if isinstance(published, bool):
            out["published"] = published
        else:
            bad("published", f"published must be true or false (got {published!r})")
    return out


def _estimated_minutes(fm: FrontMatter, path: Path, sink: _Sink) -> int | None:
    value = fm.meta.get("estimated_minutes")
    if value is None:
        return None
    if is_int(value) and value > 0:
        return value
    sink.add(path, _line(fm, "estimated_minutes"),
             f"estimated_minutes must be a whole number > 0 (got {value!r})")
    return None


def _parse_item(path: Path, course_dir: Path, slug: str, module_slug: str | None,
                sink: _Sink) -> ParsedItem | None:
    text = _read_text(path, sink)
    if text is None:
        return None
    source_path = path.relative_to(course_dir).as_posix()
    return _build_item(text, path, source_path, slug, module_slug, course_dir, sink)


def _build_item(text: str, path: Path, source_path: str, slug: str, module_slug: str | None,
                course_dir: Path | None, sink: _Sink) -> ParsedItem:
    """Parse an item's text; path is where problems point, course_dir enables link checks."""
    fm = split_front_matter(text)
    sink.extend(path, fm.issues)
    sink.extend(path, unfenced_front_matter(text))
    if course_dir is not None:
        sink.extend(path, check_links(text, path, course_dir))
    kind = fm.meta.get("type", "lesson")
    if kind not in ITEM_KINDS:
        sink.add(path, _line(fm, "type"), f"unknown type {kind!r}: use lesson, quiz or "
                                          "assignment")
        kind = "lesson"
    file_slug = slug.rsplit("/", 1)[-1]
    raw_title = fm.meta.get("title")
    title = raw_title.strip() if isinstance(raw_title, str) and raw_title.strip() else \
        (_first_h1(fm.body) or _titleize(file_slug))
    minutes = _estimated_minutes(fm, path, sink)
    quiz = assignment = None
    common = {"body_line": fm.body_line, "key_lines": fm.lines, "default_title": title}
    if kind == "quiz":
        quiz, issues = parse_quiz(fm.meta, fm.body, **common)
        sink.extend(path, issues)
        title = quiz.settings["title"] or title
        minutes = minutes or estimate_minutes(quiz.settings, len(quiz.questions))
    elif kind == "assignment":
        assignment, issues = parse_assignment(fm.meta, fm.body, **common)
        sink.extend(path, issues)
        title = assignment.title or title
        minutes = minutes or DEFAULT_ASSIGNMENT_MINUTES
    else:
        for key in fm.meta:
            if key not in LESSON_KEYS:
                sink.add(path, _line(fm, key), f"unknown lesson key '{key}' "
                                               f"(known: {', '.join(sorted(LESSON_KEYS))})")
        if raw_title is not None and not (isinstance(raw_title, str) and raw_title.strip()):
            sink.add(path, _line(fm, "title"), "title must be non-empty text")
        if not fm.body.strip():
            sink.add(path, min(fm.body_line, text.count("\n") + 1), "lesson has no text")
        minutes = minutes or max(1, math.ceil(_word_count(fm.body) / WORDS_PER_MINUTE))
    return ParsedItem(
        slug=slug, kind=kind, title=title, module_slug=module_slug, position=0,
        source_path=source_path, source=text, body=fm.body,
        meta=fm.meta, estimated_minutes=minutes, quiz=quiz, assignment=assignment,
    )


def _safe(sink: _Sink, path: Path, func: Callable[[], Any]) -> Any:
    """Run func; turn an unexpected exception into a problem (the parser never raises)."""
    try:
        return func()
    except Exception as exc:  # noqa: BLE001 - a parser bug must not hide the other problems
        where = traceback.extract_tb(exc.__traceback__)[-1]
        sink.add(path, 1, f"internal parser error ({type(exc).__name__}: {exc} at "
                          f"{Path(where.filename).name}:{where.lineno}); please report it")
        return None


def _parse_module(entry: _Entry, position: int, course_dir: Path,
                  sink: _Sink) -> tuple[ParsedModule, list[ParsedItem]]:
    module_md = entry.path / MODULE_FILE
    source = ""
    title, summary = _titleize(entry.slug), ""
    if module_md.is_file():
        source = _read_text(module_md, sink) or ""
        fm = split_front_matter(source)
        sink.extend(module_md, fm.issues)
        sink.extend(module_md, check_links(source, module_md, course_dir))
        for key in fm.meta:
            if key not in MODULE_KEYS:
                sink.add(module_md, _line(fm, key), f"unknown module.md key '{key}' "
                                                    "(known: summary, title)")
        if isinstance(fm.meta.get("title"), str) and fm.meta["title"].strip():
            title = fm.meta["title"].strip()
        elif "title" in fm.meta:
            sink.add(module_md, _line(fm, "title"), "title must be non-empty text")
        if isinstance(fm.meta.get("summary"), str):
            summary = fm.meta["summary"].strip()
        elif fm.meta.get("summary") is not None:
            sink.add(module_md, _line(fm, "summary"), "summary must be text")
    module = ParsedModule(slug=entry.slug, title=title, summary=summary, position=position,
                          dirname=entry.path.name, source=source)
    files, _ = _scan_folder(entry.path, sink, top=False)
    items = []
    for file_entry in sorted(files, key=lambda e: (e.number, e.path.name)):
        item = _safe(sink, file_entry.path, lambda e=file_entry: _parse_item(
            e.path, course_dir, f"{entry.slug}/{e.slug}", entry.slug, sink))
        if item is not None:
            items.append(item)
    if not files:
        sink.add(module_md if module_md.is_file() else entry.path, 1,
                 f"module '{entry.path.name}' has no items")
    return module, items


def parse_course(course_dir: Path, sink: _Sink | None = None) -> ParsedCourse | None:
    """Parse one course folder (holding course.md). Problems go to sink (if given)."""
    sink = sink or _Sink()
    course_md = course_dir / COURSE_FILE
    text = _read_text(course_md, sink)
    if text is None:
        return None
    fm = split_front_matter(text)
    sink.extend(course_md, fm.issues)
    if not fm.lines and not fm.issues:
        sink.add(course_md, 1, "course.md has no front matter: start it with a '---' block "
                               "holding at least code and title")
    fields = _course_meta(fm, course_md, sink)
    sink.extend(course_md, check_links(text, course_md, course_dir))
    course = ParsedCourse(**fields, overview=fm.body.strip(), source=text, path=course_dir,
                          dirname=course_dir.name, assets=_list_assets(course_dir))
    files, dirs = _scan_folder(course_dir, sink, top=True)
    items: list[ParsedItem] = []
    modules: list[ParsedModule] = []
    for entry, is_dir in _ordered(files, dirs):
        if is_dir:
            module, module_items = _parse_module(entry, len(modules) + 1, course_dir, sink)
            modules.append(module)
            items.extend(module_items)
        else:
            item = _safe(sink, entry.path, lambda e=entry: _parse_item(
                e.path, course_dir, e.slug, None, sink))
            if item is not None:
                items.append(item)
    for position, item in enumerate(items, start=1):
        item.position = position
    course.modules, course.items = modules, items
    _check_duplicate_slugs(course, sink)
    if not items:
        sink.add(course_md, 1, "course has no items (add lessons, quizzes or assignments "
                               "named NN-slug.md)")
    return course


def _check_duplicate_slugs(course: ParsedCourse, sink: _Sink) -> None:
    seen_modules: dict[str, ParsedModule] = {}
    for module in course.modules:
        if module.slug in seen_modules:
            sink.add(course.path / module.dirname, 1, f"duplicate module slug '{module.slug}' "
                                                      f"(also {seen_modules[module.slug].dirname})")
        else:
            seen_modules[module.slug] = module
    seen: dict[str, ParsedItem] = {}
    for item in course.items:
        if item.slug in seen:
            sink.add(course.path / item.source_path, 1,
                     f"duplicate item slug '{item.slug}' (also {seen[item.slug].source_path}): "
                     "slugs identify items across edits and must be unique in a course")
        else:
            seen[item.slug] = item


# --------------------------------------------------------------------------- the tree


def _norm(path: Path | str) -> Path:
    return Path(os.path.normpath(os.path.abspath(path)))


def _find_program(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / PROGRAM_FILE
        if candidate.is_file():
            return candidate
    return None


def _course_dir_of(path: Path, stop: Path | None) -> Path | None:
    """The course folder holding path (a course folder, or a folder/file inside one)."""
    for folder in (path if path.is_dir() else path.parent, *path.parents):
        if (folder / COURSE_FILE).is_file():
            return folder
        if stop is not None and folder == stop:
            return None
    return None


def _course_dirs(folder: Path) -> list[Path]:
    try:
        children = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError:
        return []
    return [c for c in children if c.is_dir() and not c.name.startswith((".", "_"))
            and (c / COURSE_FILE).is_file()]


def _orphan_folders(root: Path, sink: _Sink) -> None:
    """Report folders under root that hold Markdown but no course.md."""
    try:
        children = sorted(root.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        sink.add(root, 1, f"cannot read folder: {exc.strerror or exc}")
        return
    for child in children:
        if child.is_dir() and not child.name.startswith((".", "_")) \
                and not (child / COURSE_FILE).is_file() and any(child.glob("*.md")):
            sink.add(child, 1, f"folder '{child.name}' holds Markdown files but no course.md")


def _peek_code(course_dir: Path) -> str | None:
    """The code of a course folder's course.md, or None (no problems reported)."""
    try:
        text = (course_dir / COURSE_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    code = split_front_matter(text.replace("\r\n", "\n")).meta.get("code")
    return str(code).strip() if isinstance(code, str | int) and not isinstance(code, bool) \
        else None


def _select(root: Path, only: list[Path] | None, sink: _Sink) -> tuple[list[Path], bool]:
    """Return (course folders to parse, whether the whole tree under root is parsed)."""
    if (root / COURSE_FILE).is_file():
        return [root], False
    if only is None:
        return _course_dirs(root), True
    chosen: list[Path] = []
    whole = False
    for raw in only:
        path = _norm(raw)
        if not path.exists():
            sink.add(path, 1, "no such file or folder")
        elif path == root:
            whole = True
        elif (course := _course_dir_of(path, None)) is not None:
            if course not in chosen:
                chosen.append(course)
        elif path.is_dir():
            found = _course_dirs(path)
            if not found:
                sink.add(path, 1, "not a course folder (no course.md here or above)")
            chosen.extend(c for c in found if c not in chosen)
        else:
            sink.add(path, 1, "not inside a course folder (no course.md above it)")
    if whole:
        return _course_dirs(root), True
    return chosen, False


def parse_tree(root: Path, *, only: list[Path] | None = None,
               known_course_codes: Iterable[str] = frozenset()) -> ParseResult:
    """Parse the course tree under root (the folder holding program.yml and course folders).

    only restricts which course folders are parsed (course folders, files or folders inside
    them, or root itself = everything). known_course_codes (codes already in the database) are
    accepted as prerequisites. Never raises: every problem is reported in the result.
    """
    sink = _Sink()
    try:
        return _parse_tree(_norm(root), only, set(known_course_codes), sink)
    except Exception as exc:  # noqa: BLE001 - the parser reports, it never raises
        sink.add(_norm(root), 1, f"internal parser error ({type(exc).__name__}: {exc}); "
                                 "please report it")
        return ParseResult(program=None, courses=[], problems=_sorted(sink.problems))


def _sorted(problems: list[Problem]) -> list[Problem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.path, p.line))


@dataclass
class _Program:
    path: Path
    data: dict[str, Any] | None
    lines: dict[tuple[str, ...], int]


def _parse_tree(root: Path, only: list[Path] | None, known: set[str],
                sink: _Sink) -> ParseResult:
    if not root.is_dir():
        sink.add(root, 1, "no such folder")
        return ParseResult(program=None, courses=[], problems=_sorted(sink.problems))
    course_dirs, whole = _select(root, only, sink)
    programs: dict[Path, _Program] = {}

    def program_for(folder: Path) -> _Program | None:
        found = _find_program(folder)
        if found is None:
            return None
        if found not in programs:
            data, lines, problems = parse_program(found)
            sink.problems.extend(problems)
            programs[found] = _Program(found, data, lines)
        return programs[found]

    root_program = program_for(root if not (root / COURSE_FILE).is_file() else root.parent)
    if whole:
        _orphan_folders(root, sink)
    courses: list[ParsedCourse] = []
    for folder in course_dirs:
        course = _safe(sink, folder / COURSE_FILE, lambda f=folder: parse_course(f, sink))
        if course is not None:
            courses.append(course)
    _check_courses(courses, course_dirs, known, program_for, sink)
    if whole and root_program is not None and root_program.data is not None \
            and root_program.path.parent == root:
        _check_program_courses(root_program.data, root_program.lines, root_program.path,
                               courses, sink)
    return ParseResult(program=root_program.data if root_program else None, courses=courses,
                       problems=_sorted(sink.problems))


def _code_line(course: ParsedCourse) -> int:
    return split_front_matter(course.source).lines.get(("code",), 1)


def _check_courses(courses: list[ParsedCourse], course_dirs: list[Path], known: set[str],
                   program_for: Callable[[Path], _Program | None], sink: _Sink) -> None:
    """Cross-course checks: duplicate codes, prerequisites, categories."""
    parsed_dirs = {course.path for course in courses}
    # codes in the tree: the parsed courses and their sibling course folders
    siblings: dict[str, list[Path]] = {}
    for parent in {folder.parent for folder in course_dirs}:
        for folder in _course_dirs(parent):
            if folder in parsed_dirs:
                continue
            code = _peek_code(folder)
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
            also = ", ".join(_display_path(p) for p in others if p != course.path / COURSE_FILE)
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


def _check_prerequisite_cycles(by_code: Mapping[str, list[ParsedCourse]], sink: _Sink) -> None:
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


def check(root: Path, only: list[Path] | None = None,
          known_course_codes: Iterable[str] = frozenset()) -> list[Problem]:
    """Return every problem of the course tree under root (see :func:`parse_tree`)."""
    return parse_tree(root, only=only, known_course_codes=known_course_codes).problems


def parse_item_text(
    source: str,
    *,
    source_path: str,
    slug: str,
    known_categories: Iterable[str] | None = None,
    course_dir: Path | None = None,
    course_files: Collection[str] | None = None,
) -> tuple[ParsedItem | None, list[Problem]]:
    """Parse one item's Markdown (e.g. edited in the browser) as `courses check` would.

    source_path is the item's path relative to its course folder (problems carry it as their
    path); slug is the item's slug ("<module-slug>/<file-slug>" inside a module). Relative links
    are checked against the files in course_dir when it is given, else against course_files
    (paths relative to the course folder, e.g. as stored in the database) when that is given.
    known_categories is accepted for symmetry with the tree check and is not used by items.
    Returns (item or None, problems); never raises.
    """
    del known_categories  # items carry no category
    sink = _Sink()
    text = source.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    module_slug = slug.split("/", 1)[0] if "/" in slug else None
    base = _norm(course_dir) if course_dir is not None else None
    try:
        item = _parse_item_source(text, source_path, slug, module_slug, base, sink)
        if base is None and course_files is not None:
            sink.extend(Path(source_path), _check_links_against(text, source_path, course_files))
    except Exception as exc:  # noqa: BLE001 - the parser reports, it never raises
        sink.add(Path(source_path), 1, f"internal parser error ({type(exc).__name__}: {exc})")
        item = None
    problems = [Problem(source_path, p.line, p.message) for p in sink.problems]
    return item, sorted(problems, key=lambda p: p.line)


def _check_links_against(text: str, source_path: str,
                         course_files: Collection[str]) -> list[tuple[int, str]]:
    """check_links for a course known by the list of its files, not a folder on disk."""
    root = Path("/course")
    present = {os.path.normpath(root / rel) for rel in course_files}
    return check_links(text, root / source_path, root,
                       exists=lambda target: str(target) in present)


def _parse_item_source(text: str, source_path: str, slug: str, module_slug: str | None,
                       course_dir: Path | None, sink: _Sink) -> ParsedItem:
    path = (course_dir / source_path) if course_dir is not None else Path(source_path)
    return _build_item(text, path, source_path, slug, module_slug, course_dir, sink)


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
    target = Path(path)
    if target.is_dir():
        target = target / PROGRAM_FILE
    if not target.is_file():
        return {}
    data, _, _ = parse_program(target)
    categories = data.get("categories") if isinstance(data, dict) else None
    if not isinstance(categories, dict):
        return {}
    return {
        str(key): str(value.get("name") or key) if isinstance(value, dict) else str(key)
        for key, value in categories.items()
    }
