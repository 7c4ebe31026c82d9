"""`courses check` warnings (lms.courses.advisories): exam measurement and CE hours vs study time.

Warnings are printed as `path:LINE: warning: message` and never fail the check.
"""
from __future__ import annotations

import re

import yaml

from lms.courses.parser import parse_tree
from tests.builders import basic_course, write_tree

WARNING_LINE = re.compile(r"^(?P<path>[^:\s]+\.md):(?P<line>\d+): warning: (?P<message>.+)$")


def single(key: str, tags: str, stem: str, right: str, wrongs: tuple[str, str, str]) -> str:
    options = [f"- (x) {right}"] + [f"- ( ) {w}" for w in wrongs]
    return f"## {stem} {{id={key} tags={tags}}}\n" + "\n".join(options) + "\n"


def exam_md(questions: list[str], **settings) -> str:
    front = {"type": "quiz", "title": "Exam", "exam": True, **settings}
    return "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n\nThe exam.\n\n" + \
        "\n".join(questions)


STEMS = ("what does the Riverside tenants union do first",
         "which budget line of the backbone grows fastest",
         "who chairs the Foxglove flood committee",
         "when does the heat plan start in June",
         "why did the land trust buy the corner lot",
         "how are residents paid for listening sessions",
         "where should the cooling centre be sited",
         "which indicator tracks displacement best")


def good_bank() -> list[str]:
    """Eight items, four per domain, half at application level, keys never the longest,
    stems distinct."""
    out = []
    for d, domain in enumerate(("domain-a", "domain-b")):
        for k in range(4):
            level = "level-application" if k % 2 else "level-recall"
            out.append(single(f"{domain}-{k}", f"{domain},{level}",
                              f"Scenario: {STEMS[4 * d + k]}?",
                              "Short", ("A longer wrong", "Another long one", "Third long one")))
    return out


def warnings_of(tmp_path, quiz_text: str, **course_meta):
    files = basic_course("C-1", quiz=quiz_text, **course_meta)
    root = write_tree(tmp_path / "courses", {"c1": files})
    result = parse_tree(root)
    assert result.problems == [], result.problems
    return result.warnings


def test_a_sound_exam_and_honest_ce_hours_give_no_warnings(app, tmp_path):
    quiz = exam_md(good_bank(), attempts=2, blueprint={"domain-a": 2, "domain-b": 2})
    assert warnings_of(tmp_path, quiz, ce_hours=0.1) == []


def test_ce_hours_beyond_study_minutes_over_50_warn_at_the_ce_hours_line(app, tmp_path):
    quiz = exam_md(good_bank())
    (warning,) = warnings_of(tmp_path, quiz, ce_hours=3)
    assert warning.path.endswith("c1/course.md")
    assert warning.line == 5  # --- / code / title / summary / ce_hours
    assert "ce_hours 3 exceeds the course's estimated study time" in warning.message


def test_blueprint_tags_short_of_the_attempts_and_off_weight_warn(app, tmp_path):
    bank = good_bank() + [single("extra", "domain-a,level-analysis", "An extra scenario on drains?",
                                 "Yes", ("Not at all here", "Only in winter", "Only on Sundays"))]
    quiz = exam_md(bank, attempts=3, blueprint={"domain-a": 1, "domain-b": 2})
    messages = [w.message for w in warnings_of(tmp_path, quiz, ce_hours=0)]
    assert any("'domain-b' has 4 item(s) for 2 a sitting: 3 attempts" in m for m in messages)
    assert not any("'domain-a' has" in m for m in messages)  # 5 items hold 3 sittings of 1
    assert any("'domain-a' is 33% of a sitting but 56% of the bank" in m for m in messages)


def test_too_few_application_items_warn(app, tmp_path):
    bank = [b.replace("level-application", "level-recall") for b in good_bank()]
    (warning,) = warnings_of(tmp_path, exam_md(bank), ce_hours=0)
    assert "only 0 of 8 exam items (0%) are tagged level-application or level-analysis" \
        in warning.message


def test_keys_that_are_the_longest_option_are_listed_with_their_lines(app, tmp_path):
    bank = good_bank()
    bank[0] = single("domain-a-0", "domain-a,level-recall", "Scenario: the longest key?",
                     "By far the longest option in this list", ("No", "Nope", "Never"))
    for k in (5, 6):  # ties count as longest
        bank[k] = bank[k].replace("- (x) Short", "- (x) Another long key")
    quiz = exam_md(bank)
    warnings = warnings_of(tmp_path, quiz, ce_hours=0)
    summary = [w for w in warnings if "single-choice items" in w.message]
    assert len(summary) == 1 and "in 3 of 8" in summary[0].message
    listed = {w.message: w.line for w in warnings if "is its longest option" in w.message}
    heading = quiz.splitlines().index(bank[0].splitlines()[0]) + 1
    assert listed["the key of 'domain-a-0' is its longest option"] == heading
    assert "the key of 'domain-b-1' is its longest option" in listed


def test_identical_and_near_identical_stems_warn_on_the_later_item(app, tmp_path):
    bank = good_bank()
    bank.append(single("copy", "domain-a,level-analysis",
                       "Scenario: what does the Riverside tenants' union do first?",
                       "Short", ("A longer wrong", "Another long one", "Third long one")))
    bank.append(single("near", "domain-b,level-analysis",
                       "Scenario: which budget line of the backbone grows the fastest?",
                       "Short", ("A longer wrong", "Another long one", "Third long one")))
    quiz = exam_md(bank)
    warnings = warnings_of(tmp_path, quiz, ce_hours=0)
    stems = {w.message for w in warnings if "stem" in w.message}
    assert any("'copy' is identical to the stem of 'domain-a-0'" in m for m in stems)
    assert any("'near' is nearly identical to the stem of 'domain-a-1'" in m for m in stems)
    assert len(stems) == 2


def test_a_quiz_that_is_not_an_exam_is_not_measured(app, tmp_path):
    bank = [b.replace("level-application", "level-recall") for b in good_bank()]
    quiz = exam_md(bank + bank[:1], exam=False).replace("id=domain-a-0", "id=again", 1)
    assert warnings_of(tmp_path, quiz, ce_hours=0) == []


def test_check_prints_warnings_and_still_exits_0(app, runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path / "courses", {"c1": basic_course("C-1", ce_hours=40)})
    result = runner.invoke(args=["courses", "check", "courses"])
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.stdout.splitlines() if "warning:" in x]
    match = WARNING_LINE.match(line)
    assert match and match["path"] == "courses/c1/course.md" and match["line"] == "5"
    assert "No problems found." in result.stdout and "1 warning(s)." in result.stderr


def test_problems_still_fail_the_check_beside_warnings(app, runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path / "courses", {"c1": basic_course("C-1", ce_hours=40,
                                                         ce_category="nope")})
    result = runner.invoke(args=["courses", "check", "courses"])
    assert result.exit_code == 1
    assert "warning: ce_hours 40 exceeds" in result.stdout
    assert "unknown ce_category" in result.stdout


def test_the_real_curriculum_has_no_warnings(app):
    from tests.courses.test_curriculum_bar import REPO
    assert parse_tree(REPO / "courses").warnings == []
