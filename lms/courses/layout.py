"""The course tree's layout: file and folder names, and finding course folders."""

from __future__ import annotations

import os
from pathlib import Path

from lms.courses.program_check import PROGRAM_FILE

COURSE_FILE = "course.md"
MODULE_FILE = "module.md"
ASSETS_DIR = "assets"
IGNORED_FILES = frozenset({"readme.md"})


def norm(path: Path | str) -> Path:
    return Path(os.path.normpath(os.path.abspath(path)))


def find_program(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / PROGRAM_FILE
        if candidate.is_file():
            return candidate
    return None


def course_dir_of(path: Path, stop: Path | None) -> Path | None:
    """The course folder holding path (a course folder, or a folder/file inside one)."""
    for folder in (path if path.is_dir() else path.parent, *path.parents):
        if (folder / COURSE_FILE).is_file():
            return folder
        if stop is not None and folder == stop:
            return None
    return None


def list_course_dirs(folder: Path) -> list[Path]:
    try:
        children = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError:
        return []
    return [c for c in children if c.is_dir() and not c.name.startswith((".", "_"))
            and (c / COURSE_FILE).is_file()]
