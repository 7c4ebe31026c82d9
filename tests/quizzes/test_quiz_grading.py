"""Unit and property tests of the quiz scoring rules (lms.quizzes.grading) and of the
learner-facing question view (lms.quizzes.draw.public_question)."""

from __future__ import annotations

import hashlib
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.quizzes.draw import option_orders, public_question
from lms.quizzes.grading import (
    AttemptResult,
    final_score,
    grade_attempt,
    is_answered,
    parse_number,
    passed,
    score_response,
)
from lms.quizzes.review import review_payload
from tests.builders import correct_response

# --------------------------------------------------------------------------- builders


def hid(key: str, kind: str, text: str) -> str:
    """The contract's id: first 10 hex chars of sha1("<key>|<kind>|<text>")."""
    return hashlib.sha1(f"{key}|{kind}|{text}".encode()).hexdigest()[:10]  # noqa: S324


def choice_q(key: str, qtype: str, opts: list[tuple[str, bool, str | None]], points=1.0, **kw):
    return {
        "key": key,
        "type": qtype,
        "stem": f"Stem of {key}",
        "points": points,
        "tags": kw.get("tags", []),
        "line": 1,
        "options": [
            {"id": hid(key, "opt", t), "text": t, "correct": c, "feedback": f} for t, c, f in opts
        ],
        "explanation": kw.get("explanation"),
    }


def numeric_q(key: str, entries: list[tuple[float, float]], points=1.0, **kw):
    return {
        "key": key,
        "type": "numeric",
        "stem": f"Stem of {key}",
        "points": points,
        "tags": kw.get("tags", []),
        "line": 1,
        "numeric": [{"value": v, "tolerance": t} for v, t in entries],
        "explanation": kw.get("explanation"),
    }


def text_q(key: str, accepted: list[dict], points=1.0, **kw):
    return {
        "key": key,
        "type": "text",
        "stem": f"Stem of {key}",
        "points": points,
        "tags": kw.get("tags", []),
        "line": 1,
        "accepted": accepted,
        "explanation": kw.get("explanation"),
    }


def matching_q(key: str, pairs: list[tuple[str, str]], points=1.0, **kw):
    return {
        "key": key,
        "type": "matching",
        "stem": f"Stem of {key}",
        "points": points,
        "tags": kw.get("tags", []),
        "line": 1,
        "pairs": [
            {"id": hid(key, "left", lt), "left": lt, "right": rt, "right_id": hid(key, "right", rt)}
            for lt, rt in pairs
        ],
        "explanation": kw.get("explanation"),
    }


def ordering_q(key: str, items: list[str], points=1.0, **kw):
    return {
        "key": key,
        "type": "ordering",
        "stem": f"Stem of {key}",
        "points": points,
        "tags": kw.get("tags", []),
        "line": 1,
        "items": [{"id": hid(key, "item", t), "text": t} for t in items],
        "explanation": kw.get("explanation"),
    }


def opt_id(q: dict, text: str) -> str:
    return next(o["id"] for o in q["options"] if o["text"] == text)


PILLARS = choice_q(
    "pillars",
    "multiple",
    [
        ("Racial Equity", True, None),
        ("Climate Resilience", True, None),
        ("Land value growth", False, "Not a goal of the framework."),
    ],
    points=2,
    tags=["pillars"],
    explanation="Two pillars.",
)
PROTOCOL = choice_q(
    "protocol", "truefalse", [("True", False, None), ("False", True, "Right: all projects.")]
)
SINGLE = choice_q(
    "colour", "single", [("Red", False, "No."), ("Green", True, "Yes!"), ("Blue", False, None)]
)
CE = numeric_q("ce", [(30.0, 0.0)])
MARGIN = numeric_q("margin", [(2.5, 0.1)], tags=["numeric"])
CLT = text_q(
    "clt",
    [
        {"text": "land"},
        {"text": "the land"},
        {"regex": r"^(the )?land( beneath the homes)?$", "flags": "i"},
    ],
)
MATCH = matching_q(
    "commitments",
    [
        ("Mobility", "Getting around"),
        ("Wellbeing", "Health and safety"),
        ("Belonging", "Culture and voice"),
    ],
    points=3,
)
ORDER = ordering_q("phases", ["Formation", "Roadmap", "Performance", "Renewal"], points=2)

