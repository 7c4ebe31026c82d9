"""Item analysis of a quiz for instructors (classical test theory, standard library only).

Input: submitted attempts, each ``{"attempt_id", "total_percent", "items": {unit:
{"earned", "points", "response"}}}``, and the question dicts of the quiz. A *unit* is what one
row of the analysis is about: by default a question's key; the quiz engine passes one unit per
question *version* (:class:`Version`), so answers graded under an older version are analysed
against that version's own stem, options and key, never against the current ones.

Definitions used (documented in the instructor help as well):

- item score = earned / points of that attempt's item (0..1);
- facility = mean item score over the attempts that saw the item;
- discrimination_pb = Pearson (point-biserial) correlation between the item score and the
  score on the *rest* of the test: (earned on the other items) / (points of the other
  items) of the same attempt; None when fewer than 3 usable attempts or zero variance;
- discrimination_ul = mean item score of the upper 27 % minus that of the lower 27 % of
  the attempts that saw the item, ranked by ``total_percent`` (ties: submission order);
  group size max(1, round(0.27 n)); None when n < 4;
- reliability = KR-20 when every item score in the matrix is 0 or 1, else Cronbach's
  alpha, both on unweighted item scores (0..1) and population variances. The matrix
  holds every attempt and only the items seen by *all* attempts (with drawn subsets
  the other items are left out); None with fewer than 2 such items or 2 attempts, or
  when the total score does not vary. Units are versions, so a question whose version
  changed between attempts is left out of the matrix (its versions are different items).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lms.quizzes.questions import CHOICE_TYPES, Question
from lms.spreadsheet import safe_cell

TOO_HARD = 0.2
TOO_EASY = 0.95
LOW_DISCRIMINATION = 0.1
UL_FRACTION = 0.27


@dataclass(frozen=True)
class Version:
    """Which version of a question a row of the analysis is about.

    ``unit`` is the key the attempts' items are stored under; ``number`` counts the
    question's versions from 1; ``introduced_at`` is when that version was first imported;
    ``current`` says whether learners starting now draw it; ``retired`` that the question
    itself is gone from the quiz (no new attempt draws any of its versions).
    """

    unit: str
    number: int
    introduced_at: datetime | None
    current: bool
    retired: bool


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def _item_scores(attempt: dict[str, Any]) -> dict[str, tuple[float, float, float, Any]]:
    """{key: (fraction, earned, points, response)} for the well-formed items of an attempt."""
    scores: dict[str, tuple[float, float, float, Any]] = {}
    items = attempt.get("items") or {}
    if not isinstance(items, dict):
        return scores
    for key, item in items.items():
        if not isinstance(item, dict):
            continue
        earned, points = _num(item.get("earned")), _num(item.get("points"))
        if earned is None or points is None or points <= 0:
            continue
        fraction = min(1.0, max(0.0, earned / points))
        scores[key] = (fraction, earned, points, item.get("response"))
    return scores


def _total_percent(attempt: dict[str, Any],
                   scores: dict[str, tuple[float, float, float, Any]]) -> float:
    total = _num(attempt.get("total_percent"))
    if total is not None:
        return total
    possible = sum(s[2] for s in scores.values())
    return 100.0 * sum(s[1] for s in scores.values()) / possible if possible else 0.0


def _correlation(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 3 or statistics.pvariance(xs) == 0 or statistics.pvariance(ys) == 0:
        return None
    try:
        return statistics.correlation(xs, ys)
    except statistics.StatisticsError:
        return None


def _upper_lower(ranked: list[tuple[float, int, float]]) -> float | None:
    """``ranked``: (total, order, item fraction) tuples of the attempts that saw the item."""
    n = len(ranked)
    if n < 4:
        return None
    group = max(1, int(UL_FRACTION * n + 0.5))
    ordered = sorted(ranked, key=lambda r: (r[0], r[1]))
    lower = [r[2] for r in ordered[:group]]
    upper = [r[2] for r in ordered[-group:]]
    return statistics.fmean(upper) - statistics.fmean(lower)


def _option_counts(question: Question, responses: list[Any]) -> dict[str, int]:
    if question.get("type") not in CHOICE_TYPES:
        return {}
    counts = {o["id"]: 0 for o in question.get("options") or [] if isinstance(o, dict)}
    for response in responses:
        chosen = response if isinstance(response, list | tuple) else [response]
        for option_id in {c for c in chosen if isinstance(c, str)}:
            if option_id in counts:
                counts[option_id] += 1
    return counts


def _flags(facility: float | None, pb: float | None, ul: float | None) -> list[str]:
    flags: list[str] = []
    if facility is not None:
        if facility < TOO_HARD:
            flags.append("too hard")
        if facility > TOO_EASY:
            flags.append("too easy")
    disc = pb if pb is not None else ul
    if disc is not None and disc < LOW_DISCRIMINATION:
        flags.append("low discrimination")
    return flags


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def reliability(matrix: list[list[float]]) -> tuple[float | None, str | None]:
    """KR-20 (all scores 0/1) or Cronbach's alpha of an attempts x items score matrix.

    Returns (value, method) with method "KR-20" or "alpha"; (None, None) when undefined.
    """
    if len(matrix) < 2 or not matrix[0] or len(matrix[0]) < 2:
        return None, None
    k = len(matrix[0])
    totals = [sum(row) for row in matrix]
    var_total = statistics.pvariance(totals)
    if var_total == 0:
        return None, None
    columns = [[row[j] for row in matrix] for j in range(k)]
    if all(v in (0.0, 1.0) for row in matrix for v in row):
        p = [statistics.fmean(col) for col in columns]
        spread = sum(pj * (1 - pj) for pj in p)
        method = "KR-20"
    else:
        spread = sum(statistics.pvariance(col) for col in columns)
        method = "alpha"
    return k / (k - 1) * (1 - spread / var_total), method


def item_analysis(attempts: list[dict[str, Any]], questions: list[Question],
                  versions: list[Version] | None = None) -> dict[str, Any]:
    """Analyse submitted attempts of a quiz.

    ``versions`` (as long as ``questions``) says which version each question dict is and
    under which unit the attempts hold its answers; without it the unit is the question key.
    Each item then also carries ``unit``, ``version``, ``introduced_at``, ``current`` and
    ``retired`` (None/None/True/False without ``versions``).

    Returns ``{"test": {n_attempts, mean, sd, reliability, reliability_method,
    reliability_items}, "items": [per question, in the order of ``questions``]}`` where
    each item is ``{key, type, stem, points, n, facility, discrimination_pb,
    discrimination_ul, option_counts, options, flags}``; ``options`` lists
    ``{id, text, correct, count}`` for choice questions (else []). ``mean``/``sd`` are of
    ``total_percent`` (sd is the sample standard deviation, None below 2 attempts).
    """
    rows: list[dict[str, Any]] = []
    for order, attempt in enumerate(attempts):
        scores = _item_scores(attempt)
        rows.append(
            {
                "order": order,
                "scores": scores,
                "total": _total_percent(attempt, scores),
                "earned": sum(s[1] for s in scores.values()),
                "possible": sum(s[2] for s in scores.values()),
            }
        )

    if versions is not None and len(versions) != len(questions):
        raise ValueError("versions must describe every question")
    units = [v.unit for v in versions] if versions is not None else \
        [q.get("key", "") for q in questions]
    items = []
    for index, question in enumerate(questions):
        key = units[index]
        version = versions[index] if versions is not None else None
        seen = [r for r in rows if key in r["scores"]]
        fractions = [r["scores"][key][0] for r in seen]
        facility = statistics.fmean(fractions) if fractions else None

        xs: list[float] = []
        ys: list[float] = []
        for r in seen:
            _, earned, points, _ = r["scores"][key]
            rest_possible = r["possible"] - points
            if rest_possible > 0:
                xs.append(r["scores"][key][0])
                ys.append((r["earned"] - earned) / rest_possible)
        pb = _correlation(xs, ys)
        ul = _upper_lower([(r["total"], r["order"], r["scores"][key][0]) for r in seen])

        counts = _option_counts(question, [r["scores"][key][3] for r in seen])
        options = [
            {
                "id": o["id"],
                "text": str(o.get("text", "")),
                "correct": o.get("correct") is True,
                "count": counts.get(o["id"], 0),
            }
            for o in (question.get("options") or [])
            if question.get("type") in CHOICE_TYPES and isinstance(o, dict)
        ]
        items.append(
            {
                "key": question.get("key", ""),
                "unit": key,
                "version": version.number if version else None,
                "introduced_at": version.introduced_at if version else None,
                "current": version.current if version else True,
                "retired": version.retired if version else False,
                "type": question.get("type"),
                "stem": question.get("stem", ""),
                "points": question.get("points", 1),
                "n": len(seen),
                "facility": _round(facility),
                "discrimination_pb": _round(pb),
                "discrimination_ul": _round(ul),
                "option_counts": counts,
                "options": options,
                "flags": _flags(facility, pb, ul),
            }
        )

    common = [unit for unit in units if rows and all(unit in r["scores"] for r in rows)]
    matrix = [[r["scores"][key][0] for key in common] for r in rows]
    rel, method = reliability(matrix) if common else (None, None)
    totals = [r["total"] for r in rows]
    test = {
        "n_attempts": len(rows),
        "mean": _round(statistics.fmean(totals), 2) if totals else None,
        "sd": _round(statistics.stdev(totals), 2) if len(totals) >= 2 else None,
        "reliability": _round(rel),
        "reliability_method": method,
        "reliability_items": len(common),
    }
    return {"test": test, "items": items}


CSV_HEADER = [
    "question_key",
    "version",
    "version_introduced",
    "current_version",
    "retired",
    "type",
    "stem",
    "n",
    "facility",
    "discrimination_pb",
    "discrimination_ul",
    "option_counts",
    "flags",
]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def _iso(value: Any) -> str | None:
    return value.isoformat(timespec="minutes") if isinstance(value, datetime) else None


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


def _text_cell(value: Any) -> str:
    """A text cell safe to open in a spreadsheet (no formula injection)."""
    return safe_cell(_cell(value))


def to_csv_rows(analysis: dict[str, Any]) -> list[list[str]]:
    """The per-question analysis as CSV rows (strings), header row first.

    ``option_counts`` is rendered as ``option text: count`` joined by `` | ``;
    ``flags`` joined by ``; ``. Empty cells stand for undefined values. ``version`` is the
    version number (empty when unknown), ``version_introduced`` its ISO date and time,
    ``current_version`` and ``retired`` are ``yes``/``no``.
    """
    rows = [list(CSV_HEADER)]
    for item in analysis.get("items", []):
        if item.get("options"):
            counts = " | ".join(f"{o['text']}: {o['count']}" for o in item["options"])
        else:
            counts = " | ".join(f"{k}: {v}" for k, v in (item.get("option_counts") or {}).items())
        rows.append(
            [
                _text_cell(item.get("key")),
                _cell(item.get("version")),
                _cell(_iso(item.get("introduced_at"))),
                _yes_no(item.get("current", True)),
                _yes_no(item.get("retired", False)),
                _cell(item.get("type")),
                _text_cell(item.get("stem")),
                _cell(item.get("n")),
                _cell(item.get("facility")),
                _cell(item.get("discrimination_pb")),
                _cell(item.get("discrimination_ul")),
                _text_cell(counts),
                "; ".join(item.get("flags") or []),
            ]
        )
    return rows
