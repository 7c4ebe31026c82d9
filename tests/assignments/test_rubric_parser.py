"""Assignment parsing: settings, prompt, the `## Rubric` table and its problems."""

from __future__ import annotations

import datetime as dt

import pytest

from lms.assignments.parser import parse_assignment, rubric_max_points, split_row

BODY = """# Riverside Flats

Write a two-page memo.

## Rubric

Scored by your instructor.

| Criterion | Exemplary (4) | Proficient (3 points) | Developing (2) | Beginning (0.5 pts) |
|---|:---|---|---:|---|
| Centres community voice | Residents lead | Residents consulted | Mentioned | Absent |
| Links actions to both Pillars | Both, clearly | Both | One | None |

## After the rubric

Submit as PDF.
"""


def test_rubric_and_prompt():
    assignment, issues = parse_assignment({"title": "Case study"}, BODY, body_line=5)
    assert issues == []
    assert assignment.title == "Case study"
    assert assignment.prompt == ("# Riverside Flats\n\nWrite a two-page memo.\n\n"
                                 "## After the rubric\n\nSubmit as PDF.")
    assert [c["criterion"] for c in assignment.rubric] == [
        "Centres community voice", "Links actions to both Pillars"]
    first = assignment.rubric[0]["levels"]
    assert first == [
        {"label": "Exemplary", "points": 4.0, "description": "Residents lead"},
        {"label": "Proficient", "points": 3.0, "description": "Residents consulted"},
        {"label": "Developing", "points": 2.0, "description": "Mentioned"},
        {"label": "Beginning", "points": 0.5, "description": "Absent"},
    ]
    assert assignment.max_points == 8.0
    assert rubric_max_points(assignment.rubric) == 8.0


def test_max_points_uses_each_criterion_highest_level_whatever_the_column_order():
    rubric = [{"criterion": "a", "levels": [{"label": "low", "points": 1.0, "description": ""},
                                            {"label": "high", "points": 5.0, "description": ""}]},
              {"criterion": "b", "levels": [{"label": "x", "points": 2.0, "description": ""}]}]
    assert rubric_max_points(rubric) == 7.0
    assert rubric_max_points([]) == 0.0


def test_settings_defaults():
    assignment, issues = parse_assignment({}, BODY, default_title="Memo")
    assert issues == []
    assert assignment.title == "Memo"
    assert (assignment.due_days, assignment.due, assignment.peer_reviews) == (None, None, 0)
    assert assignment.attachments == [] and assignment.max_upload_mb == 10
    assert assignment.passing_score == 70


def test_settings_values():
    meta = {"type": "assignment", "title": "Memo", "due_days": 14, "peer_reviews": 2,
            "attachments": ["PDF", ".docx", "png"], "max_upload_mb": 25, "passing_score": 75,
            "estimated_minutes": 90}
    assignment, issues = parse_assignment(meta, BODY)
    assert issues == []
    assert assignment.due_days == 14 and assignment.peer_reviews == 2
    assert assignment.attachments == ["pdf", "docx", "png"]
    assert assignment.max_upload_mb == 25 and assignment.passing_score == 75


def test_due_date():
    assignment, issues = parse_assignment({"due": dt.date(2026, 5, 1)}, BODY)
    assert issues == [] and assignment.due == "2026-05-01"
    assignment, issues = parse_assignment({"due": "2026-06-30"}, BODY)
    assert issues == [] and assignment.due == "2026-06-30"


LINES = {("due_days",): 2, ("due",): 3, ("peer_reviews",): 4, ("attachments",): 5,
         ("max_upload_mb",): 6, ("passing_score",): 7, ("colour",): 8}


@pytest.mark.parametrize(
    ("meta", "line", "fragment"),
    [
        ({"due_days": -3}, 2, "due_days must be a whole number"),
        ({"due": "next week"}, 3, "due must be a date"),
        ({"due": "2026-01-01", "due_days": 3}, 3, "either due_days"),
        ({"peer_reviews": 1.5}, 4, "peer_reviews must be a whole number"),
        ({"attachments": ["pdf", "my file"]}, 5, "'my file' is not a file extension"),
        ({"attachments": {"pdf": 1}}, 5, "attachments must be a list"),
        ({"max_upload_mb": 0}, 6, "max_upload_mb must be a number > 0"),
        ({"passing_score": 101}, 7, "passing_score must be a number from 0 to 100"),
        ({"colour": "red"}, 8, "unknown assignment setting 'colour'"),
    ],
)
def test_setting_problems(meta: dict, line: int, fragment: str):
    _, issues = parse_assignment(meta, BODY, key_lines=LINES)
    assert any(found == line and fragment in msg for found, msg in issues), issues


def rubric_body(table: str) -> str:
    return "The prompt.\n\n## Rubric\n" + table


@pytest.mark.parametrize(
    ("table", "line", "fragment"),
    [
        # body_line = 10: the table header is on line 13
        ("| Criterion | A (2) | B (1) |\n|---|---|---|\n| Voice | good |\n", 15,
         "rubric row 'Voice' has 1 level cells but the header has 2 levels"),
        ("| Criterion | A (2) | B (1) |\n|---|---|---|\n| Voice | good | ok | extra |\n", 15,
         "has 3 level cells"),
        ("| Criterion | Exemplary | B (1) |\n|---|---|---|\n| Voice | good | ok |\n", 13,
         "rubric level header 'Exemplary' must end with its points in parentheses"),
        ("| Criterion | A (2) | B (1) |\n|---|---|---|\n| Voice |  | ok |\n", 15,
         "empty cell for level 'A (2)'"),
        ("| Criterion | A (2) | B (1) |\n| Voice | good | ok |\n", 13, "separator row"),
        ("No table here.\n", 12, "the Rubric section has no table"),
        ("| Criterion | A (2) |\n|---|---|\n", 13, "rubric table has no criteria rows"),
        ("| Criterion | A (2) |\n|---|---|\n| V | x |\n| v | y |\n", 16,
         "duplicate rubric criterion 'v'"),
        ("| Criterion | A (-2) |\n|---|---|\n| V | x |\n", 13, "negative points"),
    ],
)
def test_rubric_problems(table: str, line: int, fragment: str):
    _, issues = parse_assignment({}, rubric_body(table), body_line=10)
    assert any(found == line and fragment in msg for found, msg in issues), issues


def test_assignment_without_rubric():
    assignment, issues = parse_assignment({}, "Write a memo.\n", body_line=6)
    assert assignment.rubric == []
    assert issues == [(6, "assignment has no `## Rubric` section (a table: one row per "
                          "criterion, one column per level)")]


def test_rubric_heading_inside_code_fence_is_not_the_rubric():
    body = "Prompt\n\n```\n## Rubric\n```\n"
    _, issues = parse_assignment({}, body)
    assert any("no `## Rubric` section" in msg for _, msg in issues)


def test_table_without_outer_pipes_and_escaped_pipes():
    table = "Criterion | A (2) | B (1)\n---|---|---\nVoice \\| tone | good | ok\n"
    assignment, issues = parse_assignment({}, rubric_body(table))
    assert issues == []
    assert assignment.rubric[0]["criterion"] == "Voice | tone"
    assert split_row("| a | b \\| c |") == ["a", "b | c"]