MALFORMED = [1, 1.5, True, False, b"bytes", object(), [], {}, set(), (), ["x"], {"x": "y"}, "nope"]

ALL_QUESTIONS = [PILLARS, PROTOCOL, SINGLE, CE, MARGIN, CLT, MATCH, ORDER]


# --------------------------------------------------------------------------- single / truefalse


def test_single_correct_wrong_and_unanswered():
    assert score_response(SINGLE, opt_id(SINGLE, "Green")) == 1.0
    assert score_response(SINGLE, opt_id(SINGLE, "Red")) == 0.0
    assert score_response(SINGLE, None) == 0.0
    assert score_response(SINGLE, "") == 0.0


def test_truefalse():
    assert score_response(PROTOCOL, opt_id(PROTOCOL, "False")) == 1.0
    assert score_response(PROTOCOL, opt_id(PROTOCOL, "True")) == 0.0


def test_single_list_response_is_malformed():
    assert score_response(SINGLE, [opt_id(SINGLE, "Green")]) == 0.0


# --------------------------------------------------------------------------- multiple


def test_multiple_partial_credit():
    eq, cr, lv = (
        opt_id(PILLARS, t) for t in ("Racial Equity", "Climate Resilience", "Land value growth")
    )
    assert score_response(PILLARS, [eq, cr]) == 2.0
    assert score_response(PILLARS, [eq]) == 1.0  # 2 * (1 - 0) / 2
    assert score_response(PILLARS, [eq, lv]) == 0.0  # 1 right - 1 wrong
    assert score_response(PILLARS, [eq, cr, lv]) == 1.0  # 2 - 1 = 1 of 2
    assert score_response(PILLARS, [lv]) == 0.0  # floored at zero, not negative
    assert score_response(PILLARS, []) == 0.0
    assert score_response(PILLARS, [eq, eq]) == 1.0  # a repeated id counts once


def test_multiple_unknown_id_or_wrong_element_type_scores_zero():
    eq = opt_id(PILLARS, "Racial Equity")
    cr = opt_id(PILLARS, "Climate Resilience")
    assert score_response(PILLARS, [eq, cr, "deadbeef00"]) == 0.0
    assert score_response(PILLARS, [eq, 3]) == 0.0
    assert score_response(PILLARS, eq) == 0.0  # a bare string is not a list


def test_multiple_rounding_thirds():
    q = choice_q("thirds", "multiple", [("a", True, None), ("b", True, None), ("c", True, None)])
    assert score_response(q, [opt_id(q, "a")]) == 0.3333


# --------------------------------------------------------------------------- numeric


@pytest.mark.parametrize(
    ("answer", "points"),
    [
        ("30", 1.0),
        (" 30 ", 1.0),
        ("30.0", 1.0),
        ("30,0", 1.0),
        ("+30", 1.0),
        ("3e1", 1.0),
        ("30.000000001", 0.0),
        ("29", 0.0),
        ("thirty", 0.0),
        ("", 0.0),
        ("30 hours", 0.0),
        ("1,000", 0.0),  # a decimal comma: 1.000, not thirty
        ("3,0,0", 0.0),
        ("30.0,0", 0.0),
        ("nan", 0.0),
        ("inf", 0.0),
    ],
)
def test_numeric_exact(answer, points):
    assert score_response(CE, answer) == points


@pytest.mark.parametrize(
    ("answer", "points"),
    [
        ("2.5", 1.0),
        ("2.6", 1.0),  # 2.6 - 2.5 is 0.10000000000000009 in floating point: epsilon saves it
        ("2.4", 1.0),
        ("2,45", 1.0),
        ("2.61", 0.0),
        ("2.39", 0.0),
        ("-2.5", 0.0),
    ],
)
def test_numeric_tolerance(answer, points):
    assert score_response(MARGIN, answer) == points


