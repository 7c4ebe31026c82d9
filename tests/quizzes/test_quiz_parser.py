"""Quiz parsing: every question type, attributes, ids, settings and every quiz lint problem."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.quizzes.parser import (
    DEFAULT_SETTINGS,
    estimate_minutes,
    make_id,
    parse_question,
    parse_questions,
    parse_quiz,
    slugify_key,
)


def sha(key: str, kind: str, text: str) -> str:
    return hashlib.sha1(f"{key}|{kind}|{text}".encode(), usedforsecurity=False).hexdigest()[:10]


def one(text: str) -> tuple[dict, list[tuple[int, str]]]:
    """Parse a body holding one question; return it and the issues."""
    _, questions, issues = parse_questions(text)
    assert len(questions) == 1
    return questions[0], issues


def messages(issues: list[tuple[int, str]]) -> str:
    return " | ".join(f"{line}: {msg}" for line, msg in issues)


# --------------------------------------------------------------------------- question types


def test_single_choice_with_feedback_and_explanation():
    q, issues = one(
        "## Which Pillar asks who benefits?\n"
        "- (x) Racial Equity\n"
        "  > Right: it asks who shapes decisions and who benefits.\n"
        "- ( ) Climate Resilience\n"
        "  > It asks whether a place can withstand climate impacts.\n"
        "\n"
        "> Explanation: Racial Equity is about who benefits.\n"
    )
    assert issues == []
    assert q["type"] == "single"
    assert q["key"] == "which-pillar-asks-who-benefits"
    assert q["stem"] == "Which Pillar asks who benefits?"
    assert q["line"] == 1
    assert q["points"] == 1.0 and q["tags"] == []
    assert [o["text"] for o in q["options"]] == ["Racial Equity", "Climate Resilience"]
    assert [o["correct"] for o in q["options"]] == [True, False]
    assert q["options"][0]["feedback"] == "Right: it asks who shapes decisions and who benefits."
    assert q["options"][1]["feedback"] == "It asks whether a place can withstand climate impacts."
    assert q["options"][0]["id"] == sha(q["key"], "opt", "Racial Equity")
    assert q["explanation"] == "Racial Equity is about who benefits."


def test_true_false_question():
    q, issues = one("## The Protocol applies only to new construction.\n- ( ) True\n- (x) False\n")
    assert issues == []
    assert q["type"] == "truefalse"
    assert [(o["text"], o["correct"]) for o in q["options"]] == [("True", False), ("False", True)]
    assert all(o["feedback"] is None for o in q["options"])
    assert q["explanation"] is None


def test_true_false_is_case_insensitive_and_needs_exactly_those_two():
    q, _ = one("## Statement?\n- (x) true\n- ( ) FALSE\n")
    assert q["type"] == "truefalse"
    q, _ = one("## Statement?\n- (x) True\n- ( ) False\n- ( ) Maybe\n")
    assert q["type"] == "single"


def test_multiple_choice_with_points_and_tags():
    q, issues = one(
        "## Which are the two Pillars of the framework? {points=2 tags=pillars,Equity}\n"
        "- [x] Racial Equity\n"
        "- [X] Climate Resilience\n"
        "- [ ] Land value growth\n"
        "  > Not a goal of the framework: outcomes for residents are.\n"
    )
    assert issues == []
    assert q["type"] == "multiple"
    assert q["stem"] == "Which are the two Pillars of the framework?"
    assert q["points"] == 2.0
    assert q["tags"] == ["pillars", "equity"]
    assert [o["correct"] for o in q["options"]] == [True, True, False]
    assert q["options"][2]["feedback"] == "Not a goal of the framework: outcomes for residents are."


def test_numeric_exact_and_tolerance():
    q, issues = one("## How many CE hours does one renewal cycle require?\n= 30\n")
    assert issues == []
    assert q["type"] == "numeric"
    assert q["numeric"] == [{"value": 30.0, "tolerance": 0.0}]
    q, issues = one("## Estimate 2.5 {tags=numeric}\n= 2.5 ± 0.1\n= -1e1 +- 0.5\n")
    assert issues == []
    assert q["numeric"] == [{"value": 2.5, "tolerance": 0.1}, {"value": -10.0, "tolerance": 0.5}]


def test_text_answers_and_regex():
    q, issues = one(
        "## What does a community land trust hold in trust?\n"
        "= land\n"
        "= the land\n"
        "= /^(the )?land( beneath the homes)?$/i\n"
    )
    assert issues == []
    assert q["type"] == "text"
    assert q["accepted"] == [
        {"text": "land"},
        {"text": "the land"},
        {"regex": "^(the )?land( beneath the homes)?$", "flags": "i"},
    ]


def test_numbers_mixed_with_words_are_text_answers():
    q, issues = one("## How many Pillars?\n= 2\n= two\n")
    assert issues == []
    assert q["type"] == "text"
    assert q["accepted"] == [{"text": "2"}, {"text": "two"}]


def test_matching_question():
    q, issues = one(
        "## Match each Commitment to its focus.\n"
        "- Mobility => Getting around safely and affordably\n"
        "- Wellbeing => Health and safety\n"
        "- Belonging => Culture, voice and civic life\n"
    )
    assert issues == []
    assert q["type"] == "matching"
    key = q["key"]
    assert q["pairs"][0] == {
        "id": sha(key, "left", "Mobility"),
        "left": "Mobility",
        "right": "Getting around safely and affordably",
        "right_id": sha(key, "right", "Getting around safely and affordably"),
    }
    assert [p["left"] for p in q["pairs"]] == ["Mobility", "Wellbeing", "Belonging"]


def test_ordering_question_with_explanation():
    q, issues = one(
        "## Put the phases in order.\n"
        "1. Formation\n"
        "2. Roadmap\n"
        "3. Performance\n"
        "\n"
        "> Explanation: shown with the results, when the review policy allows.\n"
    )
    assert issues == []
    assert q["type"] == "ordering"
    assert q["items"] == [{"id": sha(q["key"], "item", t), "text": t}
                          for t in ("Formation", "Roadmap", "Performance")]
    assert q["explanation"] == "shown with the results, when the review policy allows."


def test_stem_paragraphs_and_multiline_explanation():
    q, issues = one(
        "## A scenario\n"
        "\n"
        "Residents of a *fictional* neighbourhood meet.\n"
        "What comes next?\n"
        "\n"
        "- (x) Formation\n"
        "- ( ) Performance\n"
        "\n"
        "> **Explanation:** first line\n"
        "> second line\n"
        "lazy continuation\n"
    )
    assert issues == []
    assert q["stem"] == ("A scenario\n\nResidents of a *fictional* neighbourhood meet.\n"
                         "What comes next?")
    assert q["explanation"] == "first line\nsecond line\nlazy continuation"
    assert q["key"] == "a-scenario-residents-of-a-fictional-neighbourhood-meet-what"


def test_explanation_without_prefix_is_kept_whole():
    q, _ = one("## Q?\n- (x) A\n- ( ) B\n\n> Because A.\n")
    assert q["explanation"] == "Because A."


def test_id_attribute_is_the_key_and_seeds_the_ids():
    q, issues = one("## Pick one {id=pick-one-v2 points=1.5}\n- (x) A\n- ( ) B\n")
    assert issues == []
    assert q["key"] == "pick-one-v2"
    assert q["points"] == 1.5
    assert q["options"][0]["id"] == sha("pick-one-v2", "opt", "A") == make_id("pick-one-v2",
                                                                             "opt", "A")


def test_ids_do_not_depend_on_position_or_correctness():
    a, _ = one("## Same?\n- (x) Alpha\n- ( ) Beta\n")
    b, _ = one("## Same?\n- ( ) Beta\n- (x) Alpha\n")
    assert {o["text"]: o["id"] for o in a["options"]} == {o["text"]: o["id"] for o in b["options"]}


def test_key_slug_rules():
    assert slugify_key("What's the **Protocol** (v1.0)?") == "what-s-the-protocol-v1-0"
    assert slugify_key("Équité é") == "equite-e"
    long = slugify_key("word " * 40)
    assert len(long) <= 60 and not long.endswith("-")
    assert slugify_key("???").startswith("q-")


def test_multiline_option_text_and_loose_list():
    q, issues = one("## Q?\n- (x) First line\n  continues here\n\n- ( ) Other\n")
    assert issues == []
    assert [o["text"] for o in q["options"]] == ["First line\ncontinues here", "Other"]


def test_intro_and_code_fences_are_not_questions():
    intro, questions, issues = parse_questions(
        "Answer every question.\n\n## Q1?\n\n```\n## not a heading\n- (x) not an option\n```\n\n"
        "- (x) A\n- ( ) B\n",
        body_line=5,
    )
    assert issues == []
    assert intro == "Answer every question."
    assert len(questions) == 1
    assert questions[0]["line"] == 7
    assert "## not a heading" in questions[0]["stem"]


def test_heading_with_closing_hashes():
    q, _ = one("## Closing hashes ##\n- (x) A\n- ( ) B\n")
    assert q["stem"] == "Closing hashes"


# --------------------------------------------------------------------------- question problems


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        ("## Q?\n- ( ) A\n- ( ) B\n", 1, "exactly one right option"),
        ("## Q?\n- (x) A\n- (x) B\n", 1, "exactly one right option `- (x)`; it has 2"),
        ("## Q?\n- [ ] A\n- [ ] B\n", 1, "no right option"),
        ("## Q?\nJust a paragraph.\n", 1, "no answer block"),
        ("## Q?\n- (x) A\n- [ ] B\n", 3, "mixed answer block"),
        ("## Q?\n= 1\n- [x] B\n", 3, "mixed answer block"),
        ("## Q?\n- (x) A\n- ( ) B\n- ( )  A \n", 4, "duplicate option text 'A'"),
        ("## Q?\n= /(unclosed/\n", 2, "invalid regular expression"),
        ("## Q?\n= /a/q\n", 2, "unsupported regular-expression flag"),
        ("## Q? {points=two}\n- (x) A\n- ( ) B\n", 1, "points must be a number"),
        ("## Q? {points=-1}\n- (x) A\n- ( ) B\n", 1, "points must be a number > 0"),
        ("## Q? {weight=2}\n- (x) A\n- ( ) B\n", 1, "unknown heading attribute 'weight'"),
        ("## Q? {tags=Bad Tag}\n- (x) A\n- ( ) B\n", 1, "heading attribute 'Tag'"),
        ("## Q? {tags=a,b_c!}\n- (x) A\n- ( ) B\n", 1, "invalid tag 'b_c!'"),
        ("## Q? {id=has space}\n- (x) A\n- ( ) B\n", 1, "heading attribute 'space'"),
        ("## Q? {id=!bad}\n- (x) A\n- ( ) B\n", 1, "invalid question id"),
        ("## Q?\n= 2.5 ± x\n", 2, "invalid tolerance"),
        ("## Q?\n= 2.5 ±\n", 2, "invalid number or tolerance"),
        ("## Q?\n= 2.5 ± 0.1\n= two and a half\n", 1, "numeric answers with a tolerance"),
        ("## Q?\n- (x) A\n\nMore text here.\n", 4, "unexpected text after the answer block"),
        ("## Q?\n- (x) A\n- ( ) B\n\n> Why.\n\n- [x] C\n", 7, "a second answer block"),
        ("## Q?\n- (x) A\n- ( ) B\n\n- [x] C\n", 5, "mixed answer block"),
        ("## Q?\n- plain bullet\n- (x) A\n", 2, "unrecognised answer line"),
        ("## Q?\n- (x) Only\n", 1, "at least two options"),
        ("## Q?\n- A => 1\n", 1, "at least two pairs"),
        ("## Q?\n- A => 1\n- A => 2\n", 3, "duplicate left side 'A'"),
        ("## Q?\n1. One\n2. One\n", 3, "duplicate item 'One'"),
        ("## Q?\n1. One\n  > feedback\n2. Two\n", 2, "feedback blockquotes are only supported"),
        ("## {points=2}\n- (x) A\n- ( ) B\n", 1, "heading has no text"),
    ],
)
def test_question_problems(body: str, line: int, fragment: str):
    _, _, issues = parse_questions(body)
    assert any(found == line and fragment in msg for found, msg in issues), messages(issues)


def test_all_problems_of_a_question_are_reported():
    issues: list[tuple[int, str]] = []
    parse_question(["## Q? {points=x weight=1}", "- (x) A", "- (x) A"], heading_line=10,
                   issues=issues)
    texts = messages(issues)
    assert "points must be" in texts and "weight" in texts
    assert "duplicate option text" in texts and "exactly one right option" in texts


def test_duplicate_question_keys():
    _, questions, issues = parse_questions(
        "## Same stem\n- (x) A\n- ( ) B\n\n## Same stem\n- (x) A\n- ( ) C\n", body_line=6
    )
    assert len(questions) == 2
    assert (10, "duplicate question key 'same-stem' (also line 6); add a distinct {id=...} "
                "attribute") in issues


def test_duplicate_explicit_ids():
    _, _, issues = parse_questions(
        "## A {id=k}\n- (x) A\n- ( ) B\n\n## B {id=k}\n- (x) A\n- ( ) B\n"
    )
    assert any(line == 5 and "duplicate question key 'k'" in msg for line, msg in issues)


# --------------------------------------------------------------------------- settings


BODY = "## Q1 {tags=a}\n- (x) A\n- ( ) B\n\n## Q2 {tags=a,b}\n= 1\n\n## Q3 {tags=b}\n= 2\n"


def test_settings_defaults_applied():
    quiz, issues = parse_quiz({}, BODY, default_title="Module quiz")
    assert issues == []
    assert quiz.settings == {**DEFAULT_SETTINGS, "title": "Module quiz"}
    assert quiz.settings["passing_score"] == 70 and quiz.settings["grading"] == "highest"
    assert quiz.settings["review"] == "after_submit" and quiz.settings["time_limit"] is None
    assert len(quiz.questions) == 3


def test_settings_values_read():
    meta = {"type": "quiz", "title": "Exam", "passing_score": 80, "attempts": 3,
            "cooldown_hours": 24, "time_limit": 90, "shuffle": True, "draw": 2,
            "blueprint": {"A": 1, "b": 1}, "grading": "last", "review": "after_close",
            "exam": True, "estimated_minutes": 5}
    quiz, issues = parse_quiz(meta, BODY)
    assert issues == []
    s = quiz.settings
    assert (s["title"], s["passing_score"], s["attempts"], s["cooldown_hours"]) == (
        "Exam", 80, 3, 24)
    assert (s["time_limit"], s["shuffle"], s["draw"], s["exam"]) == (90, True, 2, True)
    assert s["blueprint"] == {"a": 1, "b": 1}
    assert (s["grading"], s["review"]) == ("last", "after_close")


LINES = {("passing_score",): 2, ("attempts",): 3, ("grading",): 4, ("review",): 5,
         ("draw",): 6, ("blueprint",): 7, ("blueprint", "a"): 8, ("blueprint", "zzz"): 9,
         ("shuffle",): 10, ("time_limit",): 11, ("colour",): 12}


@pytest.mark.parametrize(
    ("meta", "line", "fragment"),
    [
        ({"passing_score": 120}, 2, "passing_score must be a number from 0 to 100"),
        ({"passing_score": "70%"}, 2, "passing_score must be a number"),
        ({"attempts": -1}, 3, "attempts must be a whole number >= 0"),
        ({"grading": "average"}, 4, "grading must be one of highest, last"),
        ({"review": "always"}, 5, "review must be one of after_submit, after_close, never"),
        ({"draw": 5}, 6, "draw asks for 5 questions but the pool has only 3"),
        ({"draw": 0}, 6, "draw must be a whole number > 0"),
        ({"blueprint": {"a": 3}}, 8, "blueprint asks for 3 questions tagged 'a' but only 2"),
        ({"blueprint": {"zzz": 1}}, 9, "blueprint tag 'zzz' is not used by any question"),
        ({"blueprint": {"a": 2, "b": 2}}, 7, "blueprint asks for 4 questions in all but the "
                                             "pool has only 3"),
        ({"blueprint": {"a": 2}, "draw": 1}, 7, "blueprint asks for 2 questions but draw is 1"),
        ({"blueprint": ["a"]}, 7, "blueprint must be a map"),
        ({"blueprint": {"a": 0}}, 8, "blueprint count for tag 'a' must be a whole number > 0"),
        ({"shuffle": "yes please"}, 10, "shuffle must be true or false"),
        ({"time_limit": 0}, 11, "time_limit must be a whole number of minutes > 0"),
        ({"colour": "red"}, 12, "unknown quiz setting 'colour'"),
    ],
)
def test_setting_problems(meta: dict, line: int, fragment: str):
    _, issues = parse_quiz(meta, BODY, key_lines=LINES, body_line=20)
    assert any(found == line and fragment in msg for found, msg in issues), messages(issues)


def test_bad_setting_falls_back_to_default():
    quiz, _ = parse_quiz({"passing_score": 500, "grading": "x"}, BODY)
    assert quiz.settings["passing_score"] == 70 and quiz.settings["grading"] == "highest"


def test_blueprint_overlap_that_cannot_be_met():
    body = "## Q1 {tags=a,b}\n= 1\n\n## Q2 {tags=c}\n= 2\n"
    _, issues = parse_quiz({"blueprint": {"a": 1, "b": 1}}, body, key_lines={("blueprint",): 4})
    assert any(line == 4 and "cannot be met" in msg for line, msg in issues), messages(issues)


def test_quiz_without_questions():
    _, issues = parse_quiz({}, "Only an intro.\n", body_line=4)
    assert (4, "quiz has no questions (every `##` heading starts a question)") in issues


def test_estimated_minutes():
    assert estimate_minutes({"time_limit": 45}, 10) == 45
    assert estimate_minutes({}, 10) == 20
    assert estimate_minutes({"draw": 3}, 10) == 6
    assert estimate_minutes({"blueprint": {"a": 2, "b": 2}}, 10) == 8
    assert estimate_minutes({}, 0) == 1


# --------------------------------------------------------------------------- robustness

_LINES = st.sampled_from([
    "## Q?", "## Q? {points=2 tags=a,b}", "## {id=x}", "- (x) A", "- ( ) B", "- [x] A",
    "- [ ] C", "= 1", "= 2 ± 0.5", "= /a(/i", "= text", "- a => b", "1. one", "2. two",
    "  > feedback", "> Explanation: e", "plain text", "", "```", "- plain", "  continued",
])


@settings(max_examples=200, deadline=None)
@given(st.lists(_LINES, max_size=25), st.integers(min_value=1, max_value=50))
def test_parser_never_raises_and_lines_are_in_range(lines: list[str], body_line: int):
    body = "\n".join(lines)
    quiz, issues = parse_quiz({}, body, body_line=body_line)
    last = body_line + len(lines)
    assert all(body_line <= line <= last for line, _ in issues)
    for question in quiz.questions:
        assert question["type"] in {"single", "multiple", "truefalse", "numeric", "text",
                                    "matching", "ordering"}
        assert isinstance(question["key"], str) and question["key"]
