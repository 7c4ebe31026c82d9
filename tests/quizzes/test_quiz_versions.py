"""Question versions: editing a quiz's Markdown and re-importing never changes old attempts.

A changed question gets a new version; attempts keep the version they drew, so their stored
scores (and what their review shows) stay as they were. Unchanged or merely moved questions
keep their version; questions removed from the file are retired, not deleted.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.courses import services as courses
from lms.courses.models import Item
from lms.extensions import db
from lms.quizzes import services
from lms.quizzes.models import Attempt, Question, QuestionVersion, Quiz
from tests import builders
from tests.builders import quiz_of, write_course

V1 = """\
## Which city hosted the first district? {id=city}
- (x) Portland
- ( ) Atlanta

## How many Commitments are there? {id=count}
= 6

## Which Pillar covers housing? {id=pillar}
- (x) Racial Equity
- ( ) Climate Resilience
"""

#: V1 with the right answers of `city` and `count` changed; `pillar` untouched.
V2 = """\
## Which city hosted the first district? {id=city}
- ( ) Portland
- (x) Atlanta

## How many Commitments are there? {id=count}
= 7

## Which Pillar covers housing? {id=pillar}
- (x) Racial Equity
- ( ) Climate Resilience
"""


def quiz_md(body: str, passing_score: int = 50, **settings) -> str:
    """builders.quiz_md, with a passing score of 50 unless given."""
    return builders.quiz_md(body, passing_score=passing_score, **settings)


class Tree:
    """A course folder in tmp_path holding one quiz item; `publish(text)` writes + imports."""

    def __init__(self, root: Path, code: str = "Q-1"):
        self.root, self.code = root, code

    def publish(self, text: str, now) -> Quiz:
        write_course(self.root, text, self.code)
        courses.import_courses(self.root, now)
        db.session.expire_all()
        return quiz_of(self.code)


@pytest.fixture
def tree(tmp_path):
    return Tree(tmp_path / "courses")


def right(q: dict):
    if q["type"] == "numeric":
        return f"{q['numeric'][0]['value']:g}"
    return next(o["id"] for o in q["options"] if o["correct"])


def option_id(q: dict, text: str) -> str:
    return next(o["id"] for o in q["options"] if o["text"] == text)


def versions(quiz: Quiz) -> dict[str, list[int]]:
    """Question key -> its version numbers."""
    out: dict[str, list[int]] = {}
    for key, number in db.session.execute(
            select(Question.key, QuestionVersion.number)
            .join(QuestionVersion, QuestionVersion.question_id == Question.id)
            .where(Question.quiz_id == quiz.id).order_by(Question.key, QuestionVersion.number)):
        out.setdefault(key, []).append(number)
    return out


def take(quiz: Quiz, user, enrolment, now, answers=None) -> Attempt:
    """Start and submit with `answers` (default: right ones for the drawn versions)."""
    attempt = services.start_attempt(quiz, user, enrolment, now)
    if answers is None:
        answers = {aq.version.data["key"]: right(aq.version.data) for aq in attempt.questions}
    return services.submit_attempt(attempt, answers, now)


def snapshot(attempt_id: int) -> tuple:
    db.session.expire_all()
    a = services.load_attempt(attempt_id)
    return (a.earned, a.possible, a.percent, a.passed, a.per_tag,
            [(aq.version_id, aq.earned, aq.response) for aq in a.questions])


def test_reimport_versions_changed_questions_and_old_scores_never_change(
        app, tree, now, make_user):
    quiz = tree.publish(quiz_md(V1), now)
    learner = make_user()
    enrolment = courses.enrol(learner, quiz.item.course, now)
    old = take(quiz, learner, enrolment, now)
    assert old.percent == 100.0
    before = snapshot(old.id)
    v1_ids = {aq.version.data["key"]: aq.version_id for aq in old.questions}

    quiz = tree.publish(quiz_md(V2), now + timedelta(days=1))
    assert versions(quiz) == {"city": [1, 2], "count": [1, 2], "pillar": [1]}
    current = {q.key: q.current_version for q in quiz.questions}
    assert current["city"].number == 2 and current["city"].created_at == now + timedelta(days=1)
    assert current["pillar"].id == v1_ids["pillar"]

    # The old attempt keeps its versions and its score, even though its answers are now wrong.
    assert snapshot(old.id) == before
    again = services.load_attempt(old.id)
    review = services.review(again, show_answers=True)
    city = next(r for r in review if r["key"] == "city")
    assert [o["text"] for o in city["options"] if o["correct"]] == ["Portland"]
    assert city["earned"] == 1.0 and city["correct"] is True

    # A new attempt draws the new versions and is graded against them.
    other = make_user()
    new = take(quiz, other, courses.enrol(other, quiz.item.course, now), now,
               answers={"city": option_id(current["city"].data, "Portland"), "count": "6",
                        "pillar": option_id(current["pillar"].data, "Racial Equity")})
    assert {aq.version.data["key"]: aq.version_id for aq in new.questions} == {
        "city": current["city"].id, "count": current["count"].id, "pillar": v1_ids["pillar"]}
    assert new.earned == 1.0

    # Analysing results (which reads current versions) rewrites nothing stored.
    services.analyse(quiz, services.submitted_attempts(quiz))
    db.session.commit()
    assert snapshot(old.id) == before


def test_old_attempt_result_page_still_shows_its_score(app, tree, now, make_user, sign_in):
    app.config["FROZEN_NOW"] = now
    quiz = tree.publish(quiz_md(V1), now)
    learner = make_user()
    old = take(quiz, learner, courses.enrol(learner, quiz.item.course, now), now)
    tree.publish(quiz_md(V2), now + timedelta(days=1))
    client = app.test_client()
    sign_in(client, learner)
    page = client.get(f"/quiz/attempts/{old.id}").get_data(as_text=True)
    assert '<span id="score">100%</span>' in page and "result-pass" in page


def test_an_open_attempt_keeps_the_versions_it_drew(app, tree, now, make_user):
    quiz = tree.publish(quiz_md(V1), now)
    learner = make_user()
    enrolment = courses.enrol(learner, quiz.item.course, now)
    attempt = services.start_attempt(quiz, learner, enrolment, now)
    v1 = {aq.version.data["key"]: aq.version.data for aq in attempt.questions}

    tree.publish(quiz_md(V2.replace("How many Commitments", "How many Commitments, in all,")),
                 now + timedelta(minutes=5))
    db.session.expire_all()
    resumed = services.get_attempt_for(learner, attempt.id, now + timedelta(minutes=6))
    stems = {q["key"]: q["stem"] for q in services.public_questions(resumed)}
    assert stems["count"] == "How many Commitments are there?"
    result = services.submit_attempt(resumed, {k: right(q) for k, q in v1.items()},
                                     now + timedelta(minutes=7))
    assert result.percent == 100.0


def test_settings_changes_leave_old_attempts_alone(app, tree, now, make_user):
    quiz = tree.publish(quiz_md(V1, passing_score=60), now)
    learner = make_user()
    enrolment = courses.enrol(learner, quiz.item.course, now)
    old = take(quiz, learner, enrolment, now, answers={"count": "6", "pillar": "nope"})
    assert round(old.percent, 2) == 33.33 and old.passed is False
    attempt = take(quiz, learner, enrolment, now + timedelta(hours=1),
                   answers={"count": "6", "city": "nope"})
    attempt = services.load_attempt(attempt.id)
    assert attempt.passed is False

    quiz = tree.publish(quiz_md(V1, passing_score=30), now + timedelta(days=1))
    assert quiz.settings["passing_score"] == 30
    assert versions(quiz) == {"city": [1], "count": [1], "pillar": [1]}
    db.session.expire_all()
    for a in db.session.scalars(select(Attempt)):
        assert a.settings["passing_score"] == 60 and a.passed is False


def test_unchanged_or_moved_questions_keep_their_version(app, tree, now):
    quiz = tree.publish(quiz_md(V1), now)
    assert versions(quiz) == {"city": [1], "count": [1], "pillar": [1]}
    tree.publish(quiz_md(V1), now + timedelta(days=1))
    assert versions(quiz) == {"city": [1], "count": [1], "pillar": [1]}
    # A new question on top moves the others (new lines, new positions): no new versions.
    added = "## A new first question? {id=first}\n- (x) Yes\n- ( ) No\n\n" + V1
    quiz = tree.publish(quiz_md(added), now + timedelta(days=2))
    assert versions(quiz) == {"city": [1], "count": [1], "first": [1], "pillar": [1]}
    assert [q.key for q in quiz.questions] == ["first", "city", "count", "pillar"]


def test_removed_questions_are_retired_and_come_back_unchanged(app, tree, now, make_user):
    quiz = tree.publish(quiz_md(V1), now)
    learner = make_user()
    enrolment = courses.enrol(learner, quiz.item.course, now)
    old = take(quiz, learner, enrolment, now)
    before = snapshot(old.id)

    without = V1.split("## Which Pillar")[0]
    quiz = tree.publish(quiz_md(without), now + timedelta(days=1))
    active = {q.key: q.active for q in quiz.questions}
    assert active == {"city": True, "count": True, "pillar": False}
    assert [v.data["key"] for v in services.active_pool(quiz)] == ["city", "count"]
    other = make_user()
    new = services.start_attempt(quiz, other, courses.enrol(other, quiz.item.course, now), now)
    assert sorted(aq.version.data["key"] for aq in new.questions) == ["city", "count"]
    assert snapshot(old.id) == before

    quiz = tree.publish(quiz_md(V1), now + timedelta(days=2))
    assert all(q.active for q in quiz.questions)
    assert versions(quiz)["pillar"] == [1]


def test_editing_in_the_browser_also_makes_a_new_version(app, tree, now, make_user):
    quiz = tree.publish(quiz_md(V1), now)
    learner = make_user()
    old = take(quiz, learner, courses.enrol(learner, quiz.item.course, now), now)
    before = snapshot(old.id)
    teacher = make_user("instructor", email="teach@example.org")
    item = db.session.get(Item, quiz.item_id)
    courses.save_item_source(item, quiz_md(V2), teacher, now + timedelta(days=1))
    assert versions(quiz) == {"city": [1, 2], "count": [1, 2], "pillar": [1]}
    assert snapshot(old.id) == before
    assert db.session.scalar(select(func.count()).select_from(QuestionVersion)) == 5


# ------------------------------------------------------------- item analysis per version


def rows_of(report: dict) -> dict[tuple[str, int], dict]:
    """(question key, version number) -> that version's row of the item analysis."""
    return {(i["key"], i["version"]): i for i in report["items"]}