def test_numeric_any_of_several_entries_and_numbers_are_not_strings():
    q = numeric_q("two", [(1.0, 0.0), (100.0, 5.0)])
    assert score_response(q, "1") == 1.0
    assert score_response(q, "104,9") == 1.0
    assert score_response(q, "50") == 0.0
    assert score_response(q, 1) == 0.0  # the contract: numeric responses are strings
    assert score_response(q, "1" * 1000) == 0.0


def test_parse_number():
    assert parse_number("2,5") == 2.5
    assert parse_number(" -0.5 ") == -0.5
    assert parse_number(".5") == 0.5
    assert parse_number("1e400") is None
    assert parse_number("1_000") is None
    assert parse_number(None) is None


# --------------------------------------------------------------------------- text


@pytest.mark.parametrize(
    ("answer", "points"),
    [
        ("land", 1.0),
        ("  LAND  ", 1.0),
        ("The   Land", 1.0),
        ("the\tland", 1.0),
        ("The land beneath the homes", 1.0),  # only the regex accepts this (flag i)
        ("land beneath the homes", 1.0),
        ("the land beneath", 0.0),
        ("buildings", 0.0),
        ("", 0.0),
        ("   ", 0.0),
    ],
)
def test_text_answers(answer, points):
    assert score_response(CLT, answer) == points


def test_regex_without_i_flag_is_case_sensitive_and_fullmatch():
    q = text_q("re", [{"regex": r"ab+c", "flags": ""}])
    assert score_response(q, "abbbc") == 1.0
    assert score_response(q, " abc ") == 1.0  # trimmed before matching
    assert score_response(q, "ABC") == 0.0
    assert score_response(q, "xabc") == 0.0  # whole answer only
    q_i = text_q("re2", [{"regex": r"ab+c", "flags": "i"}])
    assert score_response(q_i, "ABBC") == 1.0


def test_regex_answer_length_capped_and_bad_regex_ignored():
    q = text_q("cap", [{"regex": r"a+", "flags": ""}])
    assert score_response(q, "a" * 500) == 1.0
    assert score_response(q, "a" * 501) == 0.0
    bad = text_q("bad", [{"regex": r"(unclosed", "flags": "i"}, {"text": "ok"}])
    assert score_response(bad, "(unclosed") == 0.0
    assert score_response(bad, "OK") == 1.0


def test_text_case_folding_is_unicode_aware():
    q = text_q("strasse", [{"text": "Straße"}])
    assert score_response(q, "STRASSE") == 1.0


# --------------------------------------------------------------------------- matching


def pair_ids(q: dict) -> list[tuple[str, str]]:
    return [(p["id"], p["right_id"]) for p in q["pairs"]]


def test_matching_full_partial_and_blank():
    (l1, r1), (l2, r2), (l3, r3) = pair_ids(MATCH)
    assert score_response(MATCH, {l1: r1, l2: r2, l3: r3}) == 3.0
    assert score_response(MATCH, {l1: r1, l2: r3, l3: r2}) == 1.0
    assert score_response(MATCH, {l1: r1}) == 1.0
    assert score_response(MATCH, {l1: r1, l2: "", l3: None}) == 1.0  # blanks = unanswered
    assert score_response(MATCH, {l1: r2, l2: r3, l3: r1}) == 0.0
    assert score_response(MATCH, {}) == 0.0


def test_matching_malformed():
    (l1, r1), (l2, r2), _ = pair_ids(MATCH)
    assert score_response(MATCH, {l1: r1, l2: "deadbeef00"}) == 0.0  # unknown right id
    assert score_response(MATCH, {l1: r1, "deadbeef00": r2}) == 0.0  # unknown left id
    assert score_response(MATCH, {l1: r1, l2: 7}) == 0.0
    assert score_response(MATCH, [(l1, r1)]) == 0.0


