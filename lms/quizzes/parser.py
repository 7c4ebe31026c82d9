"""Parse a quiz file's settings and questions (pure Python: no database, no Flask).

The course parser (:mod:`lms.courses.parser`) reads the file and splits off the YAML front
matter; this module turns the front matter into quiz settings and the Markdown body into
question dicts (the question contract documented in ``docs/authoring.md``).

Problems are returned as ``(line, message)`` tuples with 1-based line numbers in the file;
the caller attaches the file path. Nothing here raises on bad input.

The format, in short: every ``##`` heading starts a question; optional attributes close the
heading (``{points=2 tags=a,b id=key}``); paragraphs up to the answer block add to the stem;
the answer block is the first list (or ``=`` lines); a blockquote indented under an option is
its feedback; a blockquote after the answer block is the explanation.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import regex as regex_engine
from pydantic import Field

from lms.authoring import fence_flags, is_int, line_of
from lms.authoring.schema import (
    DEFAULT_PASSING_SCORE,
    Flag,
    Number,
    PassMark,
    Settings,
    Text,
    WholeNumber,
    defaults,
    validate,
)
from lms.text import slugify

#: A problem found in a quiz: (1-based line in the file, message).
Issue = tuple[int, str]

GRADING_VALUES = ("highest", "last")
REVIEW_VALUES = ("after_submit", "after_close", "never")


class QuizSettings(Settings):
    """A quiz's front matter settings (each description is what the value must be)."""

    title: Text | None = None
    passing_score: PassMark = DEFAULT_PASSING_SCORE
    attempts: Annotated[WholeNumber,
                        Field(ge=0, description="a whole number >= 0 (0 = unlimited)")] = 0
    cooldown_hours: Annotated[Number, Field(ge=0, description="a number >= 0")] = 0
    time_limit: Annotated[WholeNumber | None,
                          Field(gt=0, description="a whole number of minutes > 0")] = None
    shuffle: Annotated[Flag, Field(description="true or false")] = False
    draw: Annotated[WholeNumber | None, Field(gt=0, description="a whole number > 0")] = None
    avoid_repeats: Annotated[Flag, Field(description="true or false")] = False
    grading: Annotated[Literal["highest", "last"],
                       Field(description=f"one of {', '.join(GRADING_VALUES)}")] = "highest"
    review: Annotated[Literal["after_submit", "after_close", "never"],
                      Field(description=f"one of {', '.join(REVIEW_VALUES)}")] = "after_submit"
    exam: Annotated[Flag, Field(description="true or false")] = False


#: The settings of a quiz whose front matter sets nothing (blueprint is parsed on its own).
DEFAULT_SETTINGS: dict[str, Any] = {**defaults(QuizSettings), "title": "", "blueprint": None}
#: Front matter keys a quiz accepts (settings plus the keys every item may carry).
QUIZ_KEYS = frozenset(DEFAULT_SETTINGS) | {"type", "estimated_minutes"}
#: Regular-expression flags an accepted answer may carry (as the grader understands them).
REGEX_FLAGS = "imsx"
#: Minutes per question used to estimate a quiz without a time limit.
MINUTES_PER_QUESTION = 2

_HEADING_RE = re.compile(r"^ {0,3}##(?:[ \t]+(.*))?$")
_CHECK_RE = re.compile(r"^[-*+][ \t]+\[([ xX])\](?:[ \t]+(.*))?$")
_RADIO_RE = re.compile(r"^[-*+][ \t]+\(([ xX])\)(?:[ \t]+(.*))?$")
_ACCEPT_RE = re.compile(r"^=(?!=)[ \t]*(.*)$")
_MATCH_SPLIT_RE = re.compile(r"[ \t]=>(?:[ \t]|$)")
_ORDER_RE = re.compile(r"^\d{1,9}[.)](?:[ \t]+(.*))?$")
_BULLET_RE = re.compile(r"^[-*+](?:[ \t]+(.*))?$")
_INDENTED_RE = re.compile(r"^(?: {2,}|\t)")
_QUOTE_RE = re.compile(r"^ {0,3}>[ ]?(.*)$")
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_NUMERIC_RE = re.compile(rf"^({_NUMBER})(?:[ \t]*(?:±|\+/?-)[ \t]*(\S.*))?$")
_REGEX_RE = re.compile(r"^/(.*)/([A-Za-z]*)$", re.DOTALL)
_EXPLANATION_PREFIX_RE = re.compile(
    r"^\s*(?:\*\*|__)?explanation(?:\s*:\s*(?:\*\*|__)?|\s*(?:\*\*|__)\s*:)\s*", re.IGNORECASE
)
_TAG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$")

