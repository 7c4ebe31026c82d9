"""Issue 7, the exam and quiz screens: inputs say what they accept, flags and the summary before
submitting, the time allowed with accommodations, results (points, grouped tags, tables, next
item), staff wording, accommodation caps."""
from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from lms.errors import ValidationError
from lms.extensions import db
from lms.quizzes import services, tags
from lms.quizzes.forms import MAX_TEXT, answer_problems
from lms.quizzes.models import Accommodation, AttemptQuestion
from lms.quizzes.views import points_filter
from tests.builders import (
    choice_questions,
    count,
    install,
    item_url,
    latest_attempt,
    quiz_md,
)
from tests.quizzes.test_quiz_views import fields_for, signed_in, start, take  # noqa: F401

NUMERIC = {"key": "n", "type": "numeric", "position": 1}
TEXT = {"key": "t", "type": "text", "position": 2}
ORDER = {"key": "o", "type": "ordering", "position": 3,
         "items": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}


def problems(**fields) -> list[str]:
    form = MultiDict({"present-n": "1", "present-t": "1", "present-o": "1", **fields})
    return answer_problems([NUMERIC, TEXT, ORDER], form)


# --------------------------------------------------------------------------- inputs


@pytest.mark.parametrize("value", ["twenty-two", "²", "①", "1" * 5000, "١٢", "12 km", "1e999x"])
def test_a_numeric_answer_that_is_not_digits_is_refused(value):
    found = problems(**{"q-n": value})
    assert len(found) == 1 and found[0].startswith("Question 1:") and "not a number" in found[0]


@pytest.mark.parametrize("value", ["", "22", "-3", "2,5", " 2.5 ", "1e3"])
def test_numbers_written_in_digits_pass(value):
    assert problems(**{"q-n": value}) == []


def test_a_short_answer_over_the_limit_is_refused_not_cut():
    assert problems(**{"q-t": "x" * MAX_TEXT}) == []
    found = problems(**{"q-t": "x" * (MAX_TEXT + 1)})
    assert found and "limit is 500" in found[0] and "nothing was cut" in found[0]


@pytest.mark.parametrize("ranks,message", [(("1", "1", "2"), "same position"),
                                           (("1", "²", "3"), "whole number from 1 to 3"),
                                           (("1", "4", "2"), "whole number from 1 to 3"),
                                           (("①", "2", "3"), "whole number from 1 to 3")])
def test_ordering_refuses_shared_and_odd_positions(ranks, message):
    found = problems(**{f"q-o-{i}": r for i, r in zip("abc", ranks, strict=True)})
    assert len(found) == 1 and message in found[0]


def test_the_server_refuses_words_for_a_number_and_saves_nothing(app, tmp_path, now,
                                                                   learner_in):
    quiz = install(tmp_path, now, quiz_md())
    browser, learner = learner_in(quiz)
    start(browser, quiz)
    attempt = latest_attempt(quiz, learner)
    url = f"/quiz/attempts/{attempt.id}/answers"
    for value in ("twenty-two", "²"):
        r = browser.post(url, data={"present-num": "1", "q-num": value, "present-tf": "1",
                                    "q-tf": "b"}, headers={"Accept": "application/json"})
        assert r.status_code == 422 and "is not a number" in r.get_json()["error"]
    ordering = next(aq.version.data for aq in attempt.questions
                    if aq.version.data["type"] == "ordering")
    r = browser.post(url, data={"present-ord": "1",
                                **{f"q-ord-{i['id']}": "²" for i in ordering["items"]}},
                     follow_redirects=True)
    assert r.status_code == 200 and "a position must be a whole number" in r.get_data(True)
    assert all(aq.response is None for aq in latest_attempt(quiz, learner).questions)
    page = browser.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert "Digits only, e.g. 22" in page and 'data-numeric' in page
    assert 'maxlength=' not in page  # a browser cap would cut pasted text silently


# --------------------------------------------------------------------------- flags, summary