def test_matching_with_shared_right_text():
    q = matching_q("shared", [("a", "vowel"), ("e", "vowel"), ("b", "consonant")])
    (la, rv), (le, _), (lb, rc) = pair_ids(q)
    assert score_response(q, {la: rv, le: rv, lb: rc}) == 1.0


# --------------------------------------------------------------------------- ordering


def item_ids(q: dict) -> list[str]:
    return [i["id"] for i in q["items"]]


def test_ordering_full_and_partial():
    a, b, c, d = item_ids(ORDER)
    assert score_response(ORDER, [a, b, c, d]) == 2.0
    assert score_response(ORDER, [a, b, d, c]) == 1.0  # 2 of 4 in place
    assert score_response(ORDER, [b, a, d, c]) == 0.0
    assert score_response(ORDER, [d, a, b, c]) == 0.0  # a rotation has nothing in place
    assert score_response(ORDER, [a, b]) == 1.0  # incomplete list: 2 of 4


def test_ordering_malformed():
    a, b, c, d = item_ids(ORDER)
    assert score_response(ORDER, [a, a, a, a]) == 0.0  # repeated ids
    assert score_response(ORDER, [a, b, c, d, "deadbeef00"]) == 0.0
    assert score_response(ORDER, {0: a}) == 0.0
    assert score_response(ORDER, "".join([a, b, c, d])) == 0.0


# --------------------------------------------------------------------------- malformed, all types


@pytest.mark.parametrize("question", ALL_QUESTIONS, ids=lambda q: q["type"] + ":" + q["key"])
@pytest.mark.parametrize("response", MALFORMED,  # ids stable across xdist workers
                         ids=lambda r: "object()" if type(r) is object else repr(r))
def test_malformed_responses_score_zero(question, response):
    assert score_response(question, response) == 0.0


def test_malformed_question_never_raises():
    assert score_response({"type": "unknown", "points": 1}, "x") == 0.0
    assert score_response({"type": "single", "points": "two"}, "x") == 0.0
    assert score_response({"type": "single"}, "x") == 0.0
    assert score_response({"type": "multiple", "options": None}, ["x"]) == 0.0
    assert score_response({"type": "numeric", "numeric": [{"value": "x"}]}, "1") == 0.0
    assert score_response({"type": "text", "accepted": ["land"]}, "land") == 0.0
    assert score_response({"type": "matching", "pairs": []}, {}) == 0.0
    assert score_response({"type": "ordering", "items": []}, []) == 0.0


# --------------------------------------------------------------------------- is_answered


def test_is_answered():
    assert is_answered(SINGLE, opt_id(SINGLE, "Red"))
    assert not is_answered(SINGLE, None)
    assert not is_answered(SINGLE, 3)
    assert is_answered(PILLARS, [opt_id(PILLARS, "Land value growth")])
    assert not is_answered(PILLARS, [])
    assert is_answered(CE, "abc")
    assert not is_answered(CE, "   ")
    assert not is_answered(CLT, None)
    l1, r1 = pair_ids(MATCH)[0]
    assert is_answered(MATCH, {l1: r1})
    assert not is_answered(MATCH, {l1: ""})
    assert is_answered(ORDER, item_ids(ORDER))
    assert not is_answered(ORDER, [])


# --------------------------------------------------------------------------- attempts


def test_grade_attempt_totals_tags_and_missing_answers():
    questions = [PILLARS, MARGIN, CE, SINGLE]
    responses = {
        "pillars": [opt_id(PILLARS, "Racial Equity")],  # 1 of 2
        "margin": "2,5",  # 1 of 1
        # "ce" missing: unanswered
        "colour": opt_id(SINGLE, "Red"),  # 0 of 1
    }
    result = grade_attempt(questions, responses)
    assert isinstance(result, AttemptResult)
    assert result.earned == 2.0
    assert result.possible == 5.0
    assert result.percent == 40.0
    by_key = {r.key: r for r in result.per_question}
    assert [r.key for r in result.per_question] == ["pillars", "margin", "ce", "colour"]
    assert by_key["pillars"].earned == 1.0 and not by_key["pillars"].correct
    assert by_key["margin"].correct and by_key["margin"].answered
    assert not by_key["ce"].answered and by_key["ce"].earned == 0.0
    assert by_key["colour"].answered and not by_key["colour"].correct
    assert result.per_tag == {
        "numeric": {"earned": 1.0, "possible": 1.0, "percent": 100.0},
        "pillars": {"earned": 1.0, "possible": 2.0, "percent": 50.0},
    }
    assert json.loads(json.dumps(result.to_dict()))["percent"] == 40.0