KIND_LABELS = {
    "check": "checkbox options `- [x]`/`- [ ]`",
    "radio": "single-choice options `- (x)`/`- ( )`",
    "accept": "accepted answers `= value`",
    "match": "matching pairs `- left => right`",
    "order": "a numbered list (ordering)",
    "bullet": "a plain bullet",
}


@dataclass
class ParsedQuiz:
    """A quiz: settings with defaults applied, the intro (Markdown) and the question dicts."""

    settings: dict[str, Any]
    intro: str = ""
    questions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pool_size(self) -> int:
        """Number of questions in the pool."""
        return len(self.questions)

    @property
    def asked_count(self) -> int:
        """Number of questions one attempt asks (draw, else the blueprint total, else all)."""
        return questions_asked(self.settings, len(self.questions))


# --------------------------------------------------------------------------- ids and keys


def make_id(key: str, kind: str, text: str) -> str:
    """Return the stable id of an option/item/pair side: sha1 of "key|kind|text", 10 hex chars."""
    return hashlib.sha1(f"{key}|{kind}|{text}".encode(), usedforsecurity=False).hexdigest()[:10]


def slugify_key(text: str, max_len: int = 60) -> str:
    """Return the slug used as a question key: lowercase a-z0-9 and '-', at most max_len chars."""
    slug = slugify(text, max_len)
    if not slug:
        slug = "q-" + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:10]
    return slug


def questions_asked(settings: Mapping[str, Any], pool: int) -> int:
    """Return how many questions an attempt asks given the settings and the pool size."""
    draw = settings.get("draw")
    if isinstance(draw, int) and not isinstance(draw, bool) and draw > 0:
        return min(draw, pool) if pool else draw
    blueprint = settings.get("blueprint")
    if isinstance(blueprint, Mapping) and blueprint:
        return sum(v for v in blueprint.values() if isinstance(v, int))
    return pool


def estimate_minutes(settings: Mapping[str, Any], pool: int) -> int:
    """Return a quiz's estimated minutes: its time limit, else 2 minutes per question asked."""
    limit = settings.get("time_limit")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
        return limit
    return max(1, MINUTES_PER_QUESTION * questions_asked(settings, pool))


# --------------------------------------------------------------------------- settings


def parse_settings(
    meta: Mapping[str, Any],
    *,
    key_lines: Mapping[tuple[str, ...], int] | None = None,
    default_line: int = 1,
    default_title: str = "",
) -> tuple[dict[str, Any], list[Issue]]:
    """Validate quiz front matter; return settings (defaults for missing or bad values) and issues.

    Pool-dependent checks (draw, blueprint) are done by :func:`check_pool`.
    """
    lines = key_lines or {}
    issues: list[Issue] = []
    settings = dict(DEFAULT_SETTINGS)
    settings["title"] = default_title

    def bad(key: str, message: str) -> None:
        issues.append((line_of(lines, default_line, key), message))

    for key in meta:
        if key not in QUIZ_KEYS:
            bad(str(key), f"unknown quiz setting '{key}' (known: {', '.join(sorted(QUIZ_KEYS))})")

    found = validate(QuizSettings, meta,
                     lambda path, message: issues.append((line_of(lines, default_line, *path),
                                                          message)))
    settings.update(found.model_dump(exclude={"title"}))
    settings["title"] = found.title or default_title

    value = meta.get("blueprint")
    if value is not None:
        blueprint = _parse_blueprint(value, lines, default_line, issues)
        settings["blueprint"] = blueprint or None
    return settings, issues


