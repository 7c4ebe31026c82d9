"""Pure scoring rules of the quiz engine (no database, no Flask).

Questions are the plain dicts described in the question contract (see
``docs/authoring.md`` and the parser): ``key``, ``type``, ``stem``, ``points``,
``tags`` and the type-specific answer keys. Responses are what a learner
submitted for one question (an option id, a list of ids, a string, a dict...).

Every function here is total: a malformed response (wrong Python type, unknown
ids) scores 0 and never raises.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import regex

from lms.quizzes.questions import Option, OrderItem, Pair, Question

#: Longest answer a regular expression is evaluated against (a guard against slow patterns).
MAX_REGEX_ANSWER = 500
#: Seconds one author pattern may run against one answer; a pattern that backtracks
#: catastrophically stops there and the answer counts as not matching (and is logged).
REGEX_TIMEOUT = 0.25

log = logging.getLogger(__name__)
#: Longest numeric answer that is parsed at all.
MAX_NUMERIC_ANSWER = 64
#: Absolute tolerance added to every numeric comparison (floating-point noise).
NUMERIC_EPSILON = 1e-9

_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_REGEX_FLAGS = {"i": regex.IGNORECASE, "m": regex.MULTILINE, "s": regex.DOTALL,
                "x": regex.VERBOSE}


# --------------------------------------------------------------------------- helpers


def question_points(question: Question) -> float:
    """Return the question's points as a finite float >= 0 (0.0 when malformed)."""
    raw = question.get("points", 1)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return 0.0
    value = float(raw)
    if not math.isfinite(value) or value < 0:
        return 0.0
    return value


def _options(question: Question) -> list[Option]:
    opts = question.get("options") or []
    return [o for o in opts if isinstance(o, dict) and isinstance(o.get("id"), str)]


def _pairs(question: Question) -> list[Pair]:
    pairs = question.get("pairs") or []
    return [
        p
        for p in pairs
        if isinstance(p, dict)
        and isinstance(p.get("id"), str)
        and isinstance(p.get("right_id"), str)
    ]


def _items(question: Question) -> list[OrderItem]:
    items = question.get("items") or []
    return [i for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)]


def _str_list(response: Any) -> list[str] | None:
    """Return the response as a list of strings, or None if it is not one."""
    if not isinstance(response, list | tuple):
        return None
    if not all(isinstance(x, str) for x in response):
        return None
    return list(response)


def normalize_text(text: str) -> str:
    """Normalise a short answer for comparison: NFC, trimmed, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def parse_number(text: Any) -> float | None:
    """Parse a learner's numeric answer (decimal comma allowed); None when unparsable.

    Accepted: an optional sign, digits with at most one decimal separator (``.`` or a
    single ``,``) and an optional exponent. Thousands separators, units, ``nan`` and
    ``inf`` are rejected.
    """
    if not isinstance(text, str):
        return None
    s = text.strip()
    if not s or len(s) > MAX_NUMERIC_ANSWER:
        return None
    if "," in s:
        if "." in s or s.count(",") > 1:
            return None
        s = s.replace(",", ".")
    if not _NUMBER_RE.fullmatch(s):
        return None
    try:
        value = float(s)
    except (ValueError, OverflowError):
        return None
    return value if math.isfinite(value) else None


@lru_cache(maxsize=512)
def _compile(pattern: str, flags: str) -> regex.Pattern | None:
    """Compile an author's answer pattern with the `regex` engine, which can time out."""
    bits = 0
    for letter in flags:
        bits |= _REGEX_FLAGS.get(letter.lower(), 0)
    try:
        return regex.compile(pattern, bits)
    except (regex.error, RecursionError, OverflowError):
        return None


def _fullmatch(compiled: regex.Pattern, text: str) -> bool:
    try:
        return compiled.fullmatch(text, timeout=REGEX_TIMEOUT) is not None
    except TimeoutError:
        log.warning("answer pattern /%s/ timed out on a %d-character answer; counted as wrong",
                    compiled.pattern, len(text))
        return False


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    v = float(value)
    return v if math.isfinite(v) else None


