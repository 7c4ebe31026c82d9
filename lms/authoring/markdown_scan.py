"""Find links, images, headings and code fences in Markdown with the renderer's own parser.

The tokens come from :func:`lms.markdown.new_parser` (the same markdown-it configuration that
renders the pages), so the linter and the renderer never disagree about what is a link, a
heading or a code block. Lines are 1-based lines of the scanned text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_inline.image import image as image_rule
from markdown_it.rules_inline.link import link as link_rule
from markdown_it.rules_inline.state_inline import StateInline
from markdown_it.token import Token

from lms.markdown import new_parser

#: A fence opened at the start of a line (up to 3 spaces): not one inside a quote or a box.
_LINE_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")

InlineRule = Callable[[StateInline, bool], bool]


def _marking(rule: InlineRule, *, image: bool) -> InlineRule:
    """Wrap markdown-it's link/image rule to note each link's line and whether it was written
    inline (``[text](target)``) or through a reference definition (``[text][label]``)."""

    def wrapped(state: StateInline, silent: bool) -> bool:
        start, before = state.pos, len(state.tokens)
        if not rule(state, silent):
            return False
        if not silent and len(state.tokens) > before:
            opener = start + 1 if image else start
            label_end = state.md.helpers.parseLinkLabel(state, opener, not image)
            kind = "image" if image else "link_open"
            token = next(t for t in state.tokens[before:] if t.type == kind)
            token.meta["reference"] = state.src[label_end + 1:label_end + 2] != "("
            token.meta["line_offset"] = state.src.count("\n", 0, start)
        return True

    return wrapped


@cache
def _scanner(front_matter: bool) -> MarkdownIt:
    md = new_parser(front_matter=front_matter)
    md.inline.ruler.at("link", _marking(link_rule, image=False))
    md.inline.ruler.at("image", _marking(image_rule, image=True))
    return md


def tokens(text: str, *, front_matter: bool = False) -> tuple[list[Token], dict[str, Any]]:
    """Parse text; return (block tokens, env). front_matter: text may start with YAML."""
    env: dict[str, Any] = {}
    return _scanner(front_matter).parse(text, env), env


def link_label(href: str) -> str:
    """A link target as the author wrote it (percent-escapes the parser added undone)."""
    return str(_scanner(True).normalizeLinkText(href))


def iter_links(text: str) -> Iterator[tuple[int, str, bool]]:
    """Yield (line, target, is_image) for every link, image and reference definition of a
    Markdown file (with its front matter). Code is skipped, as the renderer skips it; a link
    written through a reference definition is reported once, at the definition's line."""
    found: list[tuple[int, str, bool]] = []
    block_tokens, env = tokens(text, front_matter=True)
    last_line = 0
    for token in block_tokens:
        if token.map:
            last_line = token.map[0]
        if token.type != "inline" or not token.children:
            continue
        for child in _walk(token.children):
            if child.type not in ("link_open", "image") or child.meta.get("reference"):
                continue
            target = child.attrs.get("src" if child.type == "image" else "href")
            if isinstance(target, str):
                line = last_line + 1 + int(child.meta.get("line_offset", 0))
                found.append((line, target, child.type == "image"))
    for reference in (env.get("references") or {}).values():
        line = reference.get("map", [0])[0] + 1
        found.append((line, str(reference.get("href", "")), False))
    yield from sorted(found, key=lambda entry: entry[0])


def _walk(children: list[Token]) -> Iterator[Token]:
    for child in children:
        yield child
        if child.children:
            yield from _walk(child.children)


def first_heading(body: str) -> str | None:
    """The text of the first level-1 heading (``# Title``), or None."""
    block_tokens, _ = tokens(body)
    for index, token in enumerate(block_tokens):
        if token.type == "heading_open" and token.tag == "h1":
            inline = block_tokens[index + 1]
            return inline.content.strip() or None
    return None


def fence_flags(lines: list[str]) -> list[bool]:
    """For each line, whether it opens, closes or lies inside a fenced code block opened at
    the start of a line (a fence inside a quote or an indented box does not count)."""
    flags = [False] * len(lines)
    block_tokens, _ = tokens("\n".join(lines))
    for token in block_tokens:
        if token.type == "fence" and token.map and _LINE_FENCE_RE.match(lines[token.map[0]]):
            start, end = token.map
            flags[start:end] = [True] * (end - start)
    return flags
