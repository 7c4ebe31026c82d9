"""Unit tests for the helpers shared by the course, quiz and assignment parsers."""
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from lms.authoring import fence_flags, is_int, is_number, line_of
from lms.authoring.schema import (
    DEFAULT_PASSING_SCORE,
    Flag,
    PassMark,
    Settings,
    WholeNumber,
    defaults,
    problem,
    text_list,
    validate,
)


def _short(tag: str) -> str:
    if len(tag) > 5:
        raise problem(f"tag '{tag}' is too long")
    return tag


def test_fence_flags_mark_fenced_lines_and_need_a_matching_close():
    lines = ["text", "```python", "code", "```not-a-close", "~~~", "```", "after"]
    assert fence_flags(lines) == [False, True, True, True, True, True, False]


def test_fence_flags_tilde_fence_is_not_closed_by_backticks():
    assert fence_flags(["~~~~", "```", "~~~", "~~~~", "x"]) == [True, True, True, True, False]


def test_numbers_exclude_booleans_and_non_finite_values():
    assert is_int(3) and not is_int(True) and not is_int(3.0)
    assert is_number(2.5) and is_number(0) and not is_number(False)
    assert not is_number(float("nan")) and not is_number(float("inf")) and not is_number("1")


def test_line_of_uses_the_deepest_known_prefix():
    lines = {("maintenance",): 4, ("maintenance", "cycle"): 5}
    assert line_of(lines, 1, "maintenance", "cycle", "length_months") == 5
    assert line_of(lines, 1, "maintenance") == 4
    assert line_of(lines, 9, "unknown") == 9


class _Example(Settings):
    draw: Annotated[WholeNumber | None, Field(gt=0, description="a whole number > 0")] = None
    shuffle: Annotated[Flag, Field(description="true or false")] = False
    kept: Annotated[WholeNumber, Field(description="a whole number")] = 1
    score: PassMark = DEFAULT_PASSING_SCORE
    tags: Annotated[list[Annotated[str, AfterValidator(_short)]],
                    BeforeValidator(text_list("tags must be a list"))] = []


def test_settings_keep_good_values_and_report_bad_ones_at_their_key():
    problems = []
    found = validate(_Example, {"draw": 3, "shuffle": "yes", "kept": None, "score": True,
                                "tags": ["ok", "far too long", "fine"], "other": "ignored"},
                     lambda path, message: problems.append((path, message)))
    assert found.model_dump() == {"draw": 3, "shuffle": False, "kept": 1, "score": 70,
                                  "tags": ["ok", "fine"]}
    assert problems == [(("shuffle",), "shuffle must be true or false (got 'yes')"),
                        (("score",), "score must be a number from 0 to 100 (got True)"),
                        (("tags", "1"), "tag 'far too long' is too long")]


def test_settings_reject_non_finite_numbers_and_whole_numbers_written_as_floats():
    problems = []
    found = validate(_Example, {"score": float("inf"), "kept": 3.0, "tags": {"a": 1}},
                     lambda path, message: problems.append(message))
    assert found.model_dump() == defaults(_Example)
    assert problems == ["kept must be a whole number (got 3.0)",
                        "score must be a number from 0 to 100 (got inf)", "tags must be a list"]