# --------------------------------------------------------------------------- per-type fractions


def _fraction_single(question: Question, response: Any) -> float:
    if not isinstance(response, str):
        return 0.0
    for opt in _options(question):
        if opt["id"] == response:
            return 1.0 if opt.get("correct") is True else 0.0
    return 0.0


def _valid_choice(question: Question, response: Any) -> set[str] | None:
    """The chosen option ids, or None when the response is malformed for the type."""
    known = {o["id"] for o in _options(question)}
    if question.get("type") == "multiple":
        chosen = _str_list(response)
        if chosen is None or not set(chosen) <= known:
            return None
        return set(chosen)
    if response is None:
        return set()
    if not isinstance(response, str) or response not in known:
        return None
    return {response}


def _fraction_multiple(question: Question, response: Any) -> float:
    chosen = _valid_choice(question, response)
    correct = {o["id"] for o in _options(question) if o.get("correct") is True}
    if not chosen or not correct:
        return 0.0
    right = len(chosen & correct)
    wrong = len(chosen) - right
    return max(0, right - wrong) / len(correct)


def _fraction_numeric(question: Question, response: Any) -> float:
    x = parse_number(response)
    if x is None:
        return 0.0
    for entry in question.get("numeric") or []:
        if not isinstance(entry, dict):
            continue
        value = _number(entry.get("value"))
        tolerance = _number(entry.get("tolerance", 0)) or 0.0
        if value is None:
            continue
        eps = max(NUMERIC_EPSILON, abs(value) * 1e-12)
        if abs(x - value) <= abs(tolerance) + eps:
            return 1.0
    return 0.0


def _fraction_text(question: Question, response: Any) -> float:
    if not isinstance(response, str):
        return 0.0
    trimmed = response.strip()
    if not trimmed:
        return 0.0
    normalized = normalize_text(trimmed)
    for entry in question.get("accepted") or []:
        if not isinstance(entry, dict):
            continue
        text = entry.get("text")
        if isinstance(text, str) and normalize_text(text) == normalized:
            return 1.0
        pattern = entry.get("regex")
        if isinstance(pattern, str) and len(trimmed) <= MAX_REGEX_ANSWER:
            flags = entry.get("flags")
            compiled = _compile(pattern, flags if isinstance(flags, str) else "")
            if compiled is not None and _fullmatch(compiled, trimmed):
                return 1.0
    return 0.0


def _valid_matching(question: Question, response: Any) -> dict[str, str] | None:
    """The learner's {left id: right id} without blanks, or None when malformed."""
    if not isinstance(response, dict):
        return None
    pairs = _pairs(question)
    lefts = {p["id"] for p in pairs}
    rights = {p["right_id"] for p in pairs}
    answer: dict[str, str] = {}
    for left, right in response.items():
        if not isinstance(left, str) or left not in lefts:
            return None
        if right is None or right == "":
            continue  # that left was left unanswered
        if not isinstance(right, str) or right not in rights:
            return None
        answer[left] = right
    return answer


def _fraction_matching(question: Question, response: Any) -> float:
    answer = _valid_matching(question, response)
    pairs = _pairs(question)
    if not answer or not pairs:
        return 0.0
    good = sum(1 for p in pairs if answer.get(p["id"]) == p["right_id"])
    return good / len(pairs)


def _valid_order(question: Question, response: Any) -> list[str] | None:
    """The learner's order of item ids, or None when malformed (unknown or repeated ids)."""
    order = _str_list(response)
    if order is None:
        return None
    ids = {i["id"] for i in _items(question)}
    if len(set(order)) != len(order) or not set(order) <= ids:
        return None
    return order


def _fraction_ordering(question: Question, response: Any) -> float:
    order = _valid_order(question, response)
    ids = [i["id"] for i in _items(question)]
    if not order or not ids:
        return 0.0
    good = sum(1 for pos, item_id in enumerate(order) if pos < len(ids) and ids[pos] == item_id)
    return good / len(ids)


