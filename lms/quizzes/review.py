"""What a learner (or an instructor) sees when reviewing a graded question: the response
rendered, and, when answers are shown, the correct answers and feedback.

Pure Python (no database, no Flask); scoring itself is :mod:`lms.quizzes.grading`.
"""
from __future__ import annotations

from typing import Any

from lms.quizzes.grading import (
    _items,
    _number,
    _options,
    _pairs,
    _valid_choice,
    _valid_matching,
    _valid_order,
    is_answered,
    question_points,
    score_fraction,
    score_response,
)
from lms.quizzes.questions import CHOICE_TYPES, Question


def format_number(value: float) -> str:
    """Format a number for display without a trailing ``.0`` (30, 2.5, 0.001)."""
    return format(float(value), ".15g")


def display_accepted(question: Question) -> list[str]:
    """The accepted answers of a numeric or text question, in display form.

    Regular-expression answers are left out: a pattern such as ``/^(the )?land$/i`` means
    little to a learner; the plain-text answers beside it show what was expected.
    """
    shown: list[str] = []
    if question.get("type") == "numeric":
        for entry in question.get("numeric") or []:
            if not isinstance(entry, dict) or _number(entry.get("value")) is None:
                continue
            text = format_number(entry["value"])
            tolerance = _number(entry.get("tolerance", 0)) or 0.0
            if tolerance:
                text += f" ± {format_number(abs(tolerance))}"
            shown.append(text)
    elif question.get("type") == "text":
        for answer in question.get("accepted") or []:
            if not isinstance(answer, dict):
                continue
            if isinstance(answer.get("text"), str):
                shown.append(answer["text"])
    return shown


def _chosen_ids(question: Question, response: Any) -> set[str]:
    return _valid_choice(question, response) or set()


def _render_response(question: Question, response: Any) -> dict[str, Any]:
    """The learner's own response as texts (unknown ids are dropped)."""
    qtype = question.get("type")
    if qtype in CHOICE_TYPES:
        chosen = _chosen_ids(question, response)
        return {
            "chosen": [
                {"id": o["id"], "text": str(o.get("text", ""))}
                for o in _options(question)
                if o["id"] in chosen
            ]
        }
    if qtype in ("numeric", "text"):
        text = response.strip()[:1000] if isinstance(response, str) else None
        return {"answer_text": text or None}
    if qtype == "matching":
        answer = _valid_matching(question, response) or {}
        rights = {p["right_id"]: str(p.get("right", "")) for p in _pairs(question)}
        matches = []
        for pair in _pairs(question):
            right_id = answer.get(pair["id"])
            matches.append(
                {
                    "left_id": pair["id"],
                    "left": str(pair.get("left", "")),
                    "right_id": right_id,
                    "right": rights[right_id] if right_id else None,
                }
            )
        return {"matches": matches}
    if qtype == "ordering":
        texts = {i["id"]: str(i.get("text", "")) for i in _items(question)}
        order = _valid_order(question, response) or []
        return {"order": [{"id": i, "text": texts[i]} for i in order]}
    return {}


def _answers_block(question: Question, response: Any) -> dict[str, Any]:
    """The keys only shown when the review policy allows correct answers."""
    qtype = question.get("type")
    block: dict[str, Any] = {"correct": score_fraction(question, response) >= 1.0}
    if qtype in CHOICE_TYPES:
        chosen = _chosen_ids(question, response)
        block["options"] = [
            {
                "id": o["id"],
                "text": str(o.get("text", "")),
                "correct": o.get("correct") is True,
                "chosen": o["id"] in chosen,
                "feedback": o.get("feedback") or None,
            }
            for o in _options(question)
        ]
        block["chosen_feedback"] = [
            {"id": o["id"], "text": str(o.get("text", "")), "feedback": o["feedback"]}
            for o in _options(question)
            if o["id"] in chosen and o.get("feedback")
        ]
    elif qtype in ("numeric", "text"):
        block["accepted"] = display_accepted(question)
    elif qtype == "matching":
        answer = _valid_matching(question, response) or {}
        block["correct_pairs"] = [
            {
                "left_id": p["id"],
                "left": str(p.get("left", "")),
                "right_id": p["right_id"],
                "right": str(p.get("right", "")),
                "yours_correct": answer.get(p["id"]) == p["right_id"],
            }
            for p in _pairs(question)
        ]
    elif qtype == "ordering":
        order = _valid_order(question, response) or []
        block["correct_order"] = [
            {
                "id": item["id"],
                "text": str(item.get("text", "")),
                "yours_correct": pos < len(order) and order[pos] == item["id"],
            }
            for pos, item in enumerate(_items(question))
        ]
    block["explanation"] = question.get("explanation") or None
    return block


def review_payload(question: Question, response: Any, *, show_answers: bool) -> dict[str, Any]:
    """What a learner may see about one question after submitting.

    Always: key, type, stem, points, earned, answered and the learner's own response
    rendered as texts (``chosen`` / ``answer_text`` / ``matches`` / ``order``).
    Only with ``show_answers``: ``correct``, ``options`` (with correct flags and
    feedback), ``chosen_feedback``, ``accepted``, ``correct_pairs``, ``correct_order``
    and ``explanation``; without it those keys are absent.
    """
    payload: dict[str, Any] = {
        "key": question.get("key", ""),
        "type": question.get("type"),
        "stem": question.get("stem", ""),
        "points": question_points(question),
        "earned": score_response(question, response),
        "answered": is_answered(question, response),
    }
    payload.update(_render_response(question, response))
    if show_answers:
        payload.update(_answers_block(question, response))
    return payload
