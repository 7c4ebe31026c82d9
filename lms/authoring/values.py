"""Small value checks shared by the authoring parsers (courses, quizzes, assignments)."""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

#: A URL that starts with a scheme (https:, mailto:, ...): not a link to a course file.
SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


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


def str_list(value: Any) -> list[str] | None:
    """A list of non-empty strings (numbers are turned into text); None when not a list."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return None
    out = []
    for item in value:
        if isinstance(item, bool) or item is None or isinstance(item, dict | list):
            return None
        text = str(item).strip()
        if not text:
            return None
        out.append(text)
    return out
