"""program.yml: read it and check its structure and its course references.

Kept apart from the course tree so the programme rules can later be read by every feature (the
CE ledger, credentials, verification) from a package of their own below the features.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lms.authoring.frontmatter import load_yaml
from lms.authoring.problems import Problem, Sink, read_text
from lms.authoring.values import is_int, is_number, line_of, str_list

if TYPE_CHECKING:
    from lms.courses.parsed import ParsedCourse

PROGRAM_FILE = "program.yml"

_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


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
    if courses is not None and str_list(courses) is None:
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
        keys = str_list(required)
        if keys is None:
            bad((*m, "required_categories_each_cycle"),
                "maintenance.required_categories_each_cycle must be a list of category keys")
        else:
            for index, key in enumerate(keys):
                if key not in categories:
                    bad((*m, "required_categories_each_cycle", str(index)),
                        f"unknown category '{key}' in required_categories_each_cycle")
    courses = maintenance.get("required_courses_each_cycle")
    if courses is not None and str_list(courses) is None:
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
    program = _program_checker(data, lines, lambda line, message: sink.add(path, line, message))
    return program, lines, sink.problems


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