def test_item_analysis_keeps_each_version_apart_after_a_key_change(app, tree, now, make_user):
    """The issue's case: the author changes the right answer of `city` after two attempts
    were graded under version 1; every answer is right under its own version."""
    quiz = tree.publish(quiz_md(V1), now)
    for _ in range(2):
        learner = make_user()
        take(quiz, learner, courses.enrol(learner, quiz.item.course, now), now)
    later = now + timedelta(days=1)
    quiz = tree.publish(quiz_md(V2), later)
    learner = make_user()
    take(quiz, learner, courses.enrol(learner, quiz.item.course, later), later)

    report = services.analyse(quiz, services.submitted_attempts(quiz))
    rows = rows_of(report)
    assert [(i["key"], i["version"]) for i in report["items"]] == [
        ("city", 2), ("city", 1), ("count", 2), ("count", 1), ("pillar", 1)]
    old, new = rows[("city", 1)], rows[("city", 2)]
    assert (old["n"], old["facility"], old["current"]) == (2, 1.0, False)
    assert (new["n"], new["facility"], new["current"]) == (1, 1.0, True)
    assert old["introduced_at"] == now and new["introduced_at"] == later
    # Each version's options and key are its own: Portland was right under version 1.
    assert [(o["text"], o["correct"], o["count"]) for o in old["options"]] == [
        ("Portland", True, 2), ("Atlanta", False, 0)]
    assert [(o["text"], o["correct"], o["count"]) for o in new["options"]] == [
        ("Portland", False, 0), ("Atlanta", True, 1)]
    assert rows[("pillar", 1)]["n"] == 3 and rows[("pillar", 1)]["facility"] == 1.0
    # Only `pillar` was seen by all three attempts in one version.
    assert report["test"]["reliability_items"] == 1


