"""Quiz pages through the test client: taking a quiz, exams, review, instructor pages.

Time is frozen with ``app.config["FROZEN_NOW"]``. Each request runs in its own app context
(see ``FreshContextClient`` in tests/conftest.py), so every client has its own signed-in user
and database session, as in production.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from lms.courses.models import ItemProgress
from lms.extensions import db
from lms.quizzes import services
from lms.quizzes.models import Accommodation, Attempt, Quiz
from tests.builders import (
    choice_questions,
    correct_response,
    count,
    install,
    item_url,
    latest_attempt,
    quiz_md,
    response_fields,
    wrong_response,
)

# --------------------------------------------------------------------------- helpers


class FormFields(HTMLParser):
    """Names of form fields on a page, the values each offers, and what is pre-filled."""

    def __init__(self, html: str):
        super().__init__()
        self.offered: dict[str, set] = {}
        self.filled: dict[str, list] = {}
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name"):
            self.offered.setdefault(a["name"], set()).add(a.get("value"))
            if a.get("type") in ("radio", "checkbox"):
                if "checked" in a:
                    self.filled.setdefault(a["name"], []).append(a.get("value"))
            elif a.get("value"):
                self.filled.setdefault(a["name"], []).append(a["value"])
        elif tag == "select":
            self._select = a.get("name")
            self.offered.setdefault(self._select, set())
        elif tag == "option" and self._select:
            self.offered[self._select].add(a.get("value"))
            if "selected" in a:
                self.filled.setdefault(self._select, []).append(a.get("value"))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def fields_for(page: str, attempt: Attempt, right: set[str] | None = None,
               only: set[str] | None = None) -> dict:
    """Form data answering the attempt (right for keys in `right`, all when None), checking
    that every field and value used is really offered by the attempt page."""
    offered = FormFields(page).offered
    data: dict = {}
    for aq in attempt.questions:
        q = aq.version.data
        if only is not None and q["key"] not in only:
            continue
        response = correct_response(q) if right is None or q["key"] in right \
            else wrong_response(q)
        for name, value in response_fields(q, response).items():
            assert name in offered, f"{name} is not a field of the attempt page"
            if q["type"] not in ("numeric", "text") and not name.startswith("present-"):
                for v in value if isinstance(value, list) else [value]:
                    assert v in offered[name], f"{v!r} is not offered for {name}"
            data[name] = value
    return data


@pytest.fixture
def signed_in(app, make_user, sign_in, now):
    """signed_in(role, email=None) -> (browser, user)."""
    app.config["FROZEN_NOW"] = now

    def make(role: str = "learner", email: str | None = None):
        user = make_user(role, email=email)
        browser = app.test_client()
        sign_in(browser, user)
        return browser, user

    return make


def start(browser: FlaskClient, quiz: Quiz, **data):
    return browser.post(f"/quiz/{quiz.id}/start", data=data)


def take(app, browser, quiz, user, now, right=None):
    """Start, answer through the page's fields and submit; returns the attempt."""
    assert start(browser, quiz).status_code == 302
    attempt = latest_attempt(quiz, user)
    page = browser.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    r = browser.post(f"/quiz/attempts/{attempt.id}/submit",
                     data=fields_for(page, attempt, right))
    assert r.status_code == 302
    return latest_attempt(quiz, user)


# --------------------------------------------------------------------------- taking a quiz


def without_csrf(html: str) -> str:
    """The page with its CSRF fields blanked: their tokens change with the second."""
    return re.sub(r'<input[^>]*name="csrf_token"[^>]*>', "<csrf>", html)


