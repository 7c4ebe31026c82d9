"""Parse an assignment (case study) file: settings from front matter, prompt and rubric.

Pure Python (no database, no Flask). The course parser (:mod:`lms.courses.parser`) reads the
file and splits off the YAML front matter; this module validates the settings and splits the
body into the prompt and the ``## Rubric`` table::

    ## Rubric
    | Criterion | Exemplary (4) | Proficient (3) | Developing (2) | Beginning (1) |
    |---|---|---|---|---|
    | Centres community voice | ... | ... | ... | ... |

Problems are returned as ``(line, message)`` tuples with 1-based file line numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import Field

from lms.authoring import fence_flags, line_of
from lms.authoring.schema import (
    DEFAULT_PASSING_SCORE,
    Number,
    PassMark,
    Settings,
    Text,
    WholeNumber,
    validate,
)

#: A problem found in an assignment: (1-based line in the file, message).
Issue = tuple[int, str]

ASSIGNMENT_KEYS = frozenset({
    "title", "type", "estimated_minutes", "due_days", "due", "peer_reviews", "attachments",
    "max_upload_mb", "passing_score",
})
DEFAULT_MAX_UPLOAD_MB = 10

_RUBRIC_HEADING_RE = re.compile(r"^ {0,3}##[ \t]+rubric[ \t]*#*[ \t]*$", re.IGNORECASE)
_SECTION_END_RE = re.compile(r"^ {0,3}#{1,2}(?:[ \t]|$)")
_SEPARATOR_CELL_RE = re.compile(r"^:?-+:?$")
_LEVEL_POINTS_RE = re.compile(
    r"\(\s*(?P<points>[+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?:pts?\.?|points?)?\s*\)$",
    re.IGNORECASE,
)
_EXTENSION_RE = re.compile(r"^[a-z0-9]{1,10}$")


class AssignmentSettings(Settings):
    """An assignment's plain front matter settings (due and attachments are parsed apart)."""

    title: Text | None = None
    due_days: Annotated[WholeNumber | None,
                        Field(ge=0, description="a whole number of days >= 0")] = None
    peer_reviews: Annotated[WholeNumber, Field(ge=0, description="a whole number >= 0")] = 0
    max_upload_mb: Annotated[Number, Field(gt=0, description="a number > 0")] = \
        DEFAULT_MAX_UPLOAD_MB
    passing_score: PassMark = DEFAULT_PASSING_SCORE


@dataclass
class ParsedAssignment:
    """An assignment: settings, the prompt (Markdown, rubric section removed) and the rubric."""

    title: str
    prompt: str
    due_days: int | None = None
    due: str | None = None
    peer_reviews: int = 0
    attachments: list[str] = field(default_factory=list)
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB
    passing_score: float = DEFAULT_PASSING_SCORE
    rubric: list[dict[str, Any]] = field(default_factory=list)

    @property
    def max_points(self) -> float:
        """The rubric's maximum: the sum of each criterion's highest level."""
        return rubric_max_points(self.rubric)


def rubric_max_points(rubric: list[dict[str, Any]]) -> float:
    """Return the sum over criteria of the highest level's points (0 for an empty rubric)."""
    total = 0.0
    for criterion in rubric:
        points = [level["points"] for level in criterion.get("levels", [])]
        total += max(points) if points else 0.0
    return total


# --------------------------------------------------------------------------- settings


def _parse_settings(
    meta: Mapping[str, Any], lines: Mapping[tuple[str, ...], int], default_line: int,
    default_title: str, issues: list[Issue],
) -> dict[str, Any]:
    def bad(key: str, message: str) -> None:
        issues.append((line_of(lines, default_line, key), message))

    out: dict[str, Any] = {
        "title": default_title, "due_days": None, "due": None, "peer_reviews": 0,
        "attachments": [], "max_upload_mb": DEFAULT_MAX_UPLOAD_MB,
        "passing_score": DEFAULT_PASSING_SCORE,
    }
    for key in meta:
        if key not in ASSIGNMENT_KEYS:
            bad(str(key), f"unknown assignment setting '{key}' "
                          f"(known: {', '.join(sorted(ASSIGNMENT_KEYS))})")
    found = validate(AssignmentSettings, meta,
                     lambda path, message: issues.append((line_of(lines, default_line, *path),
                                                          message)))
    out.update(found.model_dump(exclude={"title"}))
    out["title"] = found.title or default_title
    value = meta.get("due")
    if value is not None:
        out["due"] = _parse_due(value, lambda message: bad("due", message))
    if out["due_days"] is not None and out["due"] is not None:
        bad("due", "give either due_days (days after enrolment) or due (a date), not both")
    value = meta.get("attachments")
    if value is not None:
        out["attachments"] = _parse_extensions(value, lambda message: bad("attachments", message))
    return out