def test_grade_attempt_percent_rounding_and_empty():
    q = [numeric_q(f"n{i}", [(1.0, 0.0)]) for i in range(3)]
    assert grade_attempt(q, {"n0": "1"}).percent == 33.33
    empty = grade_attempt([], {})
    assert (empty.earned, empty.possible, empty.percent) == (0.0, 0.0, 0.0)
    assert grade_attempt(q, "not a dict").earned == 0.0  # type: ignore[arg-type]


def test_passed_and_final_score():
    assert passed(70.0, 70)
    assert not passed(69.99, 70)
    assert not passed(None, 70)
    assert final_score([50.0, 80.0, 60.0], "highest") == 80.0
    assert final_score([50.0, 80.0, 60.0], "last") == 60.0
    assert final_score([], "highest") is None
    with pytest.raises(ValueError):
        final_score([1.0], "average")


# --------------------------------------------------------------------------- review


ANSWER_KEYS = {
    "correct",
    "options",
    "chosen_feedback",
    "accepted",
    "correct_pairs",
    "correct_order",
    "explanation",
}


@pytest.mark.parametrize("question", ALL_QUESTIONS, ids=lambda q: q["key"])
def test_review_without_answers_has_no_answer_keys(question):
    payload = review_payload(question, None, show_answers=False)
    assert not ANSWER_KEYS & payload.keys()
    assert {"key", "type", "stem", "points", "earned"} <= payload.keys()
    dump = json.dumps(payload)
    assert "feedback" not in dump and "Two pillars" not in dump


def test_review_choice_question():
    lv = opt_id(PILLARS, "Land value growth")
    eq = opt_id(PILLARS, "Racial Equity")
    hidden = review_payload(PILLARS, [eq, lv], show_answers=False)
    assert hidden["earned"] == 0.0
    assert [c["text"] for c in hidden["chosen"]] == ["Racial Equity", "Land value growth"]
    assert "Not a goal" not in json.dumps(hidden)

    shown = review_payload(PILLARS, [eq, lv], show_answers=True)
    assert [(o["text"], o["correct"], o["chosen"]) for o in shown["options"]] == [
        ("Racial Equity", True, True),
        ("Climate Resilience", True, False),
        ("Land value growth", False, True),
    ]
    assert shown["chosen_feedback"] == [
        {"id": lv, "text": "Land value growth", "feedback": "Not a goal of the framework."}
    ]
    assert shown["explanation"] == "Two pillars."
    assert shown["correct"] is False


def test_review_numeric_and_text_accepted_display():
    shown = review_payload(MARGIN, "2,55", show_answers=True)
    assert shown["accepted"] == ["2.5 ± 0.1"]
    assert shown["answer_text"] == "2,55" and shown["earned"] == 1.0
    assert review_payload(CE, "31", show_answers=True)["accepted"] == ["30"]
    clt = review_payload(CLT, "  soil ", show_answers=True)
    assert clt["accepted"] == ["land", "the land"]  # patterns are not shown to learners
    assert clt["answer_text"] == "soil"
    assert review_payload(CLT, None, show_answers=False)["answer_text"] is None