def test_learner_starts_answers_autosaves_resumes_and_submits(app, tmp_path, now, learner_in):
    quiz = install(tmp_path, now, quiz_md(passing_score=70, shuffle=True))
    browser, learner = learner_in(quiz)

    page = browser.get(item_url(quiz)).get_data(as_text=True)
    assert f'action="/quiz/{quiz.id}/start"' in page and "Start the quiz" in page
    assert "7 questions" in page and "Pass mark 70%" in page

    r = start(browser, quiz)
    attempt = latest_attempt(quiz, learner)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/quiz/attempts/{attempt.id}")
    first = browser.get(f"/quiz/attempts/{attempt.id}")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    # Same draw, same option order on reload (the CSRF tokens carry a timestamp).
    assert without_csrf(browser.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)) \
        == without_csrf(html)

    # Autosave half the answers (what quiz.js sends: the whole form, Accept: JSON).
    half = fields_for(html, attempt, only={"multi", "tf", "match"})
    r = browser.post(f"/quiz/attempts/{attempt.id}/answers", data=half,
                     headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.get_json() == {"saved": 3, "at": now.isoformat()}

    # Leave and come back: the item page offers to continue; the answers are filled in.
    app.config["FROZEN_NOW"] = now + timedelta(hours=5)
    page = browser.get(item_url(quiz)).get_data(as_text=True)
    assert f'href="/quiz/attempts/{attempt.id}"' in page and "Continue your attempt" in page
    assert f'action="/quiz/{quiz.id}/start"' not in page
    filled = FormFields(browser.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)).filled
    for name, value in half.items():
        if not name.startswith("present-"):
            assert sorted(filled[name]) == sorted(value if isinstance(value, list)
                                                  else [value]), name

    # Submit the rest; the saved answers count.
    rest = fields_for(html, attempt, only={"single", "num", "txt", "ord"})
    r = browser.post(f"/quiz/attempts/{attempt.id}/submit", data=rest)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/quiz/attempts/{attempt.id}")
    result = browser.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert '<span id="score">100%</span>' in result and "result-pass" in result
    assert "8 of 8 points" in result and "correct answer" in result  # after_submit review

    stored = latest_attempt(quiz, learner)
    assert stored.status == "submitted" and stored.percent == 100.0
    assert stored.submitted_at == now + timedelta(hours=5)
    assert count(ItemProgress, ItemProgress.item_id == quiz.item_id) == 1
    page = browser.get(item_url(quiz)).get_data(as_text=True)
    assert "Your grade for this quiz: <strong>100%</strong> · passed" in page


def test_every_question_type_scores_through_the_form(app, tmp_path, now, learner_in):
    quiz = install(tmp_path, now, quiz_md(passing_score=90))
    browser, learner = learner_in(quiz)
    attempt = take(app, browser, quiz, learner, now, right={"multi", "num", "match"})
    earned = {aq.version.data["key"]: aq.earned for aq in attempt.questions}
    assert earned == {"multi": 2.0, "tf": 0.0, "single": 0.0, "num": 1.0, "txt": 0.0,
                      "match": 1.0, "ord": 0.0}
    assert attempt.percent == 50.0 and attempt.passed is False
    page = browser.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert '<span id="score">50%</span>' in page and "result-fail" in page


def test_no_script_save_button_saves_and_returns_to_the_attempt(app, tmp_path, now, learner_in):
    quiz = install(tmp_path, now, quiz_md())
    browser, learner = learner_in(quiz)
    start(browser, quiz)
    attempt = latest_attempt(quiz, learner)
    html = browser.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    r = browser.post(f"/quiz/attempts/{attempt.id}/answers",
                     data=fields_for(html, attempt, only={"txt"}), follow_redirects=True)
    assert r.status_code == 200 and "Your answers are saved." in r.get_data(as_text=True)
    assert FormFields(r.get_data(as_text=True)).filled["q-txt"] == ["land"]


#: The attempt page's statements, pinned (issue 16): session and user; the attempt with its
#: quiz, item and course (joined); its drawn questions; their versions; the bell.
ATTEMPT_PAGE_QUERIES = 5


