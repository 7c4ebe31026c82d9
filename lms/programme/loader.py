"""Read and validate ``program.yml``: every problem as ``path:LINE: message``, never an exception.

:func:`load_programme` reads the file; :func:`check_programme` validates data already loaded
(with its key-path → line map) so that the course-tree linter can reuse it. The shape of each
value is checked by the pydantic models in :mod:`lms.programme.models`; each validation error's
location is mapped to the line of the YAML node it points at, and its text is the programme's
own wording (``maintenance.cycle.anchor must be earned or calendar (got 'birthday')``), not
pydantic's. References between sections are checked here, after the shapes.

:func:`programme_for` is the cached accessor for request-time code: it re-reads the file only
when its modification time, size or content hash changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from lms.authoring.problems import Problem
from lms.programme.models import (
    ActivityCap,
    ActivityType,
    CarryOver,
    Category,
    CourseItemRef,
    Credential,
    Cycle,
    Earn,
    Maintenance,
    Programme,
)

__all__ = [
    "PROGRAM_FILE", "InvalidProgramme", "ProgrammeProblem", "check_programme",
    "clear_programme_cache", "load_programme", "programme_for", "read_programme_yaml",
]

PROGRAM_FILE = "program.yml"
SECTIONS = ("credential", "earn", "categories", "activity_types", "maintenance")
REQUIRED_SECTIONS = ("credential", "categories", "maintenance")

_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

#: Key paths whose children are free keys (a category key, an activity type), not field names.
_FREE_KEYS = frozenset({
    ("categories",), ("activity_types",), ("maintenance", "category_minimums"),
    ("maintenance", "category_maximums"), ("maintenance", "activity_caps"),
})

#: The model at each key path (with * for a free key): used to list the known keys.
_MODELS: dict[tuple[str, ...], type[BaseModel]] = {
    (): Programme,
    ("credential",): Credential,
    ("earn",): Earn,
    ("earn", "exam"): CourseItemRef,
    ("earn", "case_study"): CourseItemRef,
    ("categories", "*"): Category,
    ("activity_types", "*"): ActivityType,
    ("maintenance",): Maintenance,
    ("maintenance", "cycle"): Cycle,
    ("maintenance", "activity_caps", "*"): ActivityCap,
    ("maintenance", "carry_over"): CarryOver,
}

_NUMBER = "{path} must be a number >= 0 (got {value!r})"
_WHOLE = "{path} must be a whole number >= 0 (got {value!r})"
_REF = "{path} must be a map with course (a course code) and item (an item slug)"
_DAYS = "maintenance.reminder_days must be a list of whole numbers of days > 0"
_CATEGORY_NAME = "category '{key}' needs a name: {{name: ...}}"
_TYPE_NAME = "activity type '{key}' needs a name: {{name: ...}}"
_CAP = "activity cap '{key}' must be {{hours: N, per: year|cycle}}"

#: What each value must be, by key path (* a free key, # a list index). {path} is the dotted
#: key path, {key} the free key, {value} the value found.
_MESSAGES: dict[tuple[str, ...], str] = {
    ("credential",): "'credential' must be a map",
    ("credential", "name"): "credential.name is required (text)",
    ("credential", "abbreviation"): "credential.abbreviation is required (text)",
    ("credential", "id_prefix"): "credential.id_prefix is required (text)",
    ("earn",): "'earn' must be a map",
    ("earn", "courses"): "earn.courses must be a list of course codes",
    ("earn", "courses", "#"): "earn.courses must be a list of course codes",
    ("earn", "exam"): _REF,
    ("earn", "case_study"): _REF,
    ("categories",): "'categories' must be a map",
    ("categories", "*"): _CATEGORY_NAME,
    ("categories", "*", "name"): _CATEGORY_NAME,
    ("activity_types",): "'activity_types' must be a map",
    ("activity_types", "*"): _TYPE_NAME,
    ("activity_types", "*", "name"): _TYPE_NAME,
    ("activity_types", "*", "self_reported"): "activity_types.{key}.self_reported must be "
                                              "true or false",
    ("maintenance",): "'maintenance' must be a map",
    ("maintenance", "cycle"): "maintenance.cycle must be a map with length_months and anchor",
    ("maintenance", "cycle", "length_months"): "{path} must be a whole number > 0 "
                                               "(got {value!r})",
    ("maintenance", "cycle", "anchor"): "maintenance.cycle.anchor must be earned or calendar "
                                        "(got {value!r})",
    ("maintenance", "cycle", "calendar_start"): "maintenance.cycle.calendar_start must be "
                                                "MM-DD, e.g. 01-01",
    ("maintenance", "hours_per_cycle"): "{path} must be a number > 0 (got {value!r})",
    ("maintenance", "category_minimums"): "maintenance.category_minimums must be a map of "
                                          "category: hours",
    ("maintenance", "category_minimums", "*"): _NUMBER,
    ("maintenance", "category_maximums"): "maintenance.category_maximums must be a map of "
                                          "category: hours",
    ("maintenance", "category_maximums", "*"): _NUMBER,
    ("maintenance", "activity_caps"): "maintenance.activity_caps must be a map of activity "
                                      "type: {{hours, per}}",
    ("maintenance", "activity_caps", "*"): _CAP,
    ("maintenance", "activity_caps", "*", "hours"): _NUMBER,
    ("maintenance", "activity_caps", "*", "per"): "activity cap '{key}': per must be year or "
                                                  "cycle (got {value!r})",
    ("maintenance", "self_report_cap"): "{path} must be a number >= 0 or null (got {value!r})",
    ("maintenance", "carry_over"): "maintenance.carry_over must be {{max_hours, "
                                   "from_final_months}}",
    ("maintenance", "carry_over", "max_hours"): _NUMBER,
    ("maintenance", "carry_over", "from_final_months"): _WHOLE,
    ("maintenance", "grace_months"): _WHOLE,
    ("maintenance", "reinstatement_months"): _WHOLE,
    ("maintenance", "reminder_days"): _DAYS,
    ("maintenance", "reminder_days", "#"): _DAYS,
    ("maintenance", "audit_rate"): "maintenance.audit_rate must be a number from 0 to 1 "
                                   "(got {value!r})",
    ("maintenance", "required_categories_each_cycle"): "maintenance.required_categories_each_"
                                                       "cycle must be a list of category keys",
    ("maintenance", "required_categories_each_cycle", "#"): "maintenance.required_categories_"
                                                            "each_cycle must be a list of "
                                                            "category keys",
    ("maintenance", "required_courses_each_cycle"): "maintenance.required_courses_each_cycle "
                                                    "must be a list of course codes",
    ("maintenance", "required_courses_each_cycle", "#"): "maintenance.required_courses_each_"
                                                         "cycle must be a list of course codes",
}

#: A missing key with its own wording (others: "<path> is required").
_MISSING: dict[tuple[str, ...], str] = {
    ("credential", "name"): "credential.name is required (text)",
    ("credential", "abbreviation"): "credential.abbreviation is required (text)",
    ("credential", "id_prefix"): "credential.id_prefix is required (text)",
    ("categories", "*", "name"): _CATEGORY_NAME,
    ("activity_types", "*", "name"): _TYPE_NAME,
    ("maintenance", "activity_caps", "*", "hours"): "{path} must be a number >= 0 (got None)",
}


#: One problem in program.yml: the authoring toolkit's `path:LINE: message` problem.
ProgrammeProblem = Problem


class InvalidProgramme(ValueError):
    """program.yml is missing or has problems; ``problems`` lists them."""

    def __init__(self, problems: list[ProgrammeProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems) or "program.yml is not valid")


# --------------------------------------------------------------------------- YAML with lines


def _plain(value: Any) -> Any:
    """YAML data as plain values: dates as ISO text, keys as text."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def read_programme_yaml(text: str) -> tuple[Any, dict[tuple[str, ...], int],
                                            list[tuple[int, str]]]:
    """Load YAML text; return (data, key path → 1-based line, issues as (line, message)).

    Lines come from PyYAML's composed nodes. Aliases and duplicate keys are reported; on a
    syntax error data is None and the issue carries the error's line.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, []
        lines, issues = _node_lines(node)
        if issues:
            return None, lines, issues
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        detail = " ".join(part for part in (exc.context, exc.problem) if part) or str(exc)
        return None, {}, [(line, f"YAML syntax error: {detail}")]
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        return None, {}, [(1, f"YAML error: {exc}")]
    finally:
        loader.dispose()
    return _plain(data), lines, []


def _node_lines(root: yaml.Node) -> tuple[dict[tuple[str, ...], int], list[tuple[int, str]]]:
    lines: dict[tuple[str, ...], int] = {}
    issues: list[tuple[int, str]] = []
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen_nodes:  # reached twice: an alias; report where it is used
            issues.append((lines.get(path, node.start_mark.line + 1),
                           "YAML anchors and aliases (&name, *name) are not supported here"))
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            children: list[tuple[yaml.Node, tuple[str, ...]]] = []
            for key_node, value_node in node.value:
                key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
                line = key_node.start_mark.line + 1
                if key in keys:
                    issues.append((line, f"duplicate key '{'.'.join((*path, key))}'"))
                keys.add(key)
                lines.setdefault((*path, key), line)
                children.append((value_node, (*path, key)))
            stack.extend(reversed(children))  # depth first, in document order
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                lines.setdefault((*path, str(index)), item.start_mark.line + 1)
            stack.extend((item, (*path, str(index)))
                         for index, item in reversed(list(enumerate(node.value))))
    issues.sort()
    return lines, issues


def _line(lines: Mapping[tuple[str, ...], int], path: tuple[str, ...]) -> int:
    """The line of the deepest known prefix of path, else 1."""
    for end in range(len(path), 0, -1):
        line = lines.get(path[:end])
        if line:
            return line
    return 1


# --------------------------------------------------------------------------- validation


def _pattern(path: tuple[str, ...]) -> tuple[str, ...]:
    """The key path with free keys as * and list indexes as #."""
    out: list[str] = []
    for part in path:
        if tuple(out) in _FREE_KEYS:
            out.append("*")
        elif part.isdigit() and tuple(out) not in _MODELS:
            out.append("#")
        else:
            out.append(part)
    return tuple(out)