def _parse_due(value: Any, report: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    report(f"due must be a date written YYYY-MM-DD (got {value!r})")
    return None


def _parse_extensions(value: Any, report: Any) -> list[str]:
    raw = value.split(",") if isinstance(value, str) else value
    if not isinstance(raw, list):
        report("attachments must be a list of file extensions, e.g. [pdf, docx]")
        return []
    extensions: list[str] = []
    for item in raw:
        ext = str(item).strip().lower().lstrip(".")
        if not _EXTENSION_RE.match(ext):
            report(f"attachments: '{item}' is not a file extension (e.g. pdf)")
        elif ext not in extensions:
            extensions.append(ext)
    return extensions


# --------------------------------------------------------------------------- rubric


def split_rubric_section(body: str) -> tuple[str, list[str], int | None]:
    """Return (prompt without the rubric section, section lines, index of the heading line)."""
    lines = body.split("\n")
    fenced = fence_flags(lines)
    start = next((i for i, line in enumerate(lines)
                  if not fenced[i] and _RUBRIC_HEADING_RE.match(line)), None)
    if start is None:
        return body.strip(), [], None
    end = next((i for i in range(start + 1, len(lines))
                if not fenced[i] and _SECTION_END_RE.match(lines[i])), len(lines))
    prompt_lines = lines[:start] + lines[end:]
    return "\n".join(prompt_lines).strip(), lines[start + 1:end], start


def split_row(line: str) -> list[str]:
    """Split a Markdown table row into stripped cells (escaped pipes kept as '|')."""
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", text)]


def _is_separator(line: str) -> bool:
    if "-" not in line:
        return False
    cells = split_row(line)
    return bool(cells) and all(_SEPARATOR_CELL_RE.match(cell) for cell in cells)


def parse_rubric(
    section: list[str], *, first_line: int
) -> tuple[list[dict[str, Any]], list[Issue]]:
    """Parse the lines of a ``## Rubric`` section (first_line = file line of section[0])."""
    issues: list[Issue] = []
    fenced = fence_flags(section)
    header_index = None
    for i, line in enumerate(section):
        if fenced[i] or "|" not in line:
            continue
        if i + 1 < len(section) and _is_separator(section[i + 1]):
            header_index = i
            break
        issues.append((first_line + i, "rubric table needs a separator row (|---|---|) under "
                                       "its header row"))
        return [], issues
    if header_index is None:
        issues.append((first_line - 1, "the Rubric section has no table (one row per criterion, "
                                       "one column per level)"))
        return [], issues
    header_line = first_line + header_index
    header = split_row(section[header_index])
    levels = _parse_level_headers(header[1:], header_line, issues)
    if not header[1:]:
        issues.append((header_line, "rubric table needs at least one level column"))
    rubric: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i in range(header_index + 2, len(section)):
        line = section[i]
        if not line.strip() or "|" not in line:
            break
        lineno = first_line + i
        cells = split_row(line)
        criterion = cells[0]
        if not criterion:
            issues.append((lineno, "rubric row has no criterion in its first cell"))
        elif criterion.casefold() in seen:
            issues.append((lineno, f"duplicate rubric criterion '{criterion}' (also line "
                                   f"{seen[criterion.casefold()]})"))
        else:
            seen[criterion.casefold()] = lineno
        descriptions = cells[1:]
        if len(descriptions) != len(header) - 1:
            issues.append((lineno, f"rubric row '{criterion}' has {len(descriptions)} level "
                                   f"cells but the header has {len(header) - 1} levels"))
        for index, description in enumerate(descriptions[: len(header) - 1]):
            if not description:
                label = header[index + 1]
                issues.append((lineno, f"rubric row '{criterion}' has an empty cell for level "
                                       f"'{label}'"))
        if levels is not None:
            rubric.append({"criterion": criterion, "levels": [
                {"label": label, "points": points,
                 "description": descriptions[index] if index < len(descriptions) else ""}
                for index, (label, points) in enumerate(levels)
            ]})
    if not rubric and levels is not None:
        issues.append((header_line, "rubric table has no criteria rows"))
    return rubric, issues


def _parse_level_headers(
    cells: list[str], line: int, issues: list[Issue]
) -> list[tuple[str, float]] | None:
    levels: list[tuple[str, float]] = []
    ok = True
    for cell in cells:
        match = _LEVEL_POINTS_RE.search(cell)
        label = cell[: match.start()].strip() if match else ""
        if not match or not label:
            issues.append((line, f"rubric level header '{cell}' must end with its points in "
                                 "parentheses, e.g. 'Exemplary (4)'"))
            ok = False
            continue
        points = float(match.group("points"))
        if points < 0:
            issues.append((line, f"rubric level '{cell}' has negative points"))
            ok = False
            continue
        levels.append((label, points))
    return levels if ok else None


# --------------------------------------------------------------------------- the assignment


def parse_assignment(
    meta: Mapping[str, Any],
    body: str,
    *,
    body_line: int = 1,
    key_lines: Mapping[tuple[str, ...], int] | None = None,
    default_title: str = "",
    front_matter_line: int = 1,
) -> tuple[ParsedAssignment, list[Issue]]:
    """Parse an assignment from its front matter (already loaded) and Markdown body.

    body_line is the file line of the body's first line; key_lines maps front matter key paths
    to file lines. Returns the assignment and the issues, sorted by line.
    """
    issues: list[Issue] = []
    settings = _parse_settings(meta, key_lines or {}, front_matter_line, default_title, issues)
    prompt, section, heading_index = split_rubric_section(body)
    rubric: list[dict[str, Any]] = []
    if heading_index is None:
        issues.append((body_line, "assignment has no `## Rubric` section (a table: one row per "
                                  "criterion, one column per level)"))
    else:
        rubric, rubric_issues = parse_rubric(section, first_line=body_line + heading_index + 1)
        issues.extend(rubric_issues)
    if not prompt:
        issues.append((body_line, "assignment has no prompt (the body before `## Rubric`)"))
    issues.sort(key=lambda issue: issue[0])
    return ParsedAssignment(prompt=prompt, rubric=rubric, **settings), issues