def test_review_matching_and_ordering():
    (l1, r1), (l2, r2), (l3, r3) = pair_ids(MATCH)
    hidden = review_payload(MATCH, {l1: r1, l2: r3}, show_answers=False)
    assert [(m["left"], m["right"]) for m in hidden["matches"]] == [
        ("Mobility", "Getting around"),
        ("Wellbeing", "Culture and voice"),
        ("Belonging", None),
    ]
    shown = review_payload(MATCH, {l1: r1, l2: r3}, show_answers=True)
    assert [(p["left"], p["right"], p["yours_correct"]) for p in shown["correct_pairs"]] == [
        ("Mobility", "Getting around", True),
        ("Wellbeing", "Health and safety", False),
        ("Belonging", "Culture and voice", False),
    ]

    a, b, c, d = item_ids(ORDER)
    hidden = review_payload(ORDER, [b, a, c, d], show_answers=False)
    assert [i["text"] for i in hidden["order"]] == [
        "Roadmap",
        "Formation",
        "Performance",
        "Renewal",
    ]
    shown = review_payload(ORDER, [b, a, c, d], show_answers=True)
    assert [(i["text"], i["yours_correct"]) for i in shown["correct_order"]] == [
        ("Formation", False),
        ("Roadmap", False),
        ("Performance", True),
        ("Renewal", True),
    ]
    assert shown["earned"] == 1.0


def test_review_drops_unknown_ids():
    hidden = review_payload(SINGLE, "deadbeef00", show_answers=False)
    assert hidden["chosen"] == []


# --------------------------------------------------------------------------- property tests

# Texts a learner may see: lowercase letters from a restricted alphabet (cannot spell the
# word "correct" or any marker below). Hidden texts carry upper-case markers instead.
visible_text = st.text(alphabet="abdfghijklmnpqsuvwyz ", min_size=1, max_size=12).map(
    lambda s: "v" + s.strip()
)
points_st = st.sampled_from([0.5, 1.0, 2.0, 3.0, 10.0])


def _unique_texts(min_size: int, max_size: int):
    return st.lists(visible_text, min_size=min_size, max_size=max_size, unique=True)


@st.composite
def choice_questions(draw, qtype: str):
    key = "q" + draw(st.text(alphabet="abcdefgh", min_size=1, max_size=6))
    if qtype == "truefalse":
        truth = draw(st.booleans())
        opts = [("True", truth), ("False", not truth)]
    else:
        texts = draw(_unique_texts(2, 6))
        flags = draw(st.lists(st.booleans(), min_size=len(texts), max_size=len(texts)))
        if qtype == "single":
            right = draw(st.integers(0, len(texts) - 1))
            flags = [i == right for i in range(len(texts))]
        elif not any(flags):
            flags[0] = True
        opts = list(zip(texts, flags, strict=True))
    q = choice_q(
        key,
        qtype,
        [(t, c, f"FEEDBACKMARK{i}") for i, (t, c) in enumerate(opts)],
        points=draw(points_st),
        explanation="EXPLANATIONMARK",
    )
    return q


@st.composite
def numeric_questions(draw):
    entries = draw(
        st.lists(
            st.tuples(
                st.integers(100_000, 999_999).map(lambda n: n / 7 + 1000.0001),
                st.sampled_from([0.0, 0.01, 2.5]),
            ),
            min_size=1,
            max_size=3,
        )
    )
    return numeric_q("num", entries, points=draw(points_st), explanation="EXPLANATIONMARK")


@st.composite
def text_questions(draw):
    n = draw(st.integers(1, 3))
    accepted = [{"text": f"ACCEPTEDMARK{i}"} for i in range(n)]
    if draw(st.booleans()):
        accepted.append({"regex": "REGEXMARK[0-9]+", "flags": draw(st.sampled_from(["", "i"]))})
    return text_q("txt", accepted, points=draw(points_st), explanation="EXPLANATIONMARK")


@st.composite
def matching_questions(draw):
    lefts = draw(_unique_texts(2, 6))
    rights = draw(
        st.lists(visible_text, min_size=len(lefts), max_size=len(lefts))
    )  # rights may repeat
    return matching_q(
        "match",
        list(zip(lefts, rights, strict=True)),
        points=draw(points_st),
        explanation="EXPLANATIONMARK",
    )