def test_flags_are_saved_with_answers_and_summarised_before_submitting(app, tmp_path, now,
                                                                        learner_in):
    quiz = install(tmp_path, now, quiz_md(choice_questions(3)))
    browser, learner = learner_in(quiz)
    start(browser, quiz)
    attempt = latest_attempt(quiz, learner)
    keys = [aq.version.data["key"] for aq in attempt.questions]
    first, second, third = keys
    right = {k: next(o["id"] for o in aq.version.data["options"] if o["correct"])
             for k, aq in zip(keys, attempt.questions, strict=True)}
    form = {f"present-{k}": "1" for k in keys}
    form.update({f"q-{first}": right[first], f"q-{second}": right[second],
                 f"flag-{second}": "1"})

    r = browser.post(f"/quiz/attempts/{attempt.id}/answers?then=summary", data=form)

    assert r.status_code == 302 and r.location.endswith(f"/quiz/attempts/{attempt.id}/summary")
    stored = latest_attempt(quiz, learner)
    assert [aq.flagged for aq in stored.questions] == [False, True, False]
    page = browser.get(r.location).get_data(as_text=True)
    assert "2 answered" in page and "1 unanswered" in page and "1 flagged for review" in page
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr")[1:]
    assert "Answered" in rows[0] and "Flagged" not in rows[0]
    assert "Answered" in rows[1] and "Flagged for review" in rows[1]
    assert "Not answered" in rows[2]
    assert f'href="/quiz/attempts/{attempt.id}#question-3"' in rows[2]
    assert latest_attempt(quiz, learner).status == "open"  # nothing submitted yet
    attempt_page = browser.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert re.search(rf'name="flag-{second}" value="1" checked', attempt_page)

    # unticking a flag clears it; the confirm button submits for good
    form.pop(f"flag-{second}")
    browser.post(f"/quiz/attempts/{attempt.id}/answers", data=form)
    assert not any(aq.flagged for aq in latest_attempt(quiz, learner).questions)
    r = browser.post(f"/quiz/attempts/{attempt.id}/submit", data={})
    assert latest_attempt(quiz, learner).status == "submitted"


def test_flags_for_questions_outside_the_attempt_are_refused(app, tmp_path, now, learner_in):
    quiz = install(tmp_path, now, quiz_md(choice_questions(6), draw=2))
    browser, learner = learner_in(quiz)
    start(browser, quiz)
    attempt = latest_attempt(quiz, learner)
    with pytest.raises(ValidationError):
        services.save_answers(attempt, {}, now, flags={"not-drawn"})
    assert count(AttemptQuestion, AttemptQuestion.flagged.is_(True)) == 0


def test_long_quizzes_get_a_question_navigator(app, tmp_path, now, learner_in):
    short = install(tmp_path, now, quiz_md(choice_questions(3)), code="Q-1")
    long = install(tmp_path, now, quiz_md(choice_questions(12)), code="Q-2")
    for quiz, has_nav in ((short, False), (long, True)):
        browser, learner = learner_in(quiz)
        start(browser, quiz)
        page = browser.get(f"/quiz/attempts/{latest_attempt(quiz, learner).id}").get_data(True)
        assert ('id="question-nav"' in page) is has_nav
        if has_nav:
            assert page.count('data-nav-for="') == 12 and 'href="#question-12"' in page


# --------------------------------------------------------------------------- time


def test_the_stated_length_includes_the_accommodation(app, tmp_path, now, learner_in,
                                                      signed_in):  # noqa: F811
    quiz = install(tmp_path, now, quiz_md(choice_questions(2), time_limit=60))
    browser, learner = learner_in(quiz)
    teacher, teacher_user = signed_in("instructor", "teach@example.org")
    services.grant_accommodation(quiz, learner, "extra_time", 30, teacher_user, now)

    page = browser.get(item_url(quiz)).get_data(as_text=True)
    assert "Time limit 90 minutes: 60 + 30 extra" in page
    start(browser, quiz)
    page = browser.get(f"/quiz/attempts/{latest_attempt(quiz, learner).id}").get_data(True)
    assert "Time allowed: 90 minutes: 60 + 30 extra" in page
    # the countdown sits in the sticky bar with a live region for the 10/5/1-minute notices
    bar = page.split('class="attempt-bar"', 1)[1].split("</div>", 1)[0]
    assert 'id="timer"' in bar and 'aria-live="assertive"' in bar
    css = (app.static_folder + "/css/quiz.css")
    assert re.search(r"\.attempt-bar \{[^}]*position: sticky", open(css).read())
    other, _ = learner_in(quiz)
    assert "Time limit 60 minutes</li>" in other.get(item_url(quiz)).get_data(as_text=True)


