"""The quiz engine's services against a real database: attempts, answers, rules, exam mode.

Every test imports a small quiz course written in tmp_path with
``lms.courses.services.import_courses`` and drives ``lms.quizzes.services`` with an injected
``now``. Pure grading/draw/analysis rules are tested elsewhere; here the point is that the
server enforces them on stored attempts.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.courses import services as courses
from lms.courses.models import Enrolment, ItemProgress
from lms.errors import PermissionDenied, ValidationError
from lms.extensions import db
from lms.quizzes import grading, services
from lms.quizzes.models import Accommodation, Attempt, Quiz
from tests.builders import choice_questions, correct_response, install, quiz_md, wrong_response

# --------------------------------------------------------------------------- helpers


def enrolled(make_user, quiz: Quiz, now, **kw):
    user = make_user(**kw)
    return user, courses.enrol(user, quiz.item.course, now)


def drawn(attempt: Attempt) -> dict[str, dict]:
    """Question key -> version data of the questions drawn for an attempt."""
    return {aq.version.data["key"]: aq.version.data for aq in attempt.questions}


def answers_for(attempt: Attempt, right: set[str] | None = None) -> dict:
    """Right answers for keys in `right` (all when None), wrong ones for the rest."""
    out = {}
    for key, data in drawn(attempt).items():
        out[key] = correct_response(data) if right is None or key in right else \
            wrong_response(data)
    return out


def item_done_count(enrolment: Enrolment) -> int:
    return db.session.scalar(select(func.count()).select_from(ItemProgress)
                             .where(ItemProgress.enrolment_id == enrolment.id))


# --------------------------------------------------------------------------- starting


def test_start_draws_questions_and_fixes_them_for_the_attempt(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(choice_questions(6), shuffle=True, draw=4))
    learner, enrolment = enrolled(make_user, quiz, now)

    attempt = services.start_attempt(quiz, learner, enrolment, now)
    first = services.public_questions(attempt)
    assert len(first) == 4 and len({q["key"] for q in first}) == 4
    assert attempt.status == "open" and attempt.number == 1 and attempt.deadline_at is None

    # Starting again (or reloading later) resumes the same attempt with the same draw.
    db.session.expire_all()
    again = services.start_attempt(quiz, learner, enrolment, now + timedelta(hours=3))
    assert again.id == attempt.id
    reloaded = services.get_attempt_for(learner, attempt.id, now + timedelta(hours=3))
    assert services.public_questions(reloaded) == first
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_shuffle_differs_between_attempts_but_each_is_stored(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(choice_questions(5), shuffle=True))
    orders = set()
    for seed in range(1, 7):
        learner, enrolment = enrolled(make_user, quiz, now)
        attempt = services.start_attempt(quiz, learner, enrolment, now, rng_seed=seed)
        public = services.public_questions(attempt)
        question_order = tuple(q["key"] for q in public)
        option_order = tuple(o["id"] for q in public for o in q["options"])
        orders.add((question_order, option_order))
        # What the learner sees is exactly the stored order.
        assert [o["id"] for o in public[0]["options"]] == attempt.questions[0].option_order
    assert len(orders) > 1


def test_without_shuffle_questions_and_options_keep_authored_order(app, tmp_path, now,
                                                                   make_user):
    quiz = install(tmp_path, now, quiz_md(choice_questions(4)))
    learner, enrolment = enrolled(make_user, quiz, now)
    public = services.public_questions(services.start_attempt(quiz, learner, enrolment, now))
    assert [q["key"] for q in public] == ["q1", "q2", "q3", "q4"]
    assert [o["text"] for o in public[0]["options"]] == ["Right q1", "Wrong A q1",
                                                         "Wrong B q1", "Wrong C q1"]


def test_draw_n_asks_n_distinct_questions_from_the_pool(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(choice_questions(6), draw=3))
    seen = set()
    for seed in range(8):
        learner, enrolment = enrolled(make_user, quiz, now)
        attempt = services.start_attempt(quiz, learner, enrolment, now, rng_seed=seed)
        keys = [aq.version.data["key"] for aq in attempt.questions]
        assert len(keys) == len(set(keys)) == 3
        assert set(keys) <= {f"q{k}" for k in range(1, 7)}
        seen.update(keys)
    assert len(seen) > 3  # different attempts draw different questions


def test_blueprint_draws_the_asked_number_per_tag(app, tmp_path, now, make_user):
    body = "\n".join([choice_questions(3, "equity", "e"), choice_questions(3, "climate", "c"),
                      choice_questions(2, None, "x")])
    quiz = install(tmp_path, now, quiz_md(body, blueprint={"equity": 2, "climate": 1}))
    for seed in range(6):
        learner, enrolment = enrolled(make_user, quiz, now)
        attempt = services.start_attempt(quiz, learner, enrolment, now, rng_seed=seed)
        tags = [tuple(aq.version.data["tags"]) for aq in attempt.questions]
        assert sorted(tags) == [("climate",), ("equity",), ("equity",)]


def test_avoid_repeats_draws_what_the_learner_has_not_seen(app, tmp_path, now, make_user):
    # 5 equity and 4 climate questions, 2 + 2 a sitting: the second sitting gets four new
    # questions; the third has 1 new equity and 0 new climate ones, so it repeats 3 (and only
    # from the questions the learner saw); another learner's sittings do not count
    body = "\n".join([choice_questions(5, "equity", "e"), choice_questions(4, "climate", "c")])
    quiz = install(tmp_path, now, quiz_md(body, blueprint={"equity": 2, "climate": 2},
                                          avoid_repeats=True))
    assert quiz.settings["avoid_repeats"] is True
    learner, enrolment = enrolled(make_user, quiz, now)
    other, other_enrolment = enrolled(make_user, quiz, now)
    sittings: list[set[str]] = []
    for n in range(3):
        at = now + timedelta(hours=n)
        services.submit_attempt(services.start_attempt(quiz, other, other_enrolment, at,
                                                       rng_seed=n), {}, at)
        attempt = services.start_attempt(quiz, learner, enrolment, at, rng_seed=n)
        sittings.append(set(drawn(attempt)))
        services.submit_attempt(attempt, {}, at + timedelta(minutes=5))
    first, second, third = sittings
    assert len(first) == len(second) == len(third) == 4
    assert not first & second
    seen_before = first | second
    assert len(third - seen_before) == 1 and (third - seen_before) <= {f"e{k}" for k in range(1, 6)}
    assert services.seen_question_keys(quiz, learner) == first | second | third


def test_without_avoid_repeats_a_retake_may_repeat(app, tmp_path, now, make_user):
    body = "\n".join([choice_questions(5, "equity", "e"), choice_questions(4, "climate", "c")])
    quiz = install(tmp_path, now, quiz_md(body, blueprint={"equity": 2, "climate": 2}))
    learner, enrolment = enrolled(make_user, quiz, now)
    overlaps = 0
    for n in range(8):
        at = now + timedelta(hours=n)
        before = services.seen_question_keys(quiz, learner)
        attempt = services.start_attempt(quiz, learner, enrolment, at, rng_seed=n)
        overlaps += bool(set(drawn(attempt)) & before)
        services.submit_attempt(attempt, {}, at + timedelta(minutes=5))
    assert overlaps


def test_start_needs_an_enrolment(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md())
    with pytest.raises(PermissionDenied):
        services.start_attempt(quiz, make_user(), None, now)
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


# --------------------------------------------------------------------------- answering


def test_saved_answers_survive_leaving_and_coming_back(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md())
    learner, enrolment = enrolled(make_user, quiz, now)
    attempt = services.start_attempt(quiz, learner, enrolment, now)
    answers = answers_for(attempt)
    saved = services.save_answers(attempt, {"tf": answers["tf"], "txt": "land"},
                                  now + timedelta(minutes=2))
    assert sorted(saved) == ["tf", "txt"]

    db.session.expire_all()
    state = services.learner_state(quiz, learner, now + timedelta(days=2))
    assert state.open_attempt.id == attempt.id and not state.can_start
    resumed = services.get_attempt_for(learner, attempt.id, now + timedelta(days=2))
    responses = {q["key"]: q["response"] for q in services.public_questions(resumed)}
    assert responses["tf"] == answers["tf"] and responses["txt"] == "land"
    assert responses["multi"] is None
    answered = {aq.version.data["key"]: aq.answered_at for aq in resumed.questions}
    assert answered["tf"] == now + timedelta(minutes=2) and answered["multi"] is None


def test_submit_grades_every_type(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(passing_score=70))
    learner, enrolment = enrolled(make_user, quiz, now)
    attempt = services.start_attempt(quiz, learner, enrolment, now)
    services.save_answers(attempt, answers_for(attempt, {"multi", "tf"}), now)
    result = services.submit_attempt(attempt, answers_for(attempt, {"num", "txt", "match",
                                                                    "ord", "multi", "tf"}),
                                     now + timedelta(minutes=5))
    # Everything right except `single` (1 of 8 points).
    assert result.status == "submitted" and result.submitted_at == now + timedelta(minutes=5)
    assert (result.earned, result.possible, result.percent) == (7.0, 8.0, 87.5)
    assert result.passed is True and result.auto_submitted is False
    earned = {aq.version.data["key"]: aq.earned for aq in result.questions}
    assert earned == {"multi": 2.0, "tf": 1.0, "single": 0.0, "num": 1.0, "txt": 1.0,
                      "match": 1.0, "ord": 1.0}
    assert result.per_tag["history"]["percent"] == 50.0
    assert item_done_count(enrolment) == 1


def test_failing_attempt_does_not_mark_the_item_done(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(passing_score=70))
    learner, enrolment = enrolled(make_user, quiz, now)
    attempt = services.start_attempt(quiz, learner, enrolment, now)
    result = services.submit_attempt(attempt, answers_for(attempt, {"multi", "tf"}), now)
    assert result.percent == 37.5 and result.passed is False
    assert item_done_count(enrolment) == 0
    state = services.learner_state(quiz, learner, now)
    assert state.can_start and not state.passed and state.final_percent == 37.5


def test_passing_score_is_inclusive(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(choice_questions(4), passing_score=50))
    learner, enrolment = enrolled(make_user, quiz, now)
    attempt = services.start_attempt(quiz, learner, enrolment, now)
    result = services.submit_attempt(attempt, answers_for(attempt, {"q1", "q3"}), now)
    assert result.percent == 50.0 and result.passed is True


def test_submit_is_idempotent(app, tmp_path, now, make_user, monkeypatch):
    quiz = install(tmp_path, now, quiz_md())
    learner, enrolment = enrolled(make_user, quiz, now)
    attempt = services.start_attempt(quiz, learner, enrolment, now)
    calls = []
    real = grading.grade_attempt
    monkeypatch.setattr(grading, "grade_attempt", lambda *a: calls.append(1) or real(*a))

    first = services.submit_attempt(attempt, answers_for(attempt), now)
    assert first.percent == 100.0
    # A second submit (with different answers, later) changes nothing.
    second = services.submit_attempt(attempt, answers_for(attempt, set()),
                                     now + timedelta(hours=1))
    assert second.id == first.id and second.percent == 100.0
    assert second.submitted_at == now and len(calls) == 1
    assert item_done_count(enrolment) == 1
    assert len(services.learner_state(quiz, learner, now).submitted) == 1


def test_answers_after_submitting_are_refused(app, tmp_path, now, make_user):
    from lms.errors import Conflict

    quiz = install(tmp_path, now, quiz_md())
    learner, enrolment = enrolled(make_user, quiz, now)
    attempt = services.start_attempt(quiz, learner, enrolment, now)
    services.submit_attempt(attempt, {}, now)
    with pytest.raises(Conflict):
        services.save_answers(attempt, answers_for(attempt), now)
    db.session.expire_all()
    assert all(aq.response is None for aq in services.load_attempt(attempt.id).questions)


def test_answers_for_questions_not_drawn_are_refused_and_nothing_saved(app, tmp_path, now,
                                                                       make_user):
    quiz = install(tmp_path, now, quiz_md(choice_questions(6), draw=2))
    learner, enrolment = enrolled(make_user, quiz, now)
    attempt = services.start_attempt(quiz, learner, enrolment, now, rng_seed=3)
    keys = set(drawn(attempt))
    stray = sorted({f"q{k}" for k in range(1, 7)} - keys)[0]
    mine = answers_for(attempt)
    with pytest.raises(ValidationError):
        services.save_answers(attempt, {**mine, stray: "anything"}, now)
    assert all(aq.response is None for aq in services.load_attempt(attempt.id).questions)
    # Submitting with a stray answer is refused too, and the attempt stays open: the
    # refusal leaves no half-done work behind for the next commit to write.
    with pytest.raises(ValidationError):
        services.submit_attempt(attempt, {**mine, stray: "anything"}, now)
    services.save_answers(attempt, {}, now)  # commits whatever the session holds
    db.session.expire_all()
    reloaded = services.load_attempt(attempt.id)
    assert reloaded.status == "open" and reloaded.percent is None
    assert all(aq.response is None for aq in reloaded.questions)


# --------------------------------------------------------------------------- rules


def test_attempts_allowed_and_an_extra_attempt(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2), attempts=2))
    learner, enrolment = enrolled(make_user, quiz, now)
    teacher = make_user("instructor", email="teach@example.org")
    for minutes in (0, 10):
        attempt = services.start_attempt(quiz, learner, enrolment, now + timedelta(minutes=minutes))
        services.submit_attempt(attempt, {}, now + timedelta(minutes=minutes + 1))
    state = services.learner_state(quiz, learner, now + timedelta(hours=1))
    assert (state.attempts_allowed, state.attempts_left, state.can_start) == (2, 0, False)
    with pytest.raises(ValidationError, match="all your attempts"):
        services.start_attempt(quiz, learner, enrolment, now + timedelta(hours=1))

    later = now + timedelta(hours=2)
    grant = services.grant_accommodation(quiz, learner, "extra_attempt", 1, teacher, later,
                                         note="  illness  ")
    db.session.expire_all()
    stored = db.session.get(Accommodation, grant.id)
    assert (stored.granted_by_id, stored.granted_at, stored.note) == (teacher.id, later, "illness")
    state = services.learner_state(quiz, learner, later)
    assert (state.attempts_allowed, state.attempts_left, state.can_start) == (3, 1, True)
    third = services.start_attempt(quiz, learner, enrolment, later)
    assert third.number == 3


def test_cooldown_between_attempts(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2), cooldown_hours=24))
    learner, enrolment = enrolled(make_user, quiz, now)
    attempt = services.start_attempt(quiz, learner, enrolment, now)
    services.submit_attempt(attempt, {}, now + timedelta(minutes=5))
    ends = now + timedelta(hours=24, minutes=5)

    state = services.learner_state(quiz, learner, ends - timedelta(seconds=1))
    assert state.next_start_at == ends and not state.can_start
    with pytest.raises(ValidationError, match="try again after"):
        services.start_attempt(quiz, learner, enrolment, ends - timedelta(seconds=1))
    assert services.start_attempt(quiz, learner, enrolment, ends).number == 2


def test_answers_after_the_time_limit_and_grace_are_not_counted(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(choice_questions(3), time_limit=10))
    learner, enrolment = enrolled(make_user, quiz, now)
    attempt = services.start_attempt(quiz, learner, enrolment, now)
    deadline = now + timedelta(minutes=10)
    assert attempt.deadline_at == deadline
    right = answers_for(attempt)

    services.save_answers(attempt, {"q1": right["q1"]}, now + timedelta(minutes=3))
    # Within the grace period an answer still counts.
    services.save_answers(attempt, {"q2": right["q2"]}, deadline + services.GRACE)
    with pytest.raises(services.TimeUp):
        services.save_answers(attempt, {"q3": right["q3"]},
                              deadline + services.GRACE + timedelta(seconds=1))
    db.session.expire_all()
    result = services.load_attempt(attempt.id)
    assert result.status == "submitted" and result.auto_submitted
    assert result.submitted_at == deadline
    assert {aq.version.data["key"]: aq.response for aq in result.questions}["q3"] is None
    assert result.earned == 2.0


def test_a_late_submit_keeps_only_what_was_saved_in_time(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(choice_questions(3), time_limit=10))
    learner, enrolment = enrolled(make_user, quiz, now)
    attempt = services.start_attempt(quiz, learner, enrolment, now)
    right = answers_for(attempt)
    services.save_answers(attempt, {"q1": right["q1"]}, now + timedelta(minutes=1))
    late = now + timedelta(minutes=10) + services.GRACE + timedelta(seconds=1)
    result = services.submit_attempt(attempt, right, late)
    assert result.auto_submitted and result.earned == 1.0
    assert result.submitted_at == now + timedelta(minutes=10)


@pytest.mark.parametrize("via", ["close_expired_for", "close_expired"])
def test_an_open_attempt_past_its_limit_is_submitted_with_what_was_saved(
        app, tmp_path, now, make_user, via):
    quiz = install(tmp_path, now, quiz_md(choice_questions(4), time_limit=20))
    learner, enrolment = enrolled(make_user, quiz, now)
    attempt = services.start_attempt(quiz, learner, enrolment, now)
    right = answers_for(attempt)
    services.save_answers(attempt, {"q1": right["q1"], "q2": right["q2"]},
                          now + timedelta(minutes=5))
    later = now + timedelta(hours=3)

    if via == "close_expired_for":
        assert services.close_expired_for(learner, quiz, later) == 1
        assert services.close_expired_for(learner, quiz, later) == 0
        state = services.learner_state(quiz, learner, later)
        assert state.open_attempt is None and len(state.submitted) == 1
        assert services.get_attempt_for(learner, attempt.id, later).status == "submitted"
    else:
        assert services.close_expired(later) == 1
        assert services.close_expired(later) == 0
    db.session.expire_all()
    result = services.load_attempt(attempt.id)
    assert result.status == "submitted" and result.auto_submitted
    assert result.submitted_at == now + timedelta(minutes=20)
    assert (result.earned, result.percent) == (2.0, 50.0)


def test_reading_an_expired_attempt_writes_nothing(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2), time_limit=20))
    learner, enrolment = enrolled(make_user, quiz, now)
    attempt = services.start_attempt(quiz, learner, enrolment, now)
    later = now + timedelta(hours=3)
    state = services.learner_state(quiz, learner, later)
    assert state.open_attempt.id == attempt.id
    assert services.get_attempt_for(learner, attempt.id, later).status == "open"
    db.session.rollback()  # nothing was committed by the reads
    assert services.load_attempt(attempt.id).status == "open"
    # Starting again closes the expired attempt and opens the next, in one transaction.
    second = services.start_attempt(quiz, learner, enrolment, later)
    assert second.id != attempt.id and second.number == 2
    assert services.load_attempt(attempt.id).auto_submitted


def test_close_expired_leaves_attempts_within_their_time(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2), time_limit=30))
    learner, enrolment = enrolled(make_user, quiz, now)
    attempt = services.start_attempt(quiz, learner, enrolment, now)
    assert services.close_expired(now + timedelta(minutes=30) + services.GRACE) == 0
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).status == "open"


@pytest.mark.parametrize("method, expected", [("highest", 100.0), ("last", 50.0)])
def test_highest_or_last_attempt_counts(app, tmp_path, now, make_user, method, expected):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2), grading=method, passing_score=50))
    learner, enrolment = enrolled(make_user, quiz, now)
    for k, right in enumerate(({"q1", "q2"}, {"q1"})):
        t = now + timedelta(hours=k)
        attempt = services.start_attempt(quiz, learner, enrolment, t)
        services.submit_attempt(attempt, answers_for(attempt, right), t)
    state = services.learner_state(quiz, learner, now + timedelta(hours=3))
    assert state.final_percent == expected and state.best_percent == 100.0


def test_extra_time_extends_an_open_attempt_and_later_ones(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2), time_limit=10))
    learner, enrolment = enrolled(make_user, quiz, now)
    teacher = make_user("instructor", email="teach@example.org")
    attempt = services.start_attempt(quiz, learner, enrolment, now)
    grant = services.grant_accommodation(quiz, learner, "extra_time", 15, teacher,
                                         now + timedelta(minutes=2), note="screen reader")
    assert grant.granted_by_id == teacher.id and grant.granted_at == now + timedelta(minutes=2)
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).deadline_at == now + timedelta(minutes=25)
    # Answers at minute 20 now count.
    services.save_answers(attempt, answers_for(attempt), now + timedelta(minutes=20))
    result = services.submit_attempt(attempt, None, now + timedelta(minutes=21))
    assert result.percent == 100.0 and not result.auto_submitted
    nxt = services.start_attempt(quiz, learner, enrolment, now + timedelta(hours=1))
    assert nxt.deadline_at == now + timedelta(hours=1, minutes=25)


def test_accommodations_are_checked(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2), time_limit=10))
    teacher = make_user("instructor", email="teach@example.org")
    stranger = make_user()
    with pytest.raises(ValidationError, match="not enrolled"):
        services.grant_accommodation(quiz, stranger, "extra_time", 5, teacher, now)
    learner, _ = enrolled(make_user, quiz, now)
    for kind, amount in (("extra_attempt", 0), ("extra_attempt", 11), ("extra_time", 601),
                         ("free_pass", 1)):
        with pytest.raises(ValidationError):
            services.grant_accommodation(quiz, learner, kind, amount, teacher, now)
    assert db.session.scalar(select(func.count()).select_from(Accommodation)) == 0


# --------------------------------------------------------------------------- review policy


def test_review_after_submit_shows_answers(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(review="after_submit"))
    learner, enrolment = enrolled(make_user, quiz, now)
    attempt = services.start_attempt(quiz, learner, enrolment, now)
    assert not services.shows_answers(attempt, services.learner_state(quiz, learner, now))
    services.submit_attempt(attempt, {}, now)
    state = services.learner_state(quiz, learner, now)
    assert services.shows_answers(attempt, state)
    review = services.review(attempt, show_answers=True)
    assert all("correct" in r for r in review)


def test_review_after_close_waits_until_no_attempt_is_left(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2), review="after_close", attempts=2))
    learner, enrolment = enrolled(make_user, quiz, now)
    first = services.start_attempt(quiz, learner, enrolment, now)
    services.submit_attempt(first, {}, now)
    assert not services.shows_answers(first, services.learner_state(quiz, learner, now))
    assert all("correct" not in r and "options" not in r
               for r in services.review(first, show_answers=False))
    second = services.start_attempt(quiz, learner, enrolment, now)
    services.submit_attempt(second, {}, now)
    state = services.learner_state(quiz, learner, now)
    assert services.shows_answers(first, state) and services.shows_answers(second, state)


def test_review_never_shows_answers(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2), review="never", attempts=1))
    learner, enrolment = enrolled(make_user, quiz, now)
    attempt = services.start_attempt(quiz, learner, enrolment, now)
    services.submit_attempt(attempt, answers_for(attempt), now)
    state = services.learner_state(quiz, learner, now)
    assert state.attempts_left == 0 and state.passed
    assert not services.shows_answers(attempt, state)


# --------------------------------------------------------------------------- exam mode


EXAM = dict(exam=True, passing_score=75, cooldown_hours=48, review="after_submit")


def test_exam_needs_the_honour_statement(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(**EXAM))
    assert quiz.exam
    learner, enrolment = enrolled(make_user, quiz, now)
    with pytest.raises(ValidationError, match="honour"):
        services.start_attempt(quiz, learner, enrolment, now)
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0
    attempt = services.start_attempt(quiz, learner, enrolment, now, honour=True)
    assert attempt.honour_confirmed_at == now
    # One attempt open at a time: starting again resumes it.
    assert services.start_attempt(quiz, learner, enrolment, now, honour=True).id == attempt.id
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_exam_result_shows_no_answers_and_retake_waits_out_the_cooldown(app, tmp_path, now,
                                                                        make_user):
    quiz = install(tmp_path, now, quiz_md(**EXAM))
    learner, enrolment = enrolled(make_user, quiz, now)
    attempt = services.start_attempt(quiz, learner, enrolment, now, honour=True)
    result = services.submit_attempt(attempt, answers_for(attempt, {"multi", "tf"}), now)
    assert not result.passed and result.per_tag == {
        "history": {"earned": 0.0, "possible": 2.0, "percent": 0.0},
        "pillars": {"earned": 3.0, "possible": 3.0, "percent": 100.0}}
    state = services.learner_state(quiz, learner, now)
    assert not services.shows_answers(result, state)
    for r in services.review(result, show_answers=services.shows_answers(result, state)):
        assert not {"correct", "options", "accepted", "correct_pairs", "correct_order",
                    "explanation", "chosen_feedback"} & set(r)
    assert services.exam_passed_at(learner, quiz) is None
    assert item_done_count(enrolment) == 0

    with pytest.raises(ValidationError, match="try again after"):
        services.start_attempt(quiz, learner, enrolment, now + timedelta(hours=47), honour=True)
    retake = services.start_attempt(quiz, learner, enrolment, now + timedelta(hours=48),
                                    honour=True)
    passed_at = now + timedelta(hours=49)
    services.submit_attempt(retake, answers_for(retake), passed_at)
    assert services.exam_passed_at(learner, quiz) == passed_at
    assert item_done_count(enrolment) == 1
    state = services.learner_state(quiz, learner, now + timedelta(days=30))
    assert state.passed and not state.can_start and "passed" in state.reason
    assert [q.id for q in services.exam_quizzes()] == [quiz.id]


# --------------------------------------------------------------------------- instructors


def test_results_by_date_and_item_analysis(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(choice_questions(3)))
    for day, right in enumerate(({"q1", "q2"}, {"q1"}, {"q1", "q2", "q3"}, set())):
        learner, enrolment = enrolled(make_user, quiz, now)
        t = now + timedelta(days=day)
        attempt = services.start_attempt(quiz, learner, enrolment, t)
        services.submit_attempt(attempt, answers_for(attempt, right), t)
    everything = services.submitted_attempts(quiz)
    assert len(everything) == 4
    window = services.submitted_attempts(quiz, since=now + timedelta(days=1),
                                         until=now + timedelta(days=3))
    assert sorted(a.submitted_at for a in window) == [now + timedelta(days=1),
                                                      now + timedelta(days=2)]
    report = services.analyse(quiz, everything)
    assert report["test"]["n_attempts"] == 4
    facility = {i["key"]: i["facility"] for i in report["items"]}
    assert facility == {"q1": 0.75, "q2": 0.5, "q3": 0.25}
    assert services.analyse(quiz, [])["test"]["n_attempts"] == 0


def test_who_may_manage_a_quiz(app, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2)))
    assert services.can_manage(make_user("instructor", email="teach@example.org"), quiz)
    assert services.can_manage(make_user("admin"), quiz)
    assert not services.can_manage(make_user("instructor"), quiz)
    assert not services.can_manage(make_user(), quiz)
    assert not services.can_manage(make_user("registrar"), quiz)  # not an exam


def test_close_expired_command(app, runner, tmp_path, now, make_user):
    quiz = install(tmp_path, now, quiz_md(choice_questions(2), time_limit=5))
    learner, enrolment = enrolled(make_user, quiz, now)
    attempt = services.start_attempt(quiz, learner, enrolment, now)
    app.config["FROZEN_NOW"] = now + timedelta(minutes=6)
    result = runner.invoke(args=["quizzes", "close-expired"])
    assert result.exit_code == 0 and "Submitted 1 expired attempt(s)." in result.output
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).auto_submitted
