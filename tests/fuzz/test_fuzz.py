"""Fuzzing the parsers and the Markdown renderer with hypothesis.

Inputs are built from the pieces authors really write (front matter keys of every item kind,
question headings, options, answers, rubric tables, admonitions, links) shuffled with
arbitrary text, so the fuzzer reaches deep into the parsers instead of failing at line 1.

Properties: the item parser (lessons, quizzes, assignments, through the kind registry) and the
course parser never raise: anything wrong is a `Problem` with a line inside the file; the
renderer never raises, returns sanitised HTML and takes under 1 s.

Bounded for CI: LMS_FUZZ_EXAMPLES examples per test (default 25, a few seconds). A longer run
for developers (docs/testing.md): `LMS_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest
tests/fuzz -n 2 -p no:randomly`.
"""
from __future__ import annotations

import gc
import os
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms import markdown
from lms.authoring.problems import Problem
from lms.courses.items import parse_item_text
from lms.courses.tree import parse_course
from tests.security.xss import PAYLOADS, unsafe

EXAMPLES = int(os.environ.get("LMS_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 25,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])
RENDER_SECONDS = 1.0

PIECES = [
    "## Two plus two? {id=q1 points=2 tags=a}", "## Which? {id=multi}", "## T/F", "- [x] Yes",
    "- [ ] No", "- (x) Right", "- ( ) Wrong", "= 4", "= 30 ± 1", "= /^(the )?land$/i", "= /[/",
    "- A => B", "- => B", "1. First", "2. Second", "> Explanation: because", "???+ note",
    "!!! case-study \"Title\"", "    indented body",
    "| Criterion | Exemplary (4) | Beginning (1) |",
    "|---|---|---|", "| Voice | a | b |", "## Rubric", "[link](other.md)", "![img](assets/x.png)",
    "[ref][r]", "[r]: javascript:alert(1)", "```python", "```", "<script>x</script>", "---",
    "{id=", "{points=-1}", "{points=1e309}", "- [x]", "=", "##", "#", "", "\t", "\u202e",
    "\x00", "\ufeff", "9" * 50, "{{", "}}", "<!--", "| | |",
]
KEYS = ["type", "title", "passing_score", "time_limit", "attempts", "shuffle", "draw",
        "blueprint", "peer_reviews", "attachments", "max_upload_mb", "due_days", "duration",
        "audience", "feedback", "show_answers", "pool", "review_days", "weights"]
VALUES = st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=True), st.booleans(),
                   st.none(), st.text(max_size=20), st.sampled_from(["quiz", "assignment",
                   "lesson", "instructors", "pdf", "docx"]),
                   st.lists(st.text(max_size=8), max_size=3),
                   st.dictionaries(st.text(max_size=8), st.integers(-5, 50), max_size=3))


def _yaml_scalar(value) -> str:
    import json
    return json.dumps(value, default=str)


@st.composite
def item_sources(draw) -> str:
    kind = draw(st.sampled_from(["quiz", "assignment", "lesson", None, "bogus"]))
    front = {} if kind is None else {"type": kind}
    front.update(draw(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6)))
    head = "".join(f"{k}: {_yaml_scalar(v)}\n" for k, v in front.items())
    if draw(st.booleans()):
        head += draw(st.text(max_size=40))  # broken YAML too
    lines = draw(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=30)),
                          max_size=40))
    return f"---\n{head}---\n\n" + "\n".join(lines) + "\n"


def _check_problems(problems: list[Problem], source: str) -> None:
    last = source.count("\n") + 2
    for p in problems:
        assert isinstance(p, Problem) and p.message, p
        assert 0 <= (p.line or 0) <= last, (p.line, last)


@FUZZ
@given(item_sources())
def test_item_parser_never_raises(source):
    for slug in ("check", "module/check"):
        parsed, problems = parse_item_text(source, source_path="01-check.md", slug=slug,
                                           course_files={"assets/x.png", "other.md"})
        assert parsed is not None or problems
        _check_problems(problems, source)


@FUZZ
@given(st.text(max_size=300))
def test_item_parser_takes_any_text(source):
    parsed, problems = parse_item_text(source, source_path="01-x.md", slug="x")
    assert parsed is not None or problems


@FUZZ
@given(course=st.dictionaries(st.sampled_from(["code", "title", "summary", "ce_hours",
                                               "ce_category", "level", "instructors",
                                               "prerequisites", "published"]), VALUES,
                              max_size=8),
       item=item_sources())
def test_course_parser_never_raises(tmp_path_factory, course, item):
    folder = tmp_path_factory.mktemp("c") / "c-1"
    folder.mkdir()
    head = "".join(f"{k}: {_yaml_scalar(v)}\n" for k, v in course.items())
    (folder / "course.md").write_text(f"---\n{head}---\n\nOverview\n", encoding="utf-8")
    (folder / "01-check.md").write_text(item, encoding="utf-8")
    result = parse_course(folder)
    assert result is not None


def _timed_render(text: str) -> None:
    for render in (markdown.render, markdown.render_inline):
        markdown.clear_cache()
        # CPU time, so other processes on CI do not count, and with the collector paused: a
        # full collection of a test worker's large heap is not the renderer's work
        gc.collect()
        gc.disable()
        try:
            started = time.process_time()
            html = render(text)
            elapsed = time.process_time() - started
        finally:
            gc.enable()
        assert elapsed < RENDER_SECONDS, f"{render.__name__} took {elapsed:.2f}s"
        assert not unsafe(f"<div>{html}</div>"), (text, html)


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.sampled_from(PAYLOADS),
                          st.text(max_size=40)), max_size=60).map("\n".join))
def test_renderer_never_raises_is_safe_and_fast(text):
    _timed_render(text)


def test_renderer_is_fast_on_pathological_nesting():
    # ~20,000 characters each (a long submission); 10,000 links in one document take about
    # 2 s on a busy CI machine: see docs/testing.md
    for text in ("> " * 2000 + "x", "[" * 2000 + "x" + "](y)" * 2000, "*" * 20000 + "x",
                 "- " * 3000 + "x", "<div>" * 3000, "`" * 10000, "|a" * 5000 + "\n|-|\n",
                 "!!! note\n" + "    " * 500 + "x", "[x]: y\n" * 1000 + "[x]" * 1000):
        _timed_render(text)