def _parse_blueprint(
    value: Any, lines: Mapping[tuple[str, ...], int], default_line: int, issues: list[Issue]
) -> dict[str, int]:
    if not isinstance(value, Mapping):
        issues.append((line_of(lines, default_line, "blueprint"),
                       "blueprint must be a map of tag: number of questions"))
        return {}
    blueprint: dict[str, int] = {}
    for tag, count in value.items():
        line = line_of(lines, default_line, "blueprint", str(tag))
        tag_text = str(tag).strip().lower()
        if not _TAG_RE.match(tag_text):
            issues.append((line, f"blueprint tag '{tag}' is not a valid tag"))
            continue
        if not is_int(count) or count < 1:
            issues.append((line, f"blueprint count for tag '{tag}' must be a whole number > 0 "
                                 f"(got {count!r})"))
            continue
        blueprint[tag_text] = count
    return blueprint


def check_pool(
    settings: Mapping[str, Any],
    questions: list[dict[str, Any]],
    *,
    key_lines: Mapping[tuple[str, ...], int] | None = None,
    default_line: int = 1,
) -> list[Issue]:
    """Check draw and blueprint against the question pool."""
    lines = key_lines or {}
    issues: list[Issue] = []
    pool = len(questions)
    draw = settings.get("draw")
    if draw and draw > pool:
        issues.append((line_of(lines, default_line, "draw"),
                       f"draw asks for {draw} questions but the pool has only {pool}"))
    blueprint = settings.get("blueprint") or {}
    if not blueprint:
        return issues
    by_tag: dict[str, list[int]] = {}
    for index, question in enumerate(questions):
        for tag in question.get("tags", []):
            by_tag.setdefault(tag, []).append(index)
    per_tag_ok = True
    for tag, count in blueprint.items():
        line = line_of(lines, default_line, "blueprint", tag)
        have = len(by_tag.get(tag, []))
        if have == 0:
            issues.append((line, f"blueprint tag '{tag}' is not used by any question"))
            per_tag_ok = False
        elif count > have:
            issues.append((line, f"blueprint asks for {count} questions tagged '{tag}' "
                                 f"but only {have} have that tag"))
            per_tag_ok = False
    total = sum(blueprint.values())
    line = line_of(lines, default_line, "blueprint")
    if total > pool:
        issues.append((line, f"blueprint asks for {total} questions in all but the pool has "
                             f"only {pool}"))
    elif per_tag_ok and _max_assignment(blueprint, by_tag) < total:
        issues.append((line, "blueprint cannot be met: questions carrying several blueprint tags "
                             "can each be drawn only once"))
    if draw and total > draw:
        issues.append((line, f"blueprint asks for {total} questions but draw is {draw}"))
    return issues


def _max_assignment(blueprint: Mapping[str, int], by_tag: Mapping[str, list[int]]) -> int:
    """Largest number of blueprint slots that distinct questions can fill (bipartite matching)."""
    slots = [tag for tag, count in blueprint.items() for _ in range(count)]
    owner: dict[int, int] = {}  # question index -> slot index

    def augment(slot: int, seen: set[int]) -> bool:
        for question in by_tag.get(slots[slot], []):
            if question in seen:
                continue
            seen.add(question)
            if question not in owner or augment(owner[question], seen):
                owner[question] = slot
                return True
        return False

    return sum(1 for slot in range(len(slots)) if augment(slot, set()))


# --------------------------------------------------------------------------- questions


@dataclass
class _Entry:
    kind: str
    line: int
    mark: str = ""  # "x" or " " for check/radio
    text: str = ""
    right: str = ""  # matching right side
    feedback: list[str] = field(default_factory=list)
    continuation: list[str] = field(default_factory=list)

    def full_text(self) -> str:
        return "\n".join([self.text, *self.continuation]).strip()