def _free_key(path: tuple[str, ...]) -> str:
    for index in range(len(path)):
        if path[:index] in _FREE_KEYS:
            return path[index]
    return ""


def _known_keys(model: type[BaseModel]) -> str:
    return ", ".join(model.model_fields)


def _error_message(error: ErrorDetails) -> tuple[tuple[str, ...], str]:
    """Map one pydantic error to (key path, the programme's wording)."""
    path = tuple(str(part) for part in error["loc"])
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        parent = path[:-1]
        model = _MODELS.get(_pattern(parent))
        where = ".".join(parent) or "program.yml"
        known = f" (known keys: {_known_keys(model)})" if model is not None else ""
        return path, f"unknown key '{path[-1]}' in {where}{known}"
    pattern = _pattern(path)
    fields = {"path": ".".join(path), "key": _free_key(path), "value": value}
    if kind == "missing":
        if len(path) == 1:
            return (), f"program.yml: missing section '{path[0]}'"
        template = _MISSING.get(pattern, "{path} is required")
        return path, template.format(**fields)
    if pattern == ("categories",) and kind == "too_short":
        return path, "categories must name at least one CE category"
    if pattern == ("credential", "id_prefix") and kind == "value_error":
        return path, "credential.id_prefix must be letters and digits only"
    wording = _MESSAGES.get(pattern)
    if wording is None:  # a shape the table does not know: pydantic's own words, with the path
        return path, f"{'.'.join(path) or 'program.yml'}: {error['msg']}"
    return path, wording.format(**fields)