def test_accommodations_are_capped_and_extra_time_needs_a_time_limit(app, tmp_path, now,
                                                                     make_user):
    untimed = install(tmp_path, now, quiz_md(choice_questions(2)), code="Q-1")
    timed = install(tmp_path, now, quiz_md(choice_questions(2), time_limit=30), code="Q-2")
    teacher = make_user("instructor", email="teach@example.org")
    learner = make_user()
    from lms.courses import services as courses
    for quiz in (untimed, timed):
        courses.enrol(learner, quiz.item.course, now)

    with pytest.raises(ValidationError, match="no time limit"):
        services.grant_accommodation(untimed, learner, "extra_time", 10, teacher, now)
    services.grant_accommodation(timed, learner, "extra_time", 200, teacher, now,
                                 max_minutes=240)
    with pytest.raises(ValidationError, match="at most 40 more"):
        services.grant_accommodation(timed, learner, "extra_time", 41, teacher, now,
                                     max_minutes=240)
    with pytest.raises(ValidationError, match="At most 2 extra attempts"):
        services.grant_accommodation(timed, learner, "extra_attempt", 3, teacher, now,
                                     max_attempts=2)
    assert count(Accommodation) == 1

    app.config["QUIZ_MAX_EXTRA_ATTEMPTS"] = 1
    db.session.expire_all()
    r = _teacher_client(app, teacher).post(
        f"/quiz/{untimed.id}/accommodations",
        data={"learner": learner.email, "kind": "extra_time", "amount": "15"},
        follow_redirects=True)
    assert "This quiz has no time limit" in r.get_data(as_text=True)
    r = _teacher_client(app, teacher).post(
        f"/quiz/{timed.id}/accommodations",
        data={"learner": learner.email, "kind": "extra_attempt", "amount": "2"},
        follow_redirects=True)
    assert "At most 1 extra attempts per learner and quiz" in r.get_data(as_text=True)
    assert count(Accommodation) == 1


def _teacher_client(app, user):
    from tests.conftest import DEFAULT_PASSWORD

    client = app.test_client()
    client.post("/account/signin", data={"email": user.email, "password": DEFAULT_PASSWORD})
    return client


# --------------------------------------------------------------------------- results


def test_points_show_at_most_one_decimal():
    assert [points_filter(v) for v in (2, 1.5, 1 / 3, 2 / 3, 0, None, 7.25)] == \
        ["2", "1.5", "0.3", "0.7", "0", "0", "7.2"]


def test_tags_are_grouped_by_meaning_in_the_programmes_order():
    stats = {"percent": 50.0, "earned": 1, "possible": 2}
    per_tag = {t: stats for t in ("zoning", "mobility", "racial-equity", "belonging",
                                  "domain-civic-participation", "climate-resilience",
                                  "domain-housing", "pillars", "history")}
    groups = tags.group_tags(per_tag)
    assert [g.name for g in groups] == ["Pillars", "Commitments", "Domains", "Other"]
    assert [t.tag for t in groups[0].tags] == ["pillars", "racial-equity", "climate-resilience"]
    assert [t.tag for t in groups[1].tags] == ["belonging", "mobility"]
    assert [t.label for t in groups[2].tags] == ["Civic participation", "Housing"]
    assert [t.tag for t in groups[3].tags] == ["history", "zoning"]


def test_an_exams_candidate_sees_the_domains_only():
    """Issue 15: the exam's breakdown is by domain only; instructors see every group."""
    stats = {"percent": 50.0, "earned": 1, "possible": 2}
    per_tag = {t: stats for t in ("domain-equity", "level-recall", "domain-conduct",
                                  "level-analysis", "zoning")}
    everything = tags.group_tags(per_tag)
    assert [g.name for g in everything] == ["Domains", "Cognitive levels", "Other"]
    assert [t.label for t in everything[1].tags] == ["Analysis", "Recall"]
    shown = tags.candidate_groups(per_tag, exam=True)
    assert [g.name for g in shown] == ["Domains"]
    assert [t.label for t in shown[0].tags] == ["Conduct", "Equity"]
    # A quiz that is not an exam, or an exam without domain tags, keeps every group.
    assert tags.candidate_groups(per_tag, exam=False) == everything
    no_domains = {"level-recall": stats, "zoning": stats}
    assert tags.candidate_groups(no_domains, exam=True) == tags.group_tags(no_domains)