def split_questions(body: str, *, body_line: int = 1) -> tuple[str, list[tuple[int, list[str]]]]:
    """Split a quiz body into its intro and question blocks [(heading line, lines)]."""
    lines = body.split("\n")
    fenced = fence_flags(lines)
    intro: list[str] = []
    blocks: list[tuple[int, list[str]]] = []
    for index, line in enumerate(lines):
        if not fenced[index] and _HEADING_RE.match(line):
            blocks.append((body_line + index, [line]))
        elif blocks:
            blocks[-1][1].append(line)
        else:
            intro.append(line)
    return "\n".join(intro).strip(), blocks


def _classify(line: str) -> tuple[str, re.Match[str]] | None:
    for kind, regex in (("check", _CHECK_RE), ("radio", _RADIO_RE), ("accept", _ACCEPT_RE),
                        ("order", _ORDER_RE), ("bullet", _BULLET_RE)):
        match = regex.match(line)
        if match:
            if kind == "bullet" and _MATCH_SPLIT_RE.search(match.group(1) or ""):
                return "match", match
            return kind, match
    return None


def _entry_from(kind: str, match: re.Match[str], line: int) -> _Entry:
    if kind in ("check", "radio"):
        return _Entry(kind, line, mark=match.group(1).lower(), text=(match.group(2) or "").strip())
    if kind == "match":
        left, right = _MATCH_SPLIT_RE.split(match.group(1), maxsplit=1)
        return _Entry(kind, line, text=left.strip(), right=right.strip())
    return _Entry(kind, line, text=(match.group(1) or "").strip())


def _parse_attributes(raw: str, line: int, issues: list[Issue]) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for token in raw.split():
        name, sep, value = token.partition("=")
        name = name.strip().lower()
        value = value.strip().strip("\"'")
        if not sep or not name:
            issues.append((line, f"heading attribute '{token}' must look like name=value "
                                 "(points=2, tags=a,b or id=key)"))
            continue
        if name in attrs:
            issues.append((line, f"heading attribute '{name}' is given twice"))
            continue
        if name == "points":
            try:
                points = float(value)
            except ValueError:
                points = math.nan
            if not math.isfinite(points) or points <= 0:
                issues.append((line, f"points must be a number > 0 (got '{value}')"))
                continue
            attrs["points"] = points
        elif name == "tags":
            tags: list[str] = []
            for tag in value.split(","):
                tag = tag.strip().lower()
                if not _TAG_RE.match(tag):
                    issues.append((line, f"invalid tag '{tag}' (use lowercase letters, digits "
                                         "and hyphens, comma-separated without spaces)"))
                elif tag not in tags:
                    tags.append(tag)
            attrs["tags"] = tags
        elif name == "id":
            if not _KEY_RE.match(value):
                issues.append((line, f"invalid question id '{value}' (letters, digits, '-', '_' "
                                     "and '.', at most 60 characters)"))
                continue
            attrs["id"] = value
        else:
            issues.append((line, f"unknown heading attribute '{name}' (known: points, tags, id)"))
    return attrs


def _split_heading(line: str) -> str:
    """The heading text without the `##` marker and an optional closing sequence of #s."""
    match = _HEADING_RE.match(line)
    text = ((match.group(1) or "") if match else "").strip()
    if text.endswith("#"):
        bare = text.rstrip("#")
        if not bare or bare[-1] in " \t":
            text = bare.strip()
    return text


def _split_attributes(heading: str) -> tuple[str, str | None]:
    """Split `text {attrs}` into (text, attrs); attrs is None without a closing brace group."""
    text = heading.rstrip()
    if not text.endswith("}"):
        return heading, None
    start = text.rfind("{")
    if start < 0 or "}" in text[start + 1:-1]:
        return heading, None
    return text[:start].strip(), text[start + 1:-1]


def _quote_text(line: str) -> str:
    match = _QUOTE_RE.match(line)
    return match.group(1) if match else line.strip()


def _strip_explanation(lines: list[str]) -> str | None:
    text = "\n".join(lines).strip()
    if not text:
        return None
    text = _EXPLANATION_PREFIX_RE.sub("", text, count=1).strip()
    return text or None


@dataclass
class _Block:
    stem: list[str] = field(default_factory=list)
    entries: list[_Entry] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)


