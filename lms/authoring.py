"""Small helpers shared by the Markdown authoring parsers (courses, quizzes, assignments).

They validate front matter values and find fenced code blocks, so that every parser reports
problems the same way (``path:LINE: message``) and treats code fences alike.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def is_int(value: Any) -> bool:
    """True for a whole number written as one (YAML ``true`` is not a number)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """True for a finite int or float (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def line_of(key_lines: Mapping[tuple[str, ...], int], default: int, *path: str) -> int:
    """Return the line of the deepest known prefix of a front matter key path, else default."""
    for end in range(len(path), 0, -1):
        line = key_lines.get(tuple(path[:end]))
        if line:
            return line
    return default


#: (key, test of the value, what the value must be): one front matter setting's rule.
SettingRule = tuple[str, Callable[[Any], bool], str]


def take_settings(meta: Mapping[str, Any], rules: list[SettingRule], out: dict[str, Any],
                  bad: Callable[[str, str], None]) -> None:
    """Copy each present setting that passes its test into ``out``; report the others as
    ``<key> must be <requirement> (got <value>)``. Absent (or null) settings keep their default.
    """
    for key, ok, requirement in rules:
        value = meta.get(key)
        if value is None:
            continue
        if ok(value):
            out[key] = value
        else:
            bad(key, f"{key} must be {requirement} (got {value!r})")


def fence_flags(lines: list[str]) -> list[bool]:
    """For each line, whether it opens, closes or lies inside a fenced code block."""
    flags: list[bool] = []
    fence: str | None = None
    for line in lines:
        match = FENCE_RE.match(line)
        if fence is None:
            flags.append(bool(match))
            fence = match.group(1) if match else None
        else:
            flags.append(True)
            # a closing fence uses the same character, is at least as long, and has no info text
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence) \
                    and not line.strip()[len(match.group(1)):].strip():
                fence = None
    return flags


#: A YAML front matter line (``key: value``) as this format writes them: a lower-case key.
_FRONT_MATTER_LINE_RE = re.compile(r"^[a-z][a-z0-9_]*:(?:\s|$)")


def unfenced_front_matter(text: str) -> list[tuple[int, str]]:
    """Problems of a file whose front matter lost its opening ``---`` line.

    Without it the YAML is read as Markdown: learners would see ``title: …`` as text, or as
    a heading when the closing ``---`` is still there. A file that does not start with
    ``---`` but whose first line is a ``key: value`` line is refused.
    """
    lines = text.removeprefix("\ufeff").split("\n")
    first = next(((n, line) for n, line in enumerate(lines, start=1) if line.strip()), None)
    if first is None or first[1].rstrip() == "---" or lines[0].rstrip() == "---":
        return []
    number, line = first
    if not _FRONT_MATTER_LINE_RE.match(line):
        return []
    return [(number, "front matter must start with a '---' line (and end with one): "
                     f"'{line.strip()[:60]}' would be shown to learners as text")]
