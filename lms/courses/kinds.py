"""The item-kind registry: how courses handles quizzes, assignments (and kinds to come)
without importing them.

courses knows one kind itself, the lesson. Every other kind registers, from its own package
and when the app is created (:func:`lms.register_item_kinds`), an :class:`ItemKind`:

* ``parse(meta, body, body_line=, key_lines=, default_title=)`` reads the item's front matter
  and body and returns a :class:`KindParse` (the parsed content kept on the ParsedItem, the
  title, a default duration, and ``(line, message)`` problems);
* ``keys``: the front matter keys the kind accepts (documentation and tooling read them);
* ``template``: the item page's template (it extends ``courses/_item_frame.html``);
* ``context(item, enrolment, user) -> dict``: extra template context for the item page.

Dependencies point one way: quizzes and assignments import this module, never the reverse.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

LESSON = "lesson"


@dataclass(frozen=True)
class KindParse:
    """What a kind's parser found in one item file."""

    content: Any
    title: str
    minutes: int
    issues: list[tuple[int, str]]


#: parse(meta, body, *, body_line, key_lines, default_title) -> KindParse
KindParser = Callable[..., KindParse]
#: context(item, enrolment, user) -> extra template context for the item page
PageContext = Callable[[Any, Any, Any], dict[str, Any]]


@dataclass(frozen=True)
class ItemKind:
    """One registered item kind."""

    name: str
    parse: KindParser | None
    keys: frozenset[str]
    template: str
    context: PageContext | None = None
    #: how pages name the kind ("Quiz"); the name capitalised when not given
    label: str = ""


_KINDS: dict[str, ItemKind] = {}


def register(kind: ItemKind) -> None:
    """Register (or replace: registering twice is harmless) an item kind."""
    _KINDS[kind.name] = kind


def register_lesson(keys: frozenset[str]) -> None:
    """Register courses' own kind, the lesson (parsed by the course parser itself)."""
    if LESSON not in _KINDS:
        register(ItemKind(LESSON, None, keys, "courses/lesson.html"))


def _registry() -> dict[str, ItemKind]:
    if LESSON not in _KINDS:  # the lesson registers where it is parsed
        import lms.courses.items  # noqa: F401
    return _KINDS


def get(name: str) -> ItemKind | None:
    """The registered kind of this name, or None."""
    return _registry().get(name)


def names() -> tuple[str, ...]:
    """Every registered kind's name, the lesson first."""
    found = list(_registry())
    return tuple(sorted(found, key=lambda name: (name != LESSON, found.index(name))))


def names_text() -> str:
    """The kind names for a message: 'lesson, quiz or assignment'."""
    found = names()
    return found[0] if len(found) == 1 else f"{', '.join(found[:-1])} or {found[-1]}"


def label(name: str) -> str:
    """How pages name a kind: its label, else its name capitalised."""
    kind = _registry().get(name)
    return (kind.label if kind is not None and kind.label else name.replace("_", " ").capitalize())


def template_for(name: str) -> str:
    """The item page template of a kind (the lesson's when the kind is not registered)."""
    kind = _registry().get(name)
    return kind.template if kind is not None else "courses/lesson.html"


def context_for(item: Any, enrolment: Any, user: Any) -> Mapping[str, Any] | None:
    """Extra item page context from the item's kind, or None when the kind adds none."""
    kind = _registry().get(item.kind)
    return kind.context(item, enrolment, user) if kind is not None and kind.context else None