def _scan_block(lines: list[str], first_line: int, issues: list[Issue]) -> _Block:
    """Split a question's lines (after the heading) into stem, answer entries and explanation."""
    block = _Block()
    fenced = fence_flags(lines)
    state = "stem"
    previous_quote = False
    complained = False
    for index, line in enumerate(lines):
        lineno = first_line + index
        stripped = line.strip()
        if state == "stem":
            found = None if fenced[index] else _classify(line)
            if found:
                state = "answers"
                block.entries.append(_entry_from(found[0], found[1], lineno))
            else:
                block.stem.append(line)
            continue
        if state == "answers":
            found = None if fenced[index] else _classify(line)
            if found:
                block.entries.append(_entry_from(found[0], found[1], lineno))
                continue
            if not stripped:
                continue
            if _INDENTED_RE.match(line) and not fenced[index]:
                entry = block.entries[-1]
                if stripped.startswith(">"):
                    entry.feedback.append(stripped[1:].removeprefix(" "))
                else:
                    entry.continuation.append(stripped)
                continue
            state = "after"
        # after the answer block: only an explanation blockquote may follow
        if not fenced[index] and _QUOTE_RE.match(line):
            block.explanation.append(_quote_text(line))
            previous_quote = True
        elif not stripped:
            if block.explanation:
                block.explanation.append("")
            previous_quote = False
        elif previous_quote and not fenced[index]:
            block.explanation.append(stripped)  # lazy continuation of the blockquote
        elif not complained:
            complained = True
            found = None if fenced[index] else _classify(line)
            if found and found[0] != "bullet":
                issues.append((lineno, "a second answer block: a question has one answer block "
                                       "(put a blank-line-free list or `=` lines together)"))
            else:
                issues.append((lineno, "unexpected text after the answer block (only a `> ` "
                                       "explanation may follow; put other text in the stem)"))
    return block


def parse_question(
    lines: list[str], *, heading_line: int, issues: list[Issue] | None = None
) -> dict[str, Any]:
    """Parse one question block (heading line first) into a question dict; issues are appended."""
    found: list[Issue] = [] if issues is None else issues
    heading, raw_attrs = _split_attributes(_split_heading(lines[0]))
    attrs: dict[str, Any] = {}
    if raw_attrs is not None:
        attrs = _parse_attributes(raw_attrs, heading_line, found)
    block = _scan_block(lines[1:], heading_line + 1, found)
    stem_rest = "\n".join(block.stem).strip()
    stem = "\n\n".join(part for part in (heading, stem_rest) if part)
    if not heading:
        found.append((heading_line, "question heading has no text (the heading is the stem)"))
    key = attrs.get("id") or slugify_key(stem or f"question-{heading_line}")
    question: dict[str, Any] = {
        "key": key,
        "type": "single",
        "stem": stem,
        "points": attrs.get("points", 1.0),
        "tags": attrs.get("tags", []),
        "line": heading_line,
        "options": [],
        "numeric": [],
        "accepted": [],
        "pairs": [],
        "items": [],
        "explanation": _strip_explanation(block.explanation),
    }
    if not block.entries:
        found.append((heading_line, "question has no answer block (options `- (x)`/`- [x]`, "
                                    "`= answer` lines, `- left => right` pairs or a numbered "
                                    "list)"))
        return question
    entries = _usable_entries(block.entries, found)
    kind = entries[0].kind if entries else "bullet"
    for entry in entries:
        if entry.feedback and kind not in ("check", "radio"):
            found.append((entry.line, "feedback blockquotes are only supported under choice "
                                      "options"))
    builder = {"check": _build_choice, "radio": _build_choice, "accept": _build_accepted,
               "match": _build_matching, "order": _build_ordering}.get(kind)
    if builder:
        builder(question, entries, found)
    return question