@pytest.mark.parametrize("questions", [2, 12])
def test_the_attempt_page_takes_constant_queries(app, tmp_path, now, learner_in,
                                                  count_queries, questions):
    quiz = install(tmp_path, now, quiz_md(choice_questions(questions)))
    browser, learner = learner_in(quiz)
    assert start(browser, quiz).status_code == 302
    attempt = latest_attempt(quiz, learner)
    with count_queries() as counter:
        page = browser.get(f"/quiz/attempts/{attempt.id}")
    assert page.status_code == 200 and "Check" in page.get_data(as_text=True)
    assert counter.count == ATTEMPT_PAGE_QUERIES, "\n".join(counter.statements)


def test_starting_twice_resumes_the_open_attempt(app, tmp_path, now, learner_in):
    quiz = install(tmp_path, now, quiz_md())
    browser, learner = learner_in(quiz)
    first = start(browser, quiz).headers["Location"]
    assert start(browser, quiz).headers["Location"] == first
    assert count(Attempt) == 1


def test_autosave_and_submit_carry_the_csrf_token(app, tmp_path, now, learner_in):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2)))
    browser, learner = learner_in(quiz)
    start(browser, quiz)
    attempt = latest_attempt(quiz, learner)
    app.config["WTF_CSRF_ENABLED"] = True
    html = browser.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    answers = fields_for(html, attempt)
    url = f"/quiz/attempts/{attempt.id}"
    assert browser.post(f"{url}/answers", data=answers,
                        headers={"Accept": "application/json"}).status_code == 400
    assert browser.post(f"{url}/submit", data=answers).status_code == 400
    assert latest_attempt(quiz, learner).status == "open"
    r = browser.post(f"{url}/answers", data={**answers, "csrf_token": token},
                     headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.get_json()["saved"] == 2
    browser.post(f"{url}/submit", data={"csrf_token": token})
    assert latest_attempt(quiz, learner).percent == 100.0


def test_not_enrolled_cannot_start(app, tmp_path, now, signed_in):
    quiz = install(tmp_path, now, quiz_md())
    browser, _ = signed_in()
    r = browser.post(f"/quiz/{quiz.id}/start", follow_redirects=True)
    assert count(Attempt) == 0
    assert "Enrol in" in r.get_data(as_text=True)


def test_a_quiz_removed_from_its_course_cannot_be_started(app, tmp_path, now, learner_in):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2)))
    browser, learner = learner_in(quiz)
    quiz.item.active = False
    db.session.commit()
    assert start(browser, quiz).status_code == 404
    assert latest_attempt(quiz, learner) is None


def test_time_up_autosave_is_refused_and_the_attempt_is_submitted(app, tmp_path, now,
                                                                   learner_in):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2), time_limit=10))
    browser, learner = learner_in(quiz)
    start(browser, quiz)
    attempt = latest_attempt(quiz, learner)
    html = browser.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert 'data-remaining="600"' in html
    browser.post(f"/quiz/attempts/{attempt.id}/answers", data=fields_for(html, attempt,
                                                                         only={"q1"}))
    app.config["FROZEN_NOW"] = now + timedelta(minutes=10) + services.GRACE + timedelta(seconds=1)
    r = browser.post(f"/quiz/attempts/{attempt.id}/answers", data=fields_for(html, attempt),
                     headers={"Accept": "application/json"})
    assert r.status_code == 409
    assert r.get_json()["submitted"] is True
    assert r.get_json()["result_url"].endswith(f"/quiz/attempts/{attempt.id}")
    stored = latest_attempt(quiz, learner)
    assert stored.status == "submitted" and stored.auto_submitted and stored.earned == 1.0
    page = browser.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert "automatically, when time ran out" in page and '<span id="score">50%</span>' in page


