"""The course tree: course folders, their modules and items in order, and the whole tree's check.

:func:`parse_tree` reads ``program.yml`` and the course folders and returns every course with
its modules and items, plus every problem found (``path:LINE: message``); it never raises on
bad input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from lms.authoring.frontmatter import FrontMatter, split_front_matter
from lms.authoring.problems import Problem, Sink, read_text, safe
from lms.authoring.values import line_of
from lms.courses.advisories import course_warnings
from lms.courses.course_meta import course_meta
from lms.courses.crosscheck import check_courses
from lms.courses.items import build_item, titleize
from lms.courses.layout import (
    ASSETS_DIR,
    COURSE_FILE,
    IGNORED_FILES,
    MODULE_FILE,
    course_dir_of,
    find_program,
    list_course_dirs,
    norm,
)
from lms.courses.links import check_links
from lms.courses.parsed import ParsedCourse, ParsedItem, ParsedModule, ParseResult
from lms.courses.program_check import Program, check_program_courses, parse_program
from lms.text import slugify

MODULE_KEYS = frozenset({"title", "summary"})

_PREFIX_RE = re.compile(r"^(\d+)-(.*)$")
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _line(fm: FrontMatter, *path: str) -> int:
    """Line of the deepest known prefix of a front matter key path (else the first line)."""
    return line_of(fm.lines, 1, *path)


@dataclass
class _Entry:
    number: int
    slug: str
    path: Path


def _scan_folder(folder: Path, sink: Sink, *, top: bool) -> tuple[list[_Entry], list[_Entry]]:
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


def _numbered(path: Path, stem: str, sink: Sink, what: str) -> _Entry | None:
    match = _PREFIX_RE.match(stem)
    suffix = ".md" if path.suffix == ".md" else ""
    if not match:
        example = slugify(stem) or "name"
        sink.add(path, 1, f"{what} name '{path.name}' has no numeric prefix: name it "
                          f"NN-slug{suffix} (e.g. 01-{example}{suffix}) to give its position")
        return None
    if not _SLUG_RE.match(match.group(2)):
        sink.add(path, 1, f"{what} name '{path.name}': after the numeric prefix use lowercase "
                          "letters, digits and single hyphens (NN-slug)")
        return None
    return _Entry(int(match.group(1)), match.group(2), path)


def _check_positions(entries: list[_Entry], sink: Sink) -> None:
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


def _parse_item(path: Path, course_dir: Path, slug: str, module_slug: str | None,
                sink: Sink) -> ParsedItem | None:
    text = read_text(path, sink)
    if text is None:
        return None
    source_path = path.relative_to(course_dir).as_posix()
    return build_item(text, path, source_path, slug, module_slug, course_dir, sink)


def _parse_module(entry: _Entry, position: int, course_dir: Path,
                  sink: Sink) -> tuple[ParsedModule, list[ParsedItem]]:
    module_md = entry.path / MODULE_FILE
    source = ""
    title, summary = titleize(entry.slug), ""
    if module_md.is_file():
        source = read_text(module_md, sink) or ""
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
        item = safe(sink, file_entry.path, partial(
            _parse_item, file_entry.path, course_dir, f"{entry.slug}/{file_entry.slug}",
            entry.slug, sink))
        if item is not None:
            items.append(item)
    if not files:
        sink.add(module_md if module_md.is_file() else entry.path, 1,
                 f"module '{entry.path.name}' has no items")
    return module, items


def parse_course(course_dir: Path, sink: Sink | None = None) -> ParsedCourse | None:
    """Parse one course folder (holding course.md). Problems go to sink (if given)."""
    sink = sink or Sink()
    course_md = course_dir / COURSE_FILE
    text = read_text(course_md, sink)
    if text is None:
        return None
    fm = split_front_matter(text)
    sink.extend(course_md, fm.issues)
    if not fm.lines and not fm.issues:
        sink.add(course_md, 1, "course.md has no front matter: start it with a '---' block "
                               "holding at least code and title")
    fields = course_meta(fm, course_md, sink)
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
            item = safe(sink, entry.path, partial(_parse_item, entry.path, course_dir,
                                                  entry.slug, None, sink))
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


def _check_duplicate_slugs(course: ParsedCourse, sink: Sink) -> None:
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


def _orphan_folders(root: Path, sink: Sink) -> None:
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


def _select(root: Path, only: list[Path] | None, sink: Sink) -> tuple[list[Path], bool]:
    """Return (course folders to parse, whether the whole tree under root is parsed)."""
    if (root / COURSE_FILE).is_file():
        return [root], False
    if only is None:
        return list_course_dirs(root), True
    chosen: list[Path] = []
    whole = False
    for raw in only:
        path = norm(raw)
        if not path.exists():
            sink.add(path, 1, "no such file or folder")
        elif path == root:
            whole = True
        elif (course := course_dir_of(path, None)) is not None:
            if course not in chosen:
                chosen.append(course)
        elif path.is_dir():
            found = list_course_dirs(path)
            if not found:
                sink.add(path, 1, "not a course folder (no course.md here or above)")
            chosen.extend(c for c in found if c not in chosen)
        else:
            sink.add(path, 1, "not inside a course folder (no course.md above it)")
    if whole:
        return list_course_dirs(root), True
    return chosen, False


def parse_tree(root: Path, *, only: list[Path] | None = None,
               known_course_codes: Iterable[str] = frozenset()) -> ParseResult:
    """Parse the course tree under root (the folder holding program.yml and course folders).

    only restricts which course folders are parsed (course folders, files or folders inside
    them, or root itself = everything). known_course_codes (codes already in the database) are
    accepted as prerequisites. Never raises: every problem is reported in the result.
    """
    sink = Sink()
    try:
        return _parse_tree(norm(root), only, set(known_course_codes), sink)
    except Exception as exc:  # noqa: BLE001 - the parser reports, it never raises
        sink.add(norm(root), 1, f"internal parser error ({type(exc).__name__}: {exc}); "
                                 "please report it")
        return ParseResult(program=None, courses=[], problems=_sorted(sink.problems))


def _sorted(problems: list[Problem]) -> list[Problem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.path, p.line))


def _parse_tree(root: Path, only: list[Path] | None, known: set[str],
                sink: Sink) -> ParseResult:
    if not root.is_dir():
        sink.add(root, 1, "no such folder")
        return ParseResult(program=None, courses=[], problems=_sorted(sink.problems))
    course_dirs, whole = _select(root, only, sink)
    programs: dict[Path, Program] = {}

    def program_for(folder: Path) -> Program | None:
        found = find_program(folder)
        if found is None:
            return None
        if found not in programs:
            data, lines, problems = parse_program(found)
            sink.problems.extend(problems)
            programs[found] = Program(found, data, lines)
        return programs[found]

    root_program = program_for(root if not (root / COURSE_FILE).is_file() else root.parent)
    if whole:
        _orphan_folders(root, sink)
    courses: list[ParsedCourse] = []
    for folder in course_dirs:
        course = safe(sink, folder / COURSE_FILE, partial(parse_course, folder, sink))
        if course is not None:
            courses.append(course)
    check_courses(courses, course_dirs, known, program_for, sink)
    if whole and root_program is not None and root_program.data is not None \
            and root_program.path.parent == root:
        check_program_courses(root_program.data, root_program.lines, root_program.path,
                               courses, sink)
    return ParseResult(program=root_program.data if root_program else None, courses=courses,
                       problems=_sorted(sink.problems), warnings=course_warnings(courses))


def check(root: Path, only: list[Path] | None = None,
          known_course_codes: Iterable[str] = frozenset()) -> list[Problem]:
    """Return every problem of the course tree under root (see :func:`parse_tree`)."""
    return parse_tree(root, only=only, known_course_codes=known_course_codes).problems
