"""Item analysis checked against small examples computed by hand."""

from __future__ import annotations

import csv
import io
import math

import pytest

from lms.quizzes.analysis import item_analysis, reliability, to_csv_rows


def question(key: str, qtype: str = "numeric", options: list[tuple[str, str, bool]] = ()):
    q = {"key": key, "type": qtype, "stem": f"Stem {key}", "points": 1.0, "tags": []}
    if options:
        q["options"] = [{"id": i, "text": t, "correct": c, "feedback": None} for i, t, c in options]
    return q


def attempt(attempt_id: int, scores: dict[str, float], responses: dict | None = None) -> dict:
    """An attempt whose items are all worth 1 point; total_percent from the scores."""
    responses = responses or {}
    total = 100.0 * sum(scores.values()) / len(scores) if scores else 0.0
    return {
        "attempt_id": attempt_id,
        "total_percent": round(total, 2),
        "items": {
            k: {"earned": v, "points": 1.0, "response": responses.get(k)} for k, v in scores.items()
        },
    }


# Five attempts on three dichotomous items (1 = right):
#
#        i1 i2 i3  total
#   A1    1  1  1   3
#   A2    1  1  0   2
#   A3    1  0  0   1
#   A4    0  1  0   1
#   A5    0  0  0   0
QUESTIONS = [
    question("i1", "single", [("a", "Alpha", True), ("b", "Beta", False)]),
    question("i2"),
    question("i3"),
]
MATRIX = [[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0]]
RESPONSES_I1 = ["a", "a", "a", "b", None]
ATTEMPTS = [
    attempt(n + 1, dict(zip(["i1", "i2", "i3"], row, strict=True)), {"i1": RESPONSES_I1[n]})
    for n, row in enumerate(MATRIX)
]


def items_by_key(result: dict) -> dict[str, dict]:
    return {item["key"]: item for item in result["items"]}


def test_kr20_by_hand():
    # p = 3/5, 3/5, 1/5  ->  sum p*q = .24 + .24 + .16 = .64
    # totals 3, 2, 1, 1, 0: mean 1.4, squared deviations 2.56 .36 .16 .16 1.96 = 5.2,
    # population variance 5.2 / 5 = 1.04
    # KR-20 = k/(k-1) * (1 - .64/1.04) = 1.5 * (.40/1.04) = 0.576923...
    test = item_analysis(ATTEMPTS, QUESTIONS)["test"]
    assert test["reliability_method"] == "KR-20"
    assert test["reliability"] == pytest.approx(0.5769, abs=1e-4)
    assert test["reliability_items"] == 3
    assert test["n_attempts"] == 5
    # total_percent 100, 66.67, 33.33, 33.33, 0: mean 46.666 -> 46.67
    assert test["mean"] == 46.67
    # sample sd: squared deviations (in percent) sum to 5.2 * (100/3)**2 = 5777.8 (rounded
    # totals shift it a hair); / 4 = 1444.4; sqrt = 38.006
    assert test["sd"] == pytest.approx(38.01, abs=0.01)


def test_point_biserial_corrected_item_total_by_hand():
    items = items_by_key(item_analysis(ATTEMPTS, QUESTIONS))
    # i1: x = item = 1 1 1 0 0; y = rest (i2 + i3) / 2 = 1 .5 0 .5 0
    # mean x .6, mean y .4; dx = .4 .4 .4 -.6 -.6; dy = .6 .1 -.4 .1 -.4
    # sum dx*dy = .24 + .04 - .16 - .06 + .24 = .30; sum dx^2 = 1.2; sum dy^2 = .70
    # r = .30 / sqrt(1.2 * .70) = .30 / .916515 = 0.327327
    assert items["i1"]["discrimination_pb"] == pytest.approx(0.3273, abs=1e-4)
    # i3: x = 1 0 0 0 0; y = (i1 + i2) / 2 = 1 1 .5 .5 0; mean y .6
    # dx = .8 -.2 -.2 -.2 -.2; dy = .4 .4 -.1 -.1 -.6
    # sum dx*dy = .32 - .08 + .02 + .02 + .12 = .40; sum dx^2 = .8; sum dy^2 = .70
    # r = .40 / sqrt(.56) = 0.534522
    assert items["i3"]["discrimination_pb"] == pytest.approx(0.5345, abs=1e-4)
    # i2: x = 1 1 0 1 0; y = (i1 + i3) / 2 = 1 .5 .5 0 0; mean x .6, mean y .4
    # dx = .4 .4 -.6 .4 -.6; dy = .6 .1 .1 -.4 -.4
    # sum dx*dy = .24 + .04 - .06 - .16 + .24 = .30 -> same as i1: 0.327327
    assert items["i2"]["discrimination_pb"] == pytest.approx(0.3273, abs=1e-4)


def test_facility_upper_lower_counts_and_flags():
    items = items_by_key(item_analysis(ATTEMPTS, QUESTIONS))
    i1, i3 = items["i1"], items["i3"]
    assert (i1["n"], i1["facility"]) == (5, 0.6)
    # n = 5: groups of round(.27 * 5) = 1; lowest total A5 (i1 = 0), highest A1 (i1 = 1)
    assert i1["discrimination_ul"] == 1.0
    assert i1["option_counts"] == {"a": 3, "b": 1}
    assert i1["options"] == [
        {"id": "a", "text": "Alpha", "correct": True, "count": 3},
        {"id": "b", "text": "Beta", "correct": False, "count": 1},
    ]
    assert items["i2"]["option_counts"] == {}
    assert i3["facility"] == 0.2
    assert i3["flags"] == []  # 0.2 is not below 0.2


def test_flags():
    qs = [question("hard"), question("easy"), question("flat")]
    rows = [
        {"hard": 0, "easy": 1, "flat": 1},
        {"hard": 0, "easy": 1, "flat": 0},
        {"hard": 0, "easy": 1, "flat": 1},
        {"hard": 1, "easy": 1, "flat": 0},
        {"hard": 0, "easy": 1, "flat": 1},
        {"hard": 0, "easy": 1, "flat": 0},
    ]
    items = items_by_key(item_analysis([attempt(i, r) for i, r in enumerate(rows)], qs))
    assert items["hard"]["facility"] == pytest.approx(1 / 6, abs=1e-4)
    assert "too hard" in items["hard"]["flags"]
    assert items["easy"]["flags"][0] == "too easy"
    # "easy" has no variance: the point-biserial is undefined, upper-lower gives 1 - 1 = 0
    assert items["easy"]["discrimination_pb"] is None
    assert items["easy"]["discrimination_ul"] == 0.0
    assert "low discrimination" in items["easy"]["flags"]
    # "flat": x = 1 0 1 0 1 0 (mean .5); rest = (hard + easy) / 2 = .5 .5 .5 1 .5 .5
    # (mean 7/12); dx = +-.5; dy = -1/12 except +5/12 for the 4th attempt
    # sum dx*dy = (-1 + 1 - 1 - 5 - 1 + 1) / 24 = -.25; sum dx^2 = 1.5; sum dy^2 = 30/144
    # r = -.25 / sqrt(1.5 * 30/144) = -.25 / .559017 = -0.447214
    assert items["flat"]["discrimination_pb"] == pytest.approx(-0.4472, abs=1e-4)
    assert "low discrimination" in items["flat"]["flags"]


def test_cronbach_alpha_by_hand_with_partial_credit():
    # scores     item1 item2  total
    #   A          1    .5     1.5
    #   B         .5    .5     1.0
    #   C          0     0     0
    #   D         .5     1     1.5
    # totals: mean 1, squared deviations .25 0 1 .25 -> population variance .375
    # item variances: item1 (1 .5 0 .5) -> .5/4 = .125; item2 (.5 .5 0 1) -> .125
    # alpha = 2 * (1 - .25/.375) = 2/3
    matrix = [[1, 0.5], [0.5, 0.5], [0, 0], [0.5, 1]]
    value, method = reliability(matrix)
    assert method == "alpha"
    assert value == pytest.approx(2 / 3)
    qs = [question("p"), question("q")]
    attempts = [attempt(i, {"p": a, "q": b}) for i, (a, b) in enumerate(matrix)]
    test = item_analysis(attempts, qs)["test"]
    assert (test["reliability"], test["reliability_method"]) == (0.6667, "alpha")


def test_reliability_undefined_cases():
    assert reliability([]) == (None, None)
    assert reliability([[1, 0]]) == (None, None)  # one attempt
    assert reliability([[1], [0]]) == (None, None)  # one item
    assert reliability([[1, 1], [1, 1], [1, 1]]) == (None, None)  # no variance


def test_drawn_subsets_use_only_items_seen_by_all():
    qs = [question("a"), question("b"), question("c"), question("d")]
    attempts = [
        attempt(1, {"a": 1, "b": 1, "c": 1}),
        attempt(2, {"a": 1, "b": 0, "d": 0}),
        attempt(3, {"a": 0, "b": 0, "c": 1}),
    ]
    result = item_analysis(attempts, qs)
    assert result["test"]["reliability_items"] == 2  # a and b
    # matrix [[1,1],[1,0],[0,0]]: p = 2/3, 1/3 -> sum pq = 2/9 + 2/9 = 4/9
    # totals 2 1 0 -> population variance 2/3; KR-20 = 2 * (1 - (4/9)/(2/3)) = 2/3
    assert result["test"]["reliability"] == pytest.approx(0.6667, abs=1e-4)
    items = items_by_key(result)
    assert (items["c"]["n"], items["d"]["n"]) == (2, 1)
    assert items["d"]["discrimination_pb"] is None  # n < 3
    assert items["d"]["discrimination_ul"] is None  # n < 4
    assert items["c"]["facility"] == 1.0


def test_no_attempts_and_malformed_items():
    empty = item_analysis([], [question("a")])
    assert empty["test"] == {
        "n_attempts": 0,
        "mean": None,
        "sd": None,
        "reliability": None,
        "reliability_method": None,
        "reliability_items": 0,
    }
    assert empty["items"][0]["n"] == 0 and empty["items"][0]["facility"] is None
    assert empty["items"][0]["flags"] == []
    odd = item_analysis(
        [{"attempt_id": 1, "total_percent": 50, "items": {"a": {"earned": "x", "points": 1}}}],
        [question("a")],
    )
    assert odd["items"][0]["n"] == 0


def test_weighted_points_use_fractions():
    qs = [question("a"), question("b"), question("c")]
    attempts = [
        {
            "attempt_id": i,
            "total_percent": t,
            "items": {
                "a": {"earned": a, "points": 2.0, "response": None},
                "b": {"earned": b, "points": 1.0, "response": None},
                "c": {"earned": c, "points": 1.0, "response": None},
            },
        }
        for i, (a, b, c, t) in enumerate(
            [(2, 1, 1, 100.0), (1, 1, 0, 50.0), (0, 0, 1, 25.0), (2, 0, 0, 50.0)]
        )
    ]
    items = items_by_key(item_analysis(attempts, qs))
    assert items["a"]["facility"] == pytest.approx((1 + 0.5 + 0 + 1) / 4)
    # n = 4: groups of 1; lowest total (25) has a = 0, highest (100) has a = 1
    assert items["a"]["discrimination_ul"] == 1.0
    # a's rest = (b + c) / 2 points: 1, .5, .5, 0 against a = 1 .5 0 1
    xs, ys = [1, 0.5, 0, 1], [1, 0.5, 0.5, 0]
    mx, my = sum(xs) / 4, sum(ys) / 4
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    r = cov / math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))
    assert items["a"]["discrimination_pb"] == pytest.approx(r, abs=1e-4)


def test_multiple_choice_option_counts_count_each_option_once_per_attempt():
    q = question("m", "multiple", [("x", "X", True), ("y", "Y", True), ("z", "Z", False)])
    attempts = [
        attempt(1, {"m": 1.0}, {"m": ["x", "y"]}),
        attempt(2, {"m": 0.0}, {"m": ["x", "z", "z"]}),
        attempt(3, {"m": 0.5}, {"m": ["y", "unknown"]}),
        attempt(4, {"m": 0.0}, {"m": "bogus"}),
    ]
    assert item_analysis(attempts, [q])["items"][0]["option_counts"] == {"x": 2, "y": 2, "z": 1}


def test_csv_rows():
    analysis = item_analysis(ATTEMPTS, QUESTIONS)
    analysis["items"][1]["stem"] = "=HYPERLINK(bad)"
    rows = to_csv_rows(analysis)
    assert rows[0] == [
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
    assert len(rows) == 4
    assert all(isinstance(cell, str) for row in rows for cell in row)
    assert rows[1][:9] == ["i1", "", "", "yes", "no", "single", "Stem i1", "5", "0.6"]
    assert rows[1][11] == "Alpha: 3 | Beta: 1"
    assert rows[2][6] == "'=HYPERLINK(bad)"  # no formula injection in spreadsheets
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    assert buffer.getvalue().count("\n") == 4


def test_each_version_is_analysed_against_its_own_key():
    """The issue's case: an author changed the key after some attempts were graded; every
    answer was right under the version it was graded under."""
    from datetime import UTC, datetime

    from lms.quizzes.analysis import Version

    old = question("k", "single", [("a", "Alpha", True), ("b", "Beta", False)])
    new = question("k", "single", [("a", "Alpha", False), ("b", "Beta", True)])
    first, second = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)
    attempts = [attempt(1, {"v1": 1.0}, {"v1": "a"}), attempt(2, {"v1": 1.0}, {"v1": "a"}),
                attempt(3, {"v2": 1.0}, {"v2": "b"})]
    versions = [Version("v2", 2, second, current=True, retired=False),
                Version("v1", 1, first, current=False, retired=False)]
    result = item_analysis(attempts, [new, old], versions)
    current, earlier = result["items"]
    assert (current["version"], current["n"], current["facility"]) == (2, 1, 1.0)
    assert (earlier["version"], earlier["n"], earlier["facility"]) == (1, 2, 1.0)
    assert [(o["text"], o["correct"], o["count"]) for o in earlier["options"]] == [
        ("Alpha", True, 2), ("Beta", False, 0)]
    assert [(o["text"], o["correct"], o["count"]) for o in current["options"]] == [
        ("Alpha", False, 0), ("Beta", True, 1)]
    assert (earlier["current"], current["current"]) == (False, True)
    assert earlier["introduced_at"] == first
    # Grouped by key (the old behaviour) the same answers would read 1 right out of 3.
    rows = to_csv_rows(result)
    assert rows[1][:5] == ["k", "2", "2026-11-20T00:00+00:00", "yes", "no"]
    assert rows[2][:5] == ["k", "1", "2026-11-01T00:00+00:00", "no", "no"]
    with pytest.raises(ValueError):
        item_analysis(attempts, [new], versions)