def test_item_analysis_marks_removed_questions_retired(app, tree, now, make_user):
    quiz = tree.publish(quiz_md(V1), now)
    learner = make_user()
    take(quiz, learner, courses.enrol(learner, quiz.item.course, now), now)
    quiz = tree.publish(quiz_md(V1.split("## Which Pillar")[0]), now + timedelta(days=1))
    rows = rows_of(services.analyse(quiz, services.submitted_attempts(quiz)))
    assert {k: r["retired"] for k, r in rows.items()} == {
        ("city", 1): False, ("count", 1): False, ("pillar", 1): True}
    assert rows[("pillar", 1)]["n"] == 1


def test_reimport_returning_to_an_earlier_version_reuses_it(app, tree, now, make_user):
    quiz = tree.publish(quiz_md(V1), now)
    first = make_user()
    old = take(quiz, first, courses.enrol(first, quiz.item.course, now), now)
    v1_ids = {aq.version.data["key"]: aq.version_id for aq in old.questions}

    quiz = tree.publish(quiz_md(V2), now + timedelta(days=1))
    assert versions(quiz) == {"city": [1, 2], "count": [1, 2], "pillar": [1]}
    quiz = tree.publish(quiz_md(V1), now + timedelta(days=2))
    assert versions(quiz) == {"city": [1, 2], "count": [1, 2], "pillar": [1]}  # no third
    assert {q.key: q.current_version_id for q in quiz.questions} == v1_ids
    assert db.session.scalar(select(func.count()).select_from(QuestionVersion)) == 5

    second = make_user()
    later = now + timedelta(days=3)
    new = take(quiz, second, courses.enrol(second, quiz.item.course, later), later)
    assert {aq.version.data["key"]: aq.version_id for aq in new.questions} == v1_ids
    assert new.percent == 100.0

    report = services.analyse(quiz, services.submitted_attempts(quiz))
    rows = rows_of(report)
    # Version 2 was never answered: only the current version 1 is listed, with both attempts.
    assert sorted(rows) == [("city", 1), ("count", 1), ("pillar", 1)]
    assert all(r["n"] == 2 and r["facility"] == 1.0 and r["current"] for r in rows.values())
    assert report["test"]["reliability_items"] == 3