def test_late_submit_counts_only_answers_saved_in_time(app, tmp_path, now, learner_in):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2), time_limit=10))
    browser, learner = learner_in(quiz)
    start(browser, quiz)
    attempt = latest_attempt(quiz, learner)
    html = browser.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    app.config["FROZEN_NOW"] = now + timedelta(minutes=11)
    browser.post(f"/quiz/attempts/{attempt.id}/submit", data=fields_for(html, attempt))
    stored = latest_attempt(quiz, learner)
    assert stored.status == "submitted" and stored.auto_submitted and stored.earned == 0.0
    assert all(aq.response is None for aq in stored.questions)


def test_used_up_attempts_and_cooldown_block_a_new_start(app, tmp_path, now, learner_in):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2), attempts=1))
    browser, learner = learner_in(quiz)
    take(app, browser, quiz, learner, now, right=set())
    page = browser.get(item_url(quiz)).get_data(as_text=True)
    assert "You have used all your attempts." in page
    assert f'action="/quiz/{quiz.id}/start"' not in page
    r = start(browser, quiz)
    assert r.status_code == 302 and r.headers["Location"].endswith(item_url(quiz))
    assert count(Attempt) == 1


# --------------------------------------------------------------------------- exam mode


EXAM = dict(exam=True, passing_score=75, cooldown_hours=24)


def test_exam_honour_statement_result_without_answers_and_cooldown(app, tmp_path, now,
                                                                  learner_in):
    quiz = install(tmp_path, now, quiz_md(**EXAM))
    browser, learner = learner_in(quiz)
    page = browser.get(item_url(quiz)).get_data(as_text=True)
    assert services.HONOUR_STATEMENT in page and 'name="honour"' in page

    r = start(browser, quiz)  # honour box not ticked
    assert r.status_code == 302 and r.headers["Location"].endswith(item_url(quiz))
    assert count(Attempt) == 0
    assert start(browser, quiz, honour="y").status_code == 302
    attempt = latest_attempt(quiz, learner)
    assert attempt.honour_confirmed_at == now

    html = browser.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert "Submit exam" in html
    browser.post(f"/quiz/attempts/{attempt.id}/submit",
                 data=fields_for(html, attempt, right={"multi", "tf"}))
    result = browser.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert '<span id="score">38%</span>' in result and "result-fail" in result
    assert "Breakdown by topic" in result
    assert re.search(r"Pillars</th><td>100%", result) and re.search(r"History</th><td>0%",
                                                                     result)
    assert "Review" not in result and "correct answer" not in result.lower()
    for text in ("Partnership for Southern Equity", "Formation", "Getting around"):
        assert text not in result  # not even the learner's own answers are replayed

    # The retake waits out the cooldown.
    app.config["FROZEN_NOW"] = now + timedelta(hours=23)
    page = browser.get(item_url(quiz)).get_data(as_text=True)
    assert "You can try again after 25 Nov 2026, 12:00 UTC." in page
    start(browser, quiz, honour="y")
    assert count(Attempt) == 1
    app.config["FROZEN_NOW"] = now + timedelta(hours=24)
    start(browser, quiz, honour="y")
    retake = latest_attempt(quiz, learner)
    assert retake.number == 2
    html = browser.get(f"/quiz/attempts/{retake.id}").get_data(as_text=True)
    browser.post(f"/quiz/attempts/{retake.id}/submit", data=fields_for(html, retake))
    assert services.exam_passed_at(learner, quiz) == now + timedelta(hours=24)
    assert count(ItemProgress, ItemProgress.item_id == quiz.item_id) == 1
    page = browser.get(item_url(quiz)).get_data(as_text=True)
    assert "You have passed this exam." in page


# --------------------------------------------------------------------------- review policy


