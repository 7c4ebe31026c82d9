"""course.md's front matter: which keys it takes and what each must be."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lms.authoring.frontmatter import FrontMatter
from lms.authoring.problems import Sink
from lms.authoring.values import is_number, line_of, str_list

LEVELS = ("introductory", "intermediate", "advanced")
COURSE_KEYS = frozenset({
    "code", "title", "summary", "ce_hours", "ce_category", "level", "prerequisites",
    "instructors", "published",
})

_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _line(fm: FrontMatter, *path: str) -> int:
    """Line of the deepest known prefix of a front matter key path (else the first line)."""
    return line_of(fm.lines, 1, *path)


def course_meta(fm: FrontMatter, path: Path, sink: Sink) -> dict[str, Any]:
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
        codes = str_list(prerequisites)
        if codes is None:
            bad("prerequisites", "prerequisites must be a list of course codes")
        else:
            out["prerequisites"] = list(dict.fromkeys(codes))
    instructors = meta.get("instructors")
    if instructors is not None:
        emails = str_list(instructors)
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