def test_results_page_and_csv_say_which_version_each_row_is(app, tree, now, make_user,
                                                             sign_in, count_queries):
    import csv
    import io

    app.config["FROZEN_NOW"] = now + timedelta(days=5)
    quiz = tree.publish(quiz_md(V1), now)
    teacher = make_user("instructor", email="teach@example.org")
    client = app.test_client()
    sign_in(client, teacher)

    def learners(n: int, when) -> None:
        for _ in range(n):
            learner = make_user()
            take(quiz, learner, courses.enrol(learner, quiz.item.course, when), when)

    def page_queries() -> int:
        with count_queries() as counter:
            assert client.get(f"/quiz/{quiz.id}/results").status_code == 200
        return counter.count

    learners(2, now)
    later = now + timedelta(days=1)
    quiz = tree.publish(quiz_md(V2.split("## Which Pillar")[0]), later)
    learners(1, later)
    small = page_queries()

    page = client.get(f"/quiz/{quiz.id}/results").get_data(as_text=True)
    assert "Version 2, introduced 25 Nov 2026, 12:00 UTC · current" in page
    assert "Version 1, introduced 24 Nov 2026, 12:00 UTC · earlier version" in page
    assert '<span class="badge warn">retired</span>' in page
    rows = list(csv.DictReader(io.StringIO(
        client.get(f"/quiz/{quiz.id}/analysis.csv").get_data(as_text=True))))
    table = [(r["question_key"], r["version"], r["current_version"], r["retired"], r["n"],
              r["facility"]) for r in rows]
    assert table == [("city", "2", "yes", "no", "1", "1.0"), ("city", "1", "no", "no", "2", "1.0"),
                     ("count", "2", "yes", "no", "1", "1.0"),
                     ("count", "1", "no", "no", "2", "1.0"),
                     ("pillar", "1", "yes", "yes", "2", "1.0")]
    assert rows[1]["version_introduced"] == "2026-11-24T12:00+00:00"

    # More attempts, and a third version, do not add queries to the page.
    learners(4, later)
    quiz = tree.publish(quiz_md(V1.replace("Portland", "Portland, Oregon")),
                        now + timedelta(days=2))
    learners(3, now + timedelta(days=2))
    assert page_queries() == small