@pytest.mark.parametrize("policy, notice", [
    ("after_close", "will be shown once you have no attempts left"),
    ("never", "Answers are not reviewed for this quiz"),
])
def test_review_policy_hides_answers(app, tmp_path, now, learner_in, policy, notice):
    quiz = install(tmp_path, now, quiz_md(review=policy, attempts=2))
    browser, learner = learner_in(quiz)
    attempt = take(app, browser, quiz, learner, now, right={"tf"})
    page = browser.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert notice in page
    assert "correct answer" not in page and "Accepted answers" not in page
    assert "Correct order" not in page and "Correct matches" not in page

    second = take(app, browser, quiz, learner, now, right=set())
    page = browser.get(f"/quiz/attempts/{second.id}").get_data(as_text=True)
    shown = "Accepted answers" in page and "correct answer" in page
    assert shown is (policy == "after_close")  # no attempt left: the quiz has closed


# --------------------------------------------------------------------------- instructors


def three_results(app, tmp_path, now, learner_in):
    """A quiz taken by three learners on three days; q1 always right, q3 never."""
    quiz = install(tmp_path, now, quiz_md(choice_questions(3), passing_score=60))
    learners = []
    for day, right in enumerate(({"q1", "q2"}, {"q1"}, {"q1", "q2"})):
        app.config["FROZEN_NOW"] = now + timedelta(days=day)
        browser, learner = learner_in(quiz, name=f"Learner Number{day}")
        take(app, browser, quiz, learner, now, right=right)
        learners.append((browser, learner))
    app.config["FROZEN_NOW"] = now + timedelta(days=5)
    return quiz, learners


def test_instructor_results_with_date_filter_and_flags(app, tmp_path, now, learner_in,
                                                       signed_in):
    quiz, _ = three_results(app, tmp_path, now, learner_in)
    teacher, _ = signed_in("instructor", "teach@example.org")
    page = teacher.get(item_url(quiz)).get_data(as_text=True)
    assert f'href="/quiz/{quiz.id}/results"' in page

    r = teacher.get(f"/quiz/{quiz.id}/results")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "3 submitted attempts" in page
    assert all(f"Learner Number{d}" in page for d in range(3))
    assert '<span class="badge warn">too hard</span>' in page
    assert '<span class="badge warn">too easy</span>' in page

    page = teacher.get(f"/quiz/{quiz.id}/results?since=2026-11-25&until=2026-11-25")\
        .get_data(as_text=True)
    assert "1 submitted attempt<" in page and "Learner Number1" in page
    assert "Learner Number0" not in page and "Learner Number2" not in page
    page = teacher.get(f"/quiz/{quiz.id}/results?since=2026-11-30&until=2026-11-01")\
        .get_data(as_text=True)
    assert "The end date is before the start date." in page and "3 submitted attempts" in page
    page = teacher.get(f"/quiz/{quiz.id}/results?since=2026-12-20").get_data(as_text=True)
    assert "No submitted attempts match this filter." in page


def test_instructor_results_filter_by_cohort(app, tmp_path, now, learner_in, signed_in):
    from lms.cohorts import services as cohorts

    quiz, learners = three_results(app, tmp_path, now, learner_in)
    cohort = cohorts.create_cohort("Eastbrook team", "", actor=None, now=now)
    cohorts.add_members(cohort, "\n".join(u.email for _, u in learners[:2]), now=now)
    cohorts.create_cohort("Empty intake", "", actor=None, now=now)
    teacher, _ = signed_in("instructor", "teach@example.org")

    page = teacher.get(f"/quiz/{quiz.id}/results").get_data(as_text=True)
    assert '<option value="eastbrook-team">Eastbrook team</option>' in page
    page = teacher.get(f"/quiz/{quiz.id}/results?cohort=eastbrook-team").get_data(as_text=True)
    assert "2 submitted attempts" in page
    assert "Learner Number0" in page and "Learner Number1" in page
    assert "Learner Number2" not in page
    assert "cohort=eastbrook-team" in page  # the CSV link keeps the filter
    r = teacher.get(f"/quiz/{quiz.id}/analysis.csv?cohort=eastbrook-team")
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert {row["n"] for row in rows} == {"2"}
    page = teacher.get(f"/quiz/{quiz.id}/results?cohort=empty-intake&since=2026-11-24")\
        .get_data(as_text=True)
    assert "No submitted attempts match this filter." in page
    # an unknown cohort is a bad filter: it is ignored, with the form showing the error
    page = teacher.get(f"/quiz/{quiz.id}/results?cohort=nope").get_data(as_text=True)
    assert "3 submitted attempts" in page and "Not a valid choice" in page