def _map(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def _cross_check(data: Mapping[str, Any]) -> Iterable[tuple[tuple[str, ...], str]]:
    """References between sections: categories and activity types named where they are used."""
    categories = _map(data, "categories")
    types = _map(data, "activity_types")
    maintenance = _map(data, "maintenance")
    for key in categories:
        if not _KEY_RE.match(key):
            yield ("categories", key), (f"category key '{key}' must be lowercase letters, "
                                        "digits and hyphens")
    for key in types:
        if not _KEY_RE.match(key):
            yield ("activity_types", key), (f"activity type key '{key}' must be lowercase "
                                            "letters, digits and hyphens")
    minimums = _map(maintenance, "category_minimums")
    maximums = _map(maintenance, "category_maximums")
    for name, limits in (("category_minimums", minimums), ("category_maximums", maximums)):
        for key in limits:
            if key not in categories:
                yield ("maintenance", name, key), f"unknown category '{key}' in {name}"
    for key, low in minimums.items():
        high = maximums.get(key)
        if _number(low) and _number(high) and low > high:
            yield (("maintenance", "category_minimums", key),
                   f"category_minimums.{key} ({low:g}) is more than category_maximums.{key} "
                   f"({high:g})")
    for key in _map(maintenance, "activity_caps"):
        if key not in types:
            yield ("maintenance", "activity_caps", key), (f"unknown activity type '{key}' in "
                                                          "activity_caps")
    required = maintenance.get("required_categories_each_cycle")
    if isinstance(required, str):
        required = [required]
    if isinstance(required, list):
        for index, key in enumerate(required):
            if isinstance(key, str) and key not in categories:
                yield (("maintenance", "required_categories_each_cycle", str(index)),
                       f"unknown category '{key}' in required_categories_each_cycle")
    cycle = _map(maintenance, "cycle")
    if cycle.get("calendar_start") is not None and cycle.get("anchor", "earned") == "earned":
        yield (("maintenance", "cycle", "calendar_start"),
               "maintenance.cycle.calendar_start applies only with anchor: calendar")
    carry = _map(maintenance, "carry_over")
    final, length = carry.get("from_final_months"), cycle.get("length_months")
    if isinstance(final, int) and isinstance(length, int) and final > length > 0:
        yield (("maintenance", "carry_over", "from_final_months"),
               f"maintenance.carry_over.from_final_months ({final}) is longer than the cycle "
               f"({length} months)")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_programme(data: Any, lines: Mapping[tuple[str, ...], int],
                    ) -> tuple[Programme | None, list[tuple[int, str]]]:
    """Validate loaded program.yml data; return (the programme or None, [(line, message)]).

    ``lines`` maps key paths (list indexes as text) to 1-based lines, as
    :func:`read_programme_yaml` (or the course parser's YAML loader) makes them.
    """
    if not isinstance(data, dict):
        return None, [(1, "program.yml must be a map (credential, earn, categories, "
                          "activity_types, maintenance)")]
    found: list[tuple[tuple[str, ...], str]] = []
    programme: Programme | None = None
    try:
        programme = Programme.model_validate(data)
    except ValidationError as exc:
        found.extend(_error_message(error) for error in exc.errors())
    found.extend(_cross_check(data))
    issues = sorted({(_line(lines, path) if path else 1, message) for path, message in found})
    return (programme if not issues else None), issues


# --------------------------------------------------------------------------- files


def _display_path(path: Path) -> str:
    """Relative to the working directory when below it (as the course linter shows paths)."""
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(absolute)


def _resolve(path: Path | str) -> Path:
    path = Path(path)
    return path / PROGRAM_FILE if path.is_dir() else path


def load_programme(path: Path | str) -> tuple[Programme | None, list[ProgrammeProblem]]:
    """Read program.yml (or the folder holding it); return (programme or None, problems).

    Never raises on bad input: an unreadable file, bad YAML or a bad value is a problem.
    """
    path = _resolve(path)
    shown = _display_path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [ProgrammeProblem(shown, 1, f"cannot read file: {exc.strerror or exc}")]
    return _load_bytes(raw, shown)


def _load_bytes(raw: bytes, shown: str) -> tuple[Programme | None, list[ProgrammeProblem]]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [ProgrammeProblem(shown, line, "file is not valid UTF-8 text")]
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    data, lines, issues = read_programme_yaml(text)
    if not issues and data is None:
        issues = [(1, "program.yml is empty")]
    programme: Programme | None = None
    if not issues:
        programme, issues = check_programme(data, lines)
    return programme, [ProgrammeProblem(shown, max(1, line), message)
                       for line, message in issues]


_cache: dict[Path, tuple[tuple[int, int, int, int], str, Programme | None,
                         list[ProgrammeProblem]]] = {}
_cache_lock = threading.Lock()


def programme_for(path: Path | str) -> Programme:
    """The programme in program.yml (or the folder holding it), cached for request-time use.

    The file is parsed again only when its modification time or size changed and its content
    hash differs. Raises :class:`InvalidProgramme` (with the problems) when it is missing or
    not valid, so a caller never works from a half-read rule set.
    """
    return _programme_and_digest(path)[0]


def programme_digest(path: Path | str) -> str:
    """The SHA-256 of the program.yml that :func:`programme_for` reads (the same checks and
    errors): a version of the rules for cache keys that every process computes alike."""
    return _programme_and_digest(path)[1]


#: For each path asked for (by working directory): the program.yml to read, as given (so a
#: link that a deploy swaps is followed), and its cache entry's key (links resolved: a folder
#: and its file share one entry). Worked out once per process, as every request asks.
_located: dict[tuple[str, Path | str], tuple[Path, Path]] = {}


def _locate(path: Path | str) -> tuple[Path, Path]:
    file = _resolve(path)
    return file, file.resolve()


def _programme_and_digest(path: Path | str) -> tuple[Programme, str]:
    where = (os.getcwd(), path)  # a relative path follows the working directory
    located = _located.get(where) or _locate(path)
    try:
        info = located[0].stat()
    except OSError:
        located = _locate(path)  # it may have moved since it was found: look again
        try:
            info = located[0].stat()
        except OSError as exc:
            _located.pop(where, None)
            raise InvalidProgramme([ProgrammeProblem(str(located[1]), 1, "cannot read "
                                    f"file: {exc.strerror or exc}")]) from exc
    _located[where] = located  # only once found: a folder made later is still found
    file, path = located
    stamp = (info.st_mtime_ns, info.st_size, info.st_ino, info.st_dev)  # (a swapped link too)
    with _cache_lock:
        cached = _cache.get(path)
    if cached is None or cached[0] != stamp:
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise InvalidProgramme([ProgrammeProblem(str(path), 1, f"cannot read file: "
                                                     f"{exc.strerror or exc}")]) from exc
        digest = hashlib.sha256(raw).hexdigest()
        if cached is None or cached[1] != digest:
            programme, problems = _load_bytes(raw, _display_path(path))
            cached = (stamp, digest, programme, problems)
        else:
            cached = (stamp, *cached[1:])
        with _cache_lock:
            _cache[path] = cached
    programme, problems = cached[2], cached[3]
    if programme is None:
        raise InvalidProgramme(problems)
    return programme, cached[1]


def clear_programme_cache() -> None:
    """Forget every cached programme (tests; a deploy that replaces files in place)."""
    with _cache_lock:
        _cache.clear()
        _located.clear()
