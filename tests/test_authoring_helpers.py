"""Unit tests for the helpers shared by the course, quiz and assignment parsers."""
from lms.authoring import fence_flags, is_int, is_number, line_of, take_settings


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


def test_take_settings_copies_good_values_and_reports_bad_ones():
    out = {"draw": None, "shuffle": False, "kept": 1}
    problems = []
    take_settings({"draw": 3, "shuffle": "yes", "kept": None},
                  [("draw", lambda v: is_int(v) and v > 0, "a whole number > 0"),
                   ("shuffle", lambda v: isinstance(v, bool), "true or false"),
                   ("kept", is_int, "a whole number")],
                  out, lambda key, message: problems.append((key, message)))
    assert out == {"draw": 3, "shuffle": False, "kept": 1}
    assert problems == [("shuffle", "shuffle must be true or false (got 'yes')")]
