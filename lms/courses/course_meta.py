"""course.md's front matter: which keys it takes and what each must be (a pydantic model)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from lms.authoring.frontmatter import FrontMatter
from lms.authoring.problems import Sink
from lms.authoring.schema import Flag, Number, Settings, problem, text_list, validate
from lms.authoring.values import line_of

LEVELS = ("introductory", "intermediate", "advanced")

_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _code(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) \
            or not _CODE_RE.match(str(value).strip()):
        raise problem(f"invalid course code {value!r}: letters, digits, '-', '_' and '.', "
                      "at most 40 characters")
    return str(value).strip()


def _title(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise problem("course title must be text")
    return str(value).strip()


def _text(message: str) -> Any:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise problem(message)
        return value.strip()

    return BeforeValidator(check)


def _category(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise problem("ce_category must be a category key from program.yml")
    return value.strip()


def _email(value: str) -> str:
    if len(value) > 254 or not _EMAIL_RE.match(value):
        raise problem(f"instructor '{value}' is not an e-mail address")
    return value.lower()


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class CourseSettings(Settings):
    """course.md's front matter."""

    REQUIRED: ClassVar[dict[str, str]] = {
        "code": "course.md: missing required key 'code' (e.g. code: JC-101)",
        "title": "course.md: missing required key 'title'",
    }

    code: Annotated[str, BeforeValidator(_code)] = ""
    title: Annotated[str, BeforeValidator(_title)] = ""
    summary: Annotated[str, _text("summary must be text")] = ""
    ce_hours: Annotated[Number | None, Field(ge=0, description="a number >= 0"),
                        AfterValidator(lambda v: None if v is None else float(v))] = None
    ce_category: Annotated[str | None, BeforeValidator(_category)] = None
    level: Annotated[Literal["introductory", "intermediate", "advanced"] | None,
                     Field(description=f"one of {', '.join(LEVELS)}")] = None
    prerequisites: Annotated[
        list[str], BeforeValidator(text_list("prerequisites must be a list of course codes")),
        AfterValidator(_unique)] = []
    instructors: Annotated[
        list[Annotated[str, AfterValidator(_email)]],
        BeforeValidator(text_list("instructors must be a list of e-mail addresses")),
        AfterValidator(_unique)] = []
    published: Annotated[Flag, Field(description="true or false")] = True


COURSE_KEYS = frozenset(CourseSettings.model_fields)


def course_meta(fm: FrontMatter, path: Path, sink: Sink) -> dict[str, Any]:
    """Validate course.md front matter; return the course fields (defaults for bad values)."""
    for key in fm.meta:
        if key not in COURSE_KEYS:
            sink.add(path, line_of(fm.lines, 1, key), f"unknown course.md key '{key}' "
                                                      f"(known: {', '.join(sorted(COURSE_KEYS))})")
    found = validate(CourseSettings, fm.meta,
                     lambda where, message: sink.add(path, line_of(fm.lines, 1, *where), message))
    return found.model_dump()
