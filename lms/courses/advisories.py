"""Warnings of ``courses check``: things an author should look at that do not stop an import.

Pure: reads parsed courses and returns :class:`~lms.authoring.problems.Problem` entries
(printed as ``path:LINE: warning: message``). For an exam (a quiz with ``exam: true``): the
bank per blueprint tag against the blueprint, the share of application/analysis items, single
choice items whose key is the longest option, identical or near-identical stems. For every
course: ``ce_hours`` beyond what the course's estimated study time supports.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lms.authoring.problems import Problem, display_path
from lms.courses.parsed import ParsedCourse, ParsedItem

#: Minutes of study behind one CE hour (a CE hour is 50-60 minutes of instruction).
MINUTES_PER_CE_HOUR = 50
#: Cognitive-level tags that count as applying knowledge rather than recalling it.
HIGHER_LEVELS = ("level-application", "level-analysis")
#: The least share of an exam bank at a higher cognitive level.
MIN_HIGHER_SHARE = 0.5
#: The most share of single-choice items whose key is the longest (or tied longest) option.
MAX_KEY_LONGEST_SHARE = 0.3
#: How far (in percentage points) a tag's share of the bank may stray from its blueprint weight.
MAX_WEIGHT_GAP = 5.0
#: difflib ratio above which two stems count as near-identical.
NEAR_IDENTICAL = 0.9


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())


def _key_line(source: str, key: str) -> int:
    """The line of the key in course.md's front matter (1 when absent)."""
    for number, line in enumerate(source.splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return 1


def _question_lines(source: str, questions: list[dict[str, Any]]) -> dict[str, int]:
    """Question key -> the line of its ``##`` heading (matched by ``id=`` or by the stem)."""
    headings = [(n, line) for n, line in enumerate(source.splitlines(), start=1)
                if line.startswith("## ")]
    found: dict[str, int] = {}
    for question in questions:
        key, stem = str(question.get("key", "")), str(question.get("stem", ""))
        first_line = stem.splitlines()[0].strip() if stem.strip() else ""
        for number, line in headings:
            if re.search(rf"\bid={re.escape(key)}(?![\w-])", line) or \
                    (first_line and first_line in line):
                found[key] = number
                break
    return found


def _key_is_longest(question: dict[str, Any]) -> bool:
    options = question.get("options") or []
    right = [len(str(o.get("text", ""))) for o in options if o.get("correct")]
    wrong = [len(str(o.get("text", ""))) for o in options if not o.get("correct")]
    return bool(right and wrong) and max(right) >= max(wrong)


def _exam_warnings(item: ParsedItem, path: str) -> list[Problem]:
    settings: dict[str, Any] = item.content.settings
    questions: list[dict[str, Any]] = item.content.questions
    if not questions:
        return []
    lines = _question_lines(item.source, questions)
    front = _key_line(item.source, "blueprint" if settings.get("blueprint") else "exam")
    out: list[Problem] = []

    def warn(line: int, message: str) -> None:
        out.append(Problem(path, max(1, line), message))

    tags_of = {q["key"]: {str(t).lower() for t in q.get("tags") or []} for q in questions}
    blueprint: dict[str, int] = settings.get("blueprint") or {}
    total_asked = sum(blueprint.values())
    attempts = int(settings.get("attempts") or 0)
    for tag, asked in sorted(blueprint.items()):
        have = sum(1 for tags in tags_of.values() if tag in tags)
        if attempts and have < asked * attempts:
            warn(front, f"blueprint tag '{tag}' has {have} item(s) for {asked} a sitting: "
                        f"{attempts} attempts cannot each get unseen questions "
                        f"(needs {asked * attempts})")
        share, weight = 100 * have / len(questions), 100 * asked / total_asked
        if total_asked and abs(share - weight) > MAX_WEIGHT_GAP:
            warn(front, f"blueprint tag '{tag}' is {weight:.0f}% of a sitting but {share:.0f}% "
                        f"of the bank ({have} of {len(questions)} items)")
    if blueprint:
        untagged = [k for k, tags in tags_of.items() if not tags & set(blueprint)]
        for key in untagged:
            warn(lines.get(key, 1), f"exam item '{key}' carries no blueprint tag: it is never "
                                    "drawn")

    higher = sum(1 for tags in tags_of.values() if tags & set(HIGHER_LEVELS))
    if higher < MIN_HIGHER_SHARE * len(questions):
        warn(front, f"only {higher} of {len(questions)} exam items "
                    f"({100 * higher / len(questions):.0f}%) are tagged "
                    f"{' or '.join(HIGHER_LEVELS)}; aim for at least "
                    f"{MIN_HIGHER_SHARE:.0%}")

    singles = [q for q in questions if q.get("type") == "single"]
    longest = [q for q in singles if _key_is_longest(q)]
    if singles and len(longest) > MAX_KEY_LONGEST_SHARE * len(singles):
        warn(front, f"the key is the longest option in {len(longest)} of {len(singles)} "
                    f"single-choice items (more than {MAX_KEY_LONGEST_SHARE:.0%}): "
                    "length gives the answer away")
        for question in longest:
            warn(lines.get(question["key"], 1),
                 f"the key of '{question['key']}' is its longest option")

    stems = [(q["key"], _norm(str(q.get("stem", "")))) for q in questions]
    for i, (key, stem) in enumerate(stems):
        for other, other_stem in stems[:i]:
            matcher = difflib.SequenceMatcher(None, other_stem, stem, autojunk=False)
            if matcher.real_quick_ratio() > NEAR_IDENTICAL and \
                    matcher.quick_ratio() > NEAR_IDENTICAL and matcher.ratio() > NEAR_IDENTICAL:
                what = "identical to" if stem == other_stem else "nearly identical to"
                warn(lines.get(key, 1), f"the stem of '{key}' is {what} the stem of '{other}' "
                                        f"(line {lines.get(other, 1)})")
    return out


def _ce_warning(course: ParsedCourse) -> list[Problem]:
    if not course.ce_hours:
        return []
    minutes = sum(item.estimated_minutes for item in course.items if not item.instructors_only)
    supported = minutes / MINUTES_PER_CE_HOUR
    if course.ce_hours <= supported:
        return []
    path = display_path(course.path / "course.md")
    return [Problem(path, _key_line(course.source, "ce_hours"),
                    f"ce_hours {course.ce_hours:g} exceeds the course's estimated study time: "
                    f"{minutes} minutes support at most {supported:.2f} CE hours "
                    f"({MINUTES_PER_CE_HOUR} minutes an hour)")]


def course_warnings(courses: Iterable[ParsedCourse]) -> list[Problem]:
    """Every warning of these parsed courses, sorted by file and line."""
    out: list[Problem] = []
    for course in courses:
        out.extend(_ce_warning(course))
        for item in course.items:
            if item.kind == "quiz" and item.content is not None and \
                    item.content.settings.get("exam"):
                out.extend(_exam_warnings(item, display_path(Path(course.path)
                                                             / item.source_path)))
    return sorted(dict.fromkeys(out), key=lambda p: (p.path, p.line))