def _usable_entries(entries: list[_Entry], issues: list[Issue]) -> list[_Entry]:
    """Report plain bullets and mixed kinds; return the entries of the block's main kind."""
    for entry in entries:
        if entry.kind == "bullet":
            issues.append((entry.line, "unrecognised answer line: use `- [x]`/`- [ ]` (several "
                                       "right), `- (x)`/`- ( )` (one right), `= answer` or "
                                       "`- left => right`"))
    real = [entry for entry in entries if entry.kind != "bullet"]
    if not real:
        return []
    kinds = list(dict.fromkeys(entry.kind for entry in real))
    if len(kinds) > 1:
        first = real[0].kind
        other = next(entry for entry in real if entry.kind != first)
        issues.append((other.line, f"mixed answer block: {KIND_LABELS[other.kind]} after "
                                   f"{KIND_LABELS[first]}; a question has one kind of answer"))
        return [entry for entry in real if entry.kind == first]
    return real


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _check_duplicates(texts: list[tuple[int, str]], what: str, issues: list[Issue]) -> None:
    seen: dict[str, int] = {}
    for line, text in texts:
        norm = _norm(text)
        if norm in seen:
            issues.append((line, f"duplicate {what} '{text}' (also on line {seen[norm]})"))
        else:
            seen[norm] = line


def _build_choice(question: dict[str, Any], entries: list[_Entry], issues: list[Issue]) -> None:
    key = question["key"]
    single = entries[0].kind == "radio"
    options: list[dict[str, Any]] = []
    for entry in entries:
        text = entry.full_text()
        if not text:
            issues.append((entry.line, "option has no text"))
        feedback = "\n".join(entry.feedback).strip() or None
        options.append({"id": make_id(key, "opt", text), "text": text,
                        "correct": entry.mark == "x", "feedback": feedback})
    question["options"] = options
    _check_duplicates([(e.line, o["text"]) for e, o in zip(entries, options, strict=True)],
                      "option text", issues)
    line = question["line"]
    right = sum(1 for option in options if option["correct"])
    if len(options) < 2:
        issues.append((line, "a choice question needs at least two options"))
    if single:
        if right != 1:
            issues.append((line, f"single-answer question must have exactly one right option "
                                 f"`- (x)`; it has {right}"))
        texts = sorted(option["text"].strip().casefold() for option in options)
        question["type"] = "truefalse" if texts == ["false", "true"] else "single"
    else:
        question["type"] = "multiple"
        if right == 0:
            issues.append((line, "multiple-answer question has no right option `- [x]`"))


def _build_accepted(question: dict[str, Any], entries: list[_Entry], issues: list[Issue]) -> None:
    numeric: list[dict[str, float]] = []
    accepted: list[dict[str, str]] = []
    has_tolerance = False
    for entry in entries:
        value = entry.full_text()
        if not value:
            issues.append((entry.line, "`=` line has no answer"))
            continue
        parsed = _parse_numeric(value, entry.line, issues)
        if parsed is not None:
            numeric.append(parsed)
            has_tolerance = has_tolerance or bool(re.search(r"±|\+/?-", value))
            accepted.append({"text": value})
            continue
        if _looks_like_tolerance(value):
            continue  # _parse_numeric reported it
        regex = _REGEX_RE.match(value)
        if regex:
            pattern, flags = regex.group(1), regex.group(2)
            bad_flags = sorted(set(flags) - set(REGEX_FLAGS))
            if bad_flags:
                issues.append((entry.line, f"unsupported regular-expression flag(s) "
                                           f"{''.join(bad_flags)} (use {REGEX_FLAGS})"))
            try:  # the engine grading uses (it can time out a slow pattern)
                regex_engine.compile(pattern)
            except regex_engine.error as exc:
                issues.append((entry.line, f"invalid regular expression /{pattern}/: {exc}"))
            accepted.append({"regex": pattern, "flags": "".join(sorted(set(flags)))})
        else:
            accepted.append({"text": value})
    if numeric and len(numeric) == len(accepted):
        question["type"] = "numeric"
        question["numeric"] = numeric
        return
    if has_tolerance:
        issues.append((question["line"], "mixed answer block: numeric answers with a tolerance "
                                         "and text answers"))
    question["type"] = "text"
    question["accepted"] = accepted
    _check_duplicates([(e.line, e.full_text()) for e in entries], "accepted answer", issues)


def _looks_like_tolerance(value: str) -> bool:
    return bool(re.match(rf"^{_NUMBER}[ \t]*(?:±|\+/?-)", value))