def test_item_analysis_csv(app, tmp_path, now, learner_in, signed_in):
    quiz, _ = three_results(app, tmp_path, now, learner_in)
    teacher, _ = signed_in("instructor", "teach@example.org")
    r = teacher.get(f"/quiz/{quiz.id}/analysis.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert 'filename="Q-1-check-item-analysis.csv"' in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    by_key = {row["question_key"]: row for row in rows}
    assert set(by_key) == {"q1", "q2", "q3"}
    assert (by_key["q1"]["n"], float(by_key["q1"]["facility"])) == ("3", 1.0)
    assert "too hard" in by_key["q3"]["flags"] and "too easy" in by_key["q1"]["flags"]
    assert "Right q1: 3" in by_key["q1"]["option_counts"]
    r = teacher.get(f"/quiz/{quiz.id}/analysis.csv?since=2026-11-26")
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert {row["n"] for row in rows} == {"1"}


def test_instructor_sees_one_learners_attempt_in_full(app, tmp_path, now, learner_in,
                                                      signed_in):
    quiz = install(tmp_path, now, quiz_md(review="never"))
    browser, learner = learner_in(quiz, name="Dana Doe")
    attempt = take(app, browser, quiz, learner, now, right={"tf", "txt"})
    teacher, _ = signed_in("instructor", "teach@example.org")
    page = teacher.get(f"/quiz/{quiz.id}/attempts/{attempt.id}").get_data(as_text=True)
    assert "Dana Doe · attempt 1" in page
    assert "correct answer" in page and "Accepted answers:</strong> land" in page
    assert "Correct order" in page and "Correct matches" in page
    # Staff read the learner's answers as the learner's, never as "your" (issue 7).
    assert "(the learner&#39;s choice)" in page and "Learner&#39;s answer:" in page
    assert "your choice" not in page and "Your answer" not in page
    assert teacher.get(f"/quiz/{quiz.id}/attempts/{attempt.id + 999}").status_code == 404
    # An attempt at another course's quiz is not reachable through this quiz's URL.
    elsewhere = install(tmp_path, now, quiz_md(choice_questions(1)), code="Q-2",
                        instructors=("other@example.org",))
    outsider, outsider_user = learner_in(elsewhere)
    foreign = take(app, outsider, elsewhere, outsider_user, now)
    assert teacher.get(f"/quiz/{quiz.id}/attempts/{foreign.id}").status_code == 404
    assert teacher.get(f"/quiz/{elsewhere.id}/attempts/{foreign.id}").status_code == 403


def test_grant_extra_attempt_and_extra_time(app, tmp_path, now, learner_in, signed_in):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2), attempts=1, time_limit=10))
    browser, learner = learner_in(quiz, name="Kim Learner")
    take(app, browser, quiz, learner, now, right=set())
    teacher, teacher_user = signed_in("instructor", "teach@example.org")

    r = teacher.post(f"/quiz/{quiz.id}/accommodations",
                     data={"learner": learner.email, "kind": "extra_attempt", "amount": "1",
                           "note": "hospital stay"}, follow_redirects=True)
    assert "Granted to Kim Learner." in r.get_data(as_text=True)
    assert start(browser, quiz).status_code == 302
    attempt = latest_attempt(quiz, learner)
    assert attempt.number == 2 and attempt.deadline_at == now + timedelta(minutes=10)

    app.config["FROZEN_NOW"] = now + timedelta(minutes=5)
    teacher.post(f"/quiz/{quiz.id}/accommodations",
                 data={"learner": learner.email, "kind": "extra_time", "amount": "20"})
    assert latest_attempt(quiz, learner).deadline_at == now + timedelta(minutes=30)
    grants = list(db.session.scalars(select(Accommodation).order_by(Accommodation.id)))
    assert [(g.kind, g.amount, g.granted_by_id, g.granted_at) for g in grants] == [
        ("extra_attempt", 1, teacher_user.id, now),
        ("extra_time", 20, teacher_user.id, now + timedelta(minutes=5))]
    page = teacher.get(f"/quiz/{quiz.id}/results").get_data(as_text=True)
    assert "Kim Learner: 1 extra attempt — granted by Instructor" in page
    assert "on 24 Nov 2026, 12:05 UTC" in page and "(hospital stay)" in page

    # Answers at minute 25 count now.
    app.config["FROZEN_NOW"] = now + timedelta(minutes=25)
    html = browser.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert 'data-remaining="300"' in html
    browser.post(f"/quiz/attempts/{attempt.id}/submit", data=fields_for(html, attempt))
    stored = latest_attempt(quiz, learner)
    assert stored.percent == 100.0 and not stored.auto_submitted

    r = teacher.post(f"/quiz/{quiz.id}/accommodations",
                     data={"learner": "nobody@example.org", "kind": "extra_time",
                           "amount": "5"}, follow_redirects=True)
    assert "No account for nobody@example.org." in r.get_data(as_text=True)
    r = teacher.post(f"/quiz/{quiz.id}/accommodations",
                     data={"learner": learner.email, "kind": "extra_time", "amount": "0"},
                     follow_redirects=True)
    assert "Number must be between 1 and 600." in r.get_data(as_text=True)
    assert count(Accommodation) == 2