@st.composite
def ordering_questions(draw):
    items = draw(_unique_texts(2, 7))
    return ordering_q("order", items, points=draw(points_st), explanation="EXPLANATIONMARK")


any_question = st.one_of(
    choice_questions("single"),
    choice_questions("multiple"),
    choice_questions("truefalse"),
    numeric_questions(),
    text_questions(),
    matching_questions(),
    ordering_questions(),
)

json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)


@st.composite
def question_and_response(draw):
    """A question and a response mixing its real ids with junk of any type."""
    q = draw(any_question)
    ids: list[str] = []
    for o in q.get("options", []):
        ids.append(o["id"])
    for p in q.get("pairs", []):
        ids += [p["id"], p["right_id"]]
    for i in q.get("items", []):
        ids.append(i["id"])
    id_st = st.sampled_from(ids) if ids else st.text(max_size=5)
    response = draw(
        st.one_of(
            json_like,
            id_st,
            st.lists(id_st, max_size=8),
            st.dictionaries(id_st, id_st | st.none() | st.just(""), max_size=8),
            st.text(alphabet="0123456789,.-+eE ", max_size=12),
        )
    )
    return q, response


def perfect_response(q: dict):
    """A full-marks response, numbers and text written loosely (decimal comma, case, spaces)."""
    t = q["type"]
    if t == "numeric":
        return repr(q["numeric"][0]["value"]).replace(".", ",")
    if t == "text":
        return "  " + q["accepted"][0]["text"].lower() + " "
    return correct_response(q)


@given(question_and_response())
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_property_score_within_bounds(pair):
    q, response = pair
    score = score_response(q, response)
    assert 0.0 <= score <= q["points"]
    assert score == round(score, 4)
    review = review_payload(q, response, show_answers=True)
    assert review["earned"] == score
    json.dumps(review)


@given(any_question)
@settings(max_examples=300)
def test_property_perfect_response_scores_full_points(q):
    response = perfect_response(q)
    assert score_response(q, response) == q["points"]
    result = grade_attempt([q], {q["key"]: response})
    assert result.percent == 100.0 and result.per_question[0].correct


LEAK_MARKERS = ("FEEDBACKMARK", "EXPLANATIONMARK", "ACCEPTEDMARK", "REGEXMARK")
PUBLIC_KEYS = {"key", "type", "stem", "points", "options", "lefts", "rights", "items", "id", "text"}


def _all_keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _all_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _all_keys(v)}
    return set()


@given(any_question, st.integers(0, 2**32), st.booleans())
@settings(max_examples=300)
def test_property_public_question_never_leaks(q, seed, shuffle):
    order = option_orders([q], shuffle, random.Random(seed))[q["key"]]
    public = public_question(q, order)
    dump = json.dumps(public)
    for marker in LEAK_MARKERS:
        assert marker not in dump
    assert "correct" not in dump.lower()
    assert "feedback" not in dump and "explanation" not in dump and "accepted" not in dump
    assert _all_keys(public) <= PUBLIC_KEYS
    for entry in q.get("numeric", []):
        assert repr(entry["value"]) not in dump
    if q["type"] == "matching":
        # lefts and rights carry unrelated ids; nothing links a left to its right
        assert all(set(x) == {"id", "text"} for x in public["lefts"] + public["rights"])
        assert {r["id"] for r in public["rights"]} == {p["right_id"] for p in q["pairs"]}
    if q["type"] == "ordering":
        shown = [i["id"] for i in public["items"]]
        assert sorted(shown) == sorted(item_ids(q))
    if q["type"] in ("single", "multiple", "truefalse"):
        assert [o["id"] for o in public["options"]] == order


@given(any_question)
@settings(max_examples=200)
def test_property_review_hides_answers_when_not_allowed(q):
    payload = review_payload(q, perfect_response(q), show_answers=False)
    assert not ANSWER_KEYS & payload.keys()
    dump = json.dumps(payload)
    for marker in ("FEEDBACKMARK", "EXPLANATIONMARK", "REGEXMARK"):
        assert marker not in dump
