"""Link checking of course Markdown: relative links and images must point at files of the
course. Links are found by the renderer's own Markdown parser (:mod:`lms.authoring.markdown_scan`)
so the linter and the renderer never disagree about what is a link."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection
from pathlib import Path
from urllib.parse import unquote

from lms.authoring.markdown_scan import iter_links, link_label
from lms.authoring.values import SCHEME_RE


def local_target(target: str) -> str | None:
    """The file part of a relative link target (as the Markdown parser gives it: unescaped,
    percent-encoded), or None when it is not a link to a file."""
    target = target.strip()
    if not target or target.startswith(("#", "/", "\\")) or SCHEME_RE.match(target):
        return None
    target = re.split(r"[#?]", target, maxsplit=1)[0]
    return unquote(target) or None


def check_links(text: str, file: Path, course_dir: Path, line_offset: int = 0, *,
                exists: Callable[[Path], bool] = Path.exists) -> list[tuple[int, str]]:
    """Return (line, message) for each relative link or image whose target file is missing.

    `exists` decides whether a resolved target is there (the filesystem by default).
    """
    issues: list[tuple[int, str]] = []
    base = file.parent
    course_root = Path(os.path.abspath(course_dir))
    for line, href, is_image in iter_links(text):
        target = local_target(href)
        if target is None:
            continue
        raw = link_label(href)
        what = "image" if is_image else "link"
        resolved = Path(os.path.normpath(os.path.abspath(base / target)))
        if course_root != resolved and course_root not in resolved.parents:
            issues.append((line + line_offset, f"{what} '{raw}' points outside the course "
                                               "folder"))
        elif not exists(resolved):
            issues.append((line + line_offset, f"broken {what}: '{raw}' does not exist"))
    return issues


def check_links_against(text: str, source_path: str,
                         course_files: Collection[str]) -> list[tuple[int, str]]:
    """check_links for a course known by the list of its files, not a folder on disk."""
    root = Path("/course")
    present = {os.path.normpath(root / rel) for rel in course_files}
    return check_links(text, root / source_path, root,
                       exists=lambda target: str(target) in present)
