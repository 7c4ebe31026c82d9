"""One item file (lesson, quiz, assignment): its kind, title, duration and problems.

The lesson is parsed here; every other kind by the parser it registered with
:mod:`lms.courses.kinds`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from lms.authoring.frontmatter import FrontMatter, split_front_matter, unfenced_front_matter
from lms.authoring.markdown_scan import first_heading
from lms.authoring.problems import NUL, NUL_PROBLEM, Problem, Sink, nul_line
from lms.authoring.schema import Settings, Text, WholeNumber, validate
from lms.authoring.values import line_of
from lms.courses import kinds
from lms.courses.layout import norm
from lms.courses.links import check_links, check_links_against
from lms.courses.parsed import ParsedItem

#: Minutes per 200 words used to estimate a lesson.
WORDS_PER_MINUTE = 200


class ItemSettings(Settings):
    """The front matter every item may carry."""

    estimated_minutes: Annotated[WholeNumber | None,
                                 Field(gt=0, description="a whole number > 0")] = None


class LessonSettings(ItemSettings):
    """A lesson's front matter (``summary`` is free text)."""

    title: Text | None = None
    summary: Any = None
    audience: Annotated[Literal["learners", "instructors"],
                        Field(description="learners or instructors")] = "learners"


LESSON_KEYS = frozenset(LessonSettings.model_fields) | {"type"}
kinds.register_lesson(LESSON_KEYS)


def _line(fm: FrontMatter, *path: str) -> int:
    """Line of the deepest known prefix of a front matter key path (else the first line)."""
    return line_of(fm.lines, 1, *path)


def titleize(slug: str) -> str:
    return slug.replace("-", " ").replace("_", " ").strip().capitalize()


def _word_count(body: str) -> int:
    return len(re.findall(r"[\w'’-]+", body))


def build_item(text: str, path: Path, source_path: str, slug: str, module_slug: str | None,
                course_dir: Path | None, sink: Sink) -> ParsedItem:
    """Parse an item's text; path is where problems point, course_dir enables link checks."""
    fm = split_front_matter(text)
    sink.extend(path, fm.issues)
    sink.extend(path, unfenced_front_matter(text))
    if course_dir is not None:
        sink.extend(path, check_links(text, path, course_dir))
    kind = fm.meta.get("type", kinds.LESSON)
    if not isinstance(kind, str) or kinds.get(kind) is None:
        sink.add(path, _line(fm, "type"), f"unknown type {kind!r}: use {kinds.names_text()}")
        kind = kinds.LESSON
    file_slug = slug.rsplit("/", 1)[-1]
    raw_title = fm.meta.get("title")
    title = raw_title.strip() if isinstance(raw_title, str) and raw_title.strip() else \
        (first_heading(fm.body) or titleize(file_slug))
    model = LessonSettings if kind == kinds.LESSON else ItemSettings
    settings = validate(model, fm.meta,
                        lambda where, message: sink.add(path, _line(fm, *where), message))
    minutes = settings.estimated_minutes
    content = None
    handler = kinds.get(kind)
    if handler is not None and handler.parse is not None:
        found = handler.parse(fm.meta, fm.body, body_line=fm.body_line, key_lines=fm.lines,
                              default_title=title)
        sink.extend(path, found.issues)
        content, title = found.content, found.title or title
        minutes = minutes or found.minutes
    else:
        for key in fm.meta:
            if key not in LESSON_KEYS:
                sink.add(path, _line(fm, key), f"unknown lesson key '{key}' "
                                               f"(known: {', '.join(sorted(LESSON_KEYS))})")
        if not fm.body.strip():
            sink.add(path, min(fm.body_line, text.count("\n") + 1), "lesson has no text")
        minutes = minutes or max(1, math.ceil(_word_count(fm.body) / WORDS_PER_MINUTE))
    return ParsedItem(
        slug=slug, kind=kind, title=title, module_slug=module_slug, position=0,
        source_path=source_path, source=text, body=fm.body,
        meta=fm.meta, estimated_minutes=minutes, content=content,
    )


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
    sink = Sink()
    text = source.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    module_slug = slug.split("/", 1)[0] if "/" in slug else None
    base = norm(course_dir) if course_dir is not None else None
    if NUL in text:
        return None, [Problem(source_path, nul_line(text), NUL_PROBLEM)]
    try:
        item = _parse_item_source(text, source_path, slug, module_slug, base, sink)
        if base is None and course_files is not None:
            sink.extend(Path(source_path), check_links_against(text, source_path, course_files))
    except Exception as exc:  # noqa: BLE001 - the parser reports, it never raises
        sink.add(Path(source_path), 1, f"internal parser error ({type(exc).__name__}: {exc})")
        item = None
    problems = [Problem(source_path, p.line, p.message) for p in sink.problems]
    return item, sorted(problems, key=lambda p: p.line)


def _parse_item_source(text: str, source_path: str, slug: str, module_slug: str | None,
                       course_dir: Path | None, sink: Sink) -> ParsedItem:
    path = (course_dir / source_path) if course_dir is not None else Path(source_path)
    return build_item(text, path, source_path, slug, module_slug, course_dir, sink)
