"""What the course parser returns: courses, their modules and items, and the problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lms.authoring.problems import Problem


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
    #: what the item kind's parser returned (lms.courses.kinds); None for a lesson
    content: Any = None

    @property
    def instructors_only(self) -> bool:
        """A lesson with ``audience: instructors``: outside learners' outline and progress."""
        return self.meta.get("audience") == "instructors"


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
    """What :func:`parse_tree` found: programme rules, courses, every problem and warning."""

    program: dict[str, Any] | None
    courses: list[ParsedCourse]
    problems: list[Problem]
    #: advice that does not stop an import (lms.courses.advisories), printed as warnings
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems
