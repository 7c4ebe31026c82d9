"""An author's answer pattern that backtracks catastrophically cannot hang a worker."""
import logging
import time

from lms.quizzes import grading


def test_catastrophic_pattern_times_out_and_counts_as_wrong(caplog, monkeypatch):
    monkeypatch.setattr(grading, "REGEX_TIMEOUT", 0.05)
    question = {"key": "slow", "type": "text", "stem": "?", "points": 1.0, "tags": [],
                "line": 1, "accepted": [{"regex": r"(a|aa)+b", "flags": ""}, {"text": "ok"}]}
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="lms.quizzes.grading"):
        assert grading.score_response(question, "a" * 40) == 0.0
    assert time.monotonic() - started < 5  # unbounded, this pattern backtracks for hours
    assert "timed out" in caplog.text
    # the same pattern still accepts a right answer, and other accepted answers still work
    assert grading.score_response(question, "a" * 40 + "b") == 1.0
    assert grading.score_response(question, "OK") == 1.0