def test_instructor_pages_refuse_learners_and_other_instructors(app, tmp_path, now, learner_in,
                                                                signed_in):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2)))
    browser, learner = learner_in(quiz)
    attempt = take(app, browser, quiz, learner, now)
    urls = [f"/quiz/{quiz.id}/results", f"/quiz/{quiz.id}/analysis.csv",
            f"/quiz/{quiz.id}/attempts/{attempt.id}"]
    grant = {"learner": learner.email, "kind": "extra_attempt", "amount": "1"}
    other, _ = signed_in("instructor", "someone-else@example.org")
    registrar, _ = signed_in("registrar")
    for who in (browser, other, registrar):
        for url in urls:
            assert who.get(url).status_code == 403, url
        assert who.post(f"/quiz/{quiz.id}/accommodations", data=grant).status_code == 403
    assert count(Accommodation) == 0
    anonymous = app.test_client()
    r = anonymous.get(urls[0])
    assert r.status_code == 302 and "/account/signin" in r.headers["Location"]
    admin, _ = signed_in("admin")
    assert all(admin.get(url).status_code == 200 for url in urls)


def test_registrar_manages_exams(app, tmp_path, now, signed_in):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2), exam=True))
    registrar, _ = signed_in("registrar")
    assert registrar.get(f"/quiz/{quiz.id}/results").status_code == 200


def test_a_learner_cannot_open_another_learners_attempt(app, tmp_path, now, learner_in):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2)))
    alice, alice_user = learner_in(quiz)
    bob, _ = learner_in(quiz)
    start(alice, quiz)
    attempt = latest_attempt(quiz, alice_user)
    assert bob.get(f"/quiz/attempts/{attempt.id}").status_code == 403
    assert alice.get(f"/quiz/attempts/{attempt.id}").status_code == 200
    assert bob.get(f"/quiz/attempts/{attempt.id + 1000}").status_code == 404


def test_unpublished_course_quiz_is_hidden(app, tmp_path, now, signed_in):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2)))
    quiz.item.course.published = False
    db.session.commit()
    browser, _ = signed_in()
    assert browser.post(f"/quiz/{quiz.id}/start").status_code == 404
    assert browser.post("/quiz/999999/start").status_code == 404