_FRACTIONS = {
    "single": _fraction_single,
    "truefalse": _fraction_single,
    "multiple": _fraction_multiple,
    "numeric": _fraction_numeric,
    "text": _fraction_text,
    "matching": _fraction_matching,
    "ordering": _fraction_ordering,
}


def score_fraction(question: Question, response: Any) -> float:
    """Return the fraction (0..1) of the question's points the response earns."""
    scorer = _FRACTIONS.get(question.get("type"))  # type: ignore[arg-type]
    if scorer is None:
        return 0.0
    return min(1.0, max(0.0, scorer(question, response)))


# --------------------------------------------------------------------------- public API


def score_response(question: Question, response: Any) -> float:
    """Return the points earned by ``response`` (0..points, 4 decimals); never raises."""
    points = question_points(question)
    earned = round(points * score_fraction(question, response), 4)
    return min(points, max(0.0, earned))


def is_answered(question: Question, response: Any) -> bool:
    """True if the learner gave a well-formed, non-empty answer (right or wrong)."""
    qtype = question.get("type")
    if qtype in ("single", "truefalse"):
        return isinstance(response, str) and response != ""
    if qtype in ("multiple", "ordering"):
        chosen = _str_list(response)
        return bool(chosen)
    if qtype in ("numeric", "text"):
        return isinstance(response, str) and response.strip() != ""
    if qtype == "matching":
        return isinstance(response, dict) and any(
            isinstance(v, str) and v != "" for v in response.values()
        )
    return False


@dataclass
class QuestionResult:
    """The outcome of one question in an attempt."""

    key: str
    earned: float
    points: float
    correct: bool
    answered: bool


@dataclass
class AttemptResult:
    """The outcome of a whole attempt."""

    earned: float
    possible: float
    percent: float
    per_question: list[QuestionResult] = field(default_factory=list)
    per_tag: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy (for storing with the attempt)."""
        return asdict(self)


def _percent(earned: float, possible: float) -> float:
    return round(100.0 * earned / possible, 2) if possible > 0 else 0.0


def grade_attempt(questions: list[Question], responses: dict[str, object]) -> AttemptResult:
    """Grade an attempt: ``responses`` maps question key -> response (missing = unanswered)."""
    if not isinstance(responses, dict):
        responses = {}
    per_question: list[QuestionResult] = []
    tags: dict[str, list[float]] = {}
    earned_total = 0.0
    possible_total = 0.0
    for question in questions:
        key = question.get("key", "")
        response = responses.get(key)
        points = question_points(question)
        fraction = score_fraction(question, response)
        earned = min(points, round(points * fraction, 4))
        per_question.append(
            QuestionResult(
                key=key,
                earned=earned,
                points=points,
                correct=fraction >= 1.0,
                answered=is_answered(question, response),
            )
        )
        earned_total += earned
        possible_total += points
        for tag in dict.fromkeys(t for t in question.get("tags") or [] if isinstance(t, str)):
            bucket = tags.setdefault(tag, [0.0, 0.0])
            bucket[0] += earned
            bucket[1] += points
    per_tag = {
        tag: {
            "earned": round(e, 4),
            "possible": round(p, 4),
            "percent": _percent(e, p),
        }
        for tag, (e, p) in sorted(tags.items())
    }
    earned_total = round(earned_total, 4)
    possible_total = round(possible_total, 4)
    return AttemptResult(
        earned=earned_total,
        possible=possible_total,
        percent=_percent(earned_total, possible_total),
        per_question=per_question,
        per_tag=per_tag,
    )


def passed(percent: float | None, passing_score: float) -> bool:
    """True when ``percent`` reaches the passing score (``>=``)."""
    if percent is None:
        return False
    return percent >= passing_score


def final_score(attempt_percents: list[float], grading: str) -> float | None:
    """The score that counts: the best (``highest``) or the latest (``last``) attempt."""
    if not attempt_percents:
        return None
    if grading == "highest":
        return max(attempt_percents)
    if grading == "last":
        return attempt_percents[-1]
    raise ValueError(f"unknown grading method {grading!r} (expected 'highest' or 'last')")
