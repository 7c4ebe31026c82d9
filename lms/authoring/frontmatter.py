"""YAML front matter: split it off a Markdown file, load it safely, map keys to file lines.

Pure Python (no database, no Flask), shared by every authoring parser.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml


@dataclass
class FrontMatter:
    """A Markdown file split into YAML front matter and body.

    ``lines`` maps key paths (tuples of str; list indexes as str) to 1-based file lines;
    ``body_line`` is the file line of the body's first line; ``issues`` are (line, message).
    """

    meta: dict[str, Any]
    lines: dict[tuple[str, ...], int]
    body: str
    body_line: int
    issues: list[tuple[int, str]] = field(default_factory=list)


def plain(value: Any) -> Any:
    """Make YAML data JSON-friendly: dates to ISO strings, keys to str, tuples to lists."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k) if not isinstance(k, str) else k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    return value


def _node_lines(node: yaml.Node | None, offset: int) -> tuple[dict[tuple[str, ...], int],
                                                              list[tuple[int, str]]]:
    """Map key paths of a composed YAML node to file lines; report duplicate keys."""
    lines: dict[tuple[str, ...], int] = {}
    issues: list[tuple[int, str]] = []

    def walk(current: yaml.Node, path: tuple[str, ...]) -> None:
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in current.value:
                key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
                line = key_node.start_mark.line + offset
                if key in seen and key != "<<":
                    issues.append((line, f"duplicate key '{'.'.join((*path, key))}'"))
                seen.add(key)
                lines.setdefault((*path, key), line)
                walk(value_node, (*path, key))
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                lines.setdefault((*path, str(index)), item.start_mark.line + offset)
                walk(item, (*path, str(index)))

    if node is not None:
        walk(node, ())
    return lines, issues


def _shared_node_line(node: yaml.Node | None) -> int | None:
    """The 0-based line of a node reached twice (an alias), else None."""
    seen: set[int] = set()
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if id(current) in seen:
            return current.start_mark.line
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                stack.extend((key_node, value_node))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return None


def load_yaml(text: str, *, offset: int = 1) -> tuple[Any, dict[tuple[str, ...], int],
                                                      list[tuple[int, str]]]:
    """Load YAML safely; return (data, key-path lines, issues). offset = file line of text's line 1.

    On a syntax error data is None and the issue carries the error's line.
    """
    loader = None
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        alias_line = _shared_node_line(node)
        if alias_line is not None:
            return None, {}, [(alias_line + offset, "YAML anchors and aliases (&name, *name) "
                                                    "are not supported here")]
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + offset) if mark is not None else offset
        detail = " ".join(part for part in (exc.context, exc.problem) if part) or str(exc)
        return None, {}, [(line, f"YAML syntax error: {detail}")]
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        return None, {}, [(offset, f"YAML error: {exc}")]
    finally:
        if loader is not None:
            loader.dispose()
    lines, issues = _node_lines(node, offset)
    return plain(data), lines, issues


def split_front_matter(text: str) -> FrontMatter:
    """Split a Markdown file into YAML front matter (between `---` lines) and body."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return FrontMatter({}, {}, text, 1)
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        return FrontMatter({}, {}, text, 1, [(1, "front matter starting with '---' is never "
                                                 "closed by a '---' line")])
    body = "\n".join(lines[end + 1:])
    data, key_lines, issues = load_yaml("\n".join(lines[1:end]), offset=2)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        issues.append((2, "front matter must be a map of key: value lines"))
        data = {}
    return FrontMatter(data, key_lines, body, end + 2, issues)


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