def _parse_numeric(value: str, line: int, issues: list[Issue]) -> dict[str, float] | None:
    match = _NUMERIC_RE.match(value)
    if not match:
        if _looks_like_tolerance(value):
            issues.append((line, f"invalid number or tolerance in '= {value}'"))
        return None
    number = float(match.group(1))
    tolerance = 0.0
    if match.group(2) is not None:
        try:
            tolerance = float(match.group(2).strip())
        except ValueError:
            issues.append((line, f"invalid tolerance '{match.group(2).strip()}' in '= {value}'"))
            return None
        if not math.isfinite(tolerance) or tolerance < 0:
            issues.append((line, f"tolerance must be a number >= 0 (got '{match.group(2)}')"))
            return None
    if not math.isfinite(number):
        issues.append((line, f"invalid number '{match.group(1)}'"))
        return None
    return {"value": number, "tolerance": tolerance}


def _build_matching(question: dict[str, Any], entries: list[_Entry], issues: list[Issue]) -> None:
    key = question["key"]
    question["type"] = "matching"
    pairs = []
    for entry in entries:
        left = entry.text.strip()
        right = "\n".join([entry.right, *entry.continuation]).strip()
        if not left or not right:
            issues.append((entry.line, "matching pair needs text on both sides of `=>`"))
        pairs.append({"id": make_id(key, "left", left), "left": left, "right": right,
                      "right_id": make_id(key, "right", right)})
    question["pairs"] = pairs
    if len(pairs) < 2:
        issues.append((question["line"], "a matching question needs at least two pairs"))
    _check_duplicates([(e.line, e.text.strip()) for e in entries], "left side", issues)


def _build_ordering(question: dict[str, Any], entries: list[_Entry], issues: list[Issue]) -> None:
    key = question["key"]
    question["type"] = "ordering"
    items = []
    for entry in entries:
        text = entry.full_text()
        if not text:
            issues.append((entry.line, "ordering item has no text"))
        items.append({"id": make_id(key, "item", text), "text": text})
    question["items"] = items
    if len(items) < 2:
        issues.append((question["line"], "an ordering question needs at least two items"))
    _check_duplicates([(e.line, e.full_text()) for e in entries], "item", issues)


def parse_questions(
    body: str, *, body_line: int = 1
) -> tuple[str, list[dict[str, Any]], list[Issue]]:
    """Parse a quiz body into (intro, questions, issues); duplicate keys are reported."""
    issues: list[Issue] = []
    intro, blocks = split_questions(body, body_line=body_line)
    questions = [parse_question(lines, heading_line=line, issues=issues) for line, lines in blocks]
    seen: dict[str, int] = {}
    for question in questions:
        if question["key"] in seen:
            issues.append((question["line"], f"duplicate question key '{question['key']}' (also "
                                             f"line {seen[question['key']]}); add a distinct "
                                             "{id=...} attribute"))
        else:
            seen[question["key"]] = question["line"]
    return intro, questions, issues


def parse_quiz(
    meta: Mapping[str, Any],
    body: str,
    *,
    body_line: int = 1,
    key_lines: Mapping[tuple[str, ...], int] | None = None,
    default_title: str = "",
    front_matter_line: int = 1,
) -> tuple[ParsedQuiz, list[Issue]]:
    """Parse a quiz from its front matter (already loaded) and Markdown body.

    body_line is the file line of the body's first line; key_lines maps front matter key paths
    to file lines (for precise problem lines). Returns the quiz and the issues, sorted by line.
    """
    settings, issues = parse_settings(meta, key_lines=key_lines, default_line=front_matter_line,
                                      default_title=default_title)
    intro, questions, question_issues = parse_questions(body, body_line=body_line)
    issues.extend(question_issues)
    if not questions:
        issues.append((body_line, "quiz has no questions (every `##` heading starts a question)"))
    issues.extend(check_pool(settings, questions, key_lines=key_lines,
                             default_line=front_matter_line))
    issues.sort(key=lambda issue: issue[0])
    return ParsedQuiz(settings=settings, intro=intro, questions=questions), issues