@given(st.dictionaries(st.from_regex(r"[a-z][a-z-]{0,20}", fullmatch=True),
                       st.just({"percent": 1.0}), max_size=15))
def test_every_tag_appears_once_and_other_comes_last(per_tag):
    groups = tags.group_tags(per_tag)
    seen = [t.tag for g in groups for t in g.tags]
    assert sorted(seen) == sorted(per_tag)
    names = [g.name for g in groups]
    assert len(set(names)) == len(names)
    assert "Other" not in names[:-1]


def test_the_result_page(app, tmp_path, now, learner_in):
    body = ("## Which pillar? {id=p points=1 tags=racial-equity}\n- (x) A\n- ( ) B\n\n"
            "## Which commitment? {id=c points=2 tags=belonging}\n- (x) A\n- ( ) B\n\n"
            "## Domain question {id=d points=1 tags=domain-housing}\n- (x) A\n- ( ) B\n\n"
            "## Match {id=match tags=zoning}\n- One => 1\n- Two => 2\n- Three => 3\n")
    quiz = install(tmp_path, now, quiz_md(body, review="after_submit"))
    courses_root = tmp_path / "courses" / "q-1"
    (courses_root / "02-after.md").write_text("---\ntitle: After the check\n---\n\nText.\n")
    from lms.courses import services as courses
    courses.import_courses(tmp_path / "courses", now)
    browser, learner = learner_in(quiz)
    attempt = take(app, browser, quiz, learner, now, right={"p", "c", "d"})

    page = browser.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    breakdown = page.split('id="tag-breakdown"', 1)[1].split("</table>", 1)[0]
    order = [m for m in re.findall(r"(Pillars|Commitments|Domains|Other)", breakdown)]
    assert order == ["Pillars", "Commitments", "Domains", "Other"]
    assert "Racial equity" in breakdown and "Housing" in breakdown
    assert re.search(r'id="next-item" href="/courses/Q-1/items/after"[^>]*>Next item: After',
                     page)
    review = page.split('id="review-heading"', 1)[1]
    assert '<table class="answer-table">' in review and "Your matches" in review
    assert "One → " not in review  # no semicolon list any more
    assert "Learner&#39;s" not in page


def test_the_exam_result_shows_the_breakdown_by_domain_only(app, tmp_path, now, learner_in):
    body = ("## Equity {id=e points=1 tags=domain-equity,level-recall}\n- (x) A\n- ( ) B\n\n"
            "## Conduct {id=c points=1 tags=domain-conduct,level-analysis}\n- (x) A\n- ( ) B\n")
    quiz = install(tmp_path, now, quiz_md(body, exam=True))
    browser, learner = learner_in(quiz)
    assert start(browser, quiz, honour="y").status_code == 302
    attempt = latest_attempt(quiz, learner)
    html = browser.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    browser.post(f"/quiz/attempts/{attempt.id}/submit",
                 data=fields_for(html, attempt, right={"e"}))

    page = browser.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    breakdown = page.split('id="tag-breakdown"', 1)[1].split("</table>", 1)[0]
    assert "Breakdown by content domain" in breakdown
    assert "Equity" in breakdown and "Conduct" in breakdown
    assert "Recall" not in breakdown and "Analysis" not in breakdown
    assert "Other" not in breakdown and "Cognitive levels" not in breakdown


def test_points_of_a_partly_right_question_show_one_decimal(app, tmp_path, now, learner_in):
    body = "## Match {id=match points=1}\n- One => 1\n- Two => 2\n- Three => 3\n"
    quiz = install(tmp_path, now, quiz_md(body))
    browser, learner = learner_in(quiz)
    start(browser, quiz)
    attempt = latest_attempt(quiz, learner)
    q = attempt.questions[0].version.data
    pairs = q["pairs"]
    data = {"present-match": "1", f"q-match-{pairs[0]['id']}": pairs[0]["right_id"]}
    browser.post(f"/quiz/attempts/{attempt.id}/submit", data=data)
    page = browser.get(f"/quiz/attempts/{attempt.id}").get_data(as_text=True)
    assert "0.3 / 1 points" in page and "0.333" not in page
    assert latest_attempt(quiz, learner).submitted_at == now
