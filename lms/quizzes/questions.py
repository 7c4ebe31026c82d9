"""The question data contract: what the quiz parser produces and what draw, grading, review
and analysis read (stored as a question version's JSON ``data``).

Pure type definitions; no behaviour.
"""
from __future__ import annotations

from typing import Literal, TypedDict

QuestionType = Literal["single", "multiple", "truefalse", "numeric", "text", "matching",
                       "ordering"]
#: The question types answered by choosing options.
CHOICE_TYPES: frozenset[str] = frozenset({"single", "multiple", "truefalse"})


class Option(TypedDict):
    """A choice option; ``id`` is stable across edits of other options."""

    id: str
    text: str
    correct: bool
    feedback: str | None


class NumericAnswer(TypedDict):
    value: float
    tolerance: float


class AcceptedAnswer(TypedDict, total=False):
    """An accepted text answer: exact ``text`` (normalised), or a ``regex`` with ``flags``."""

    text: str
    regex: str
    flags: str


class Pair(TypedDict):
    """A matching pair: the left prompt and its right answer (each with a stable id)."""

    id: str
    left: str
    right: str
    right_id: str


class OrderItem(TypedDict):
    id: str
    text: str


class Question(TypedDict):
    """One parsed question. Only the list of its type is filled; the others stay empty."""

    key: str
    type: QuestionType
    stem: str
    points: float
    tags: list[str]
    line: int
    options: list[Option]
    numeric: list[NumericAnswer]
    accepted: list[AcceptedAnswer]
    pairs: list[Pair]
    items: list[OrderItem]
    explanation: str | None
