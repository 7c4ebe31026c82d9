"""The quiz engine: question versions, attempts, answers, grading, review, accommodations.

Rules the server enforces (never the browser): attempts allowed, cooldown, time limit (answers
arriving after the limit plus GRACE are not counted; an attempt left open past its limit is
submitted with what was saved), one open attempt at a time, draw/blueprint/shuffle fixed per
attempt, exam mode. Submitting is idempotent: the first request that flips the attempt from
open to submitted grades it; every other request sees the stored result.
"""
from __future__ import annotations

import hashlib
import json
import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from lms.authoring.schema import DEFAULT_PASSING_SCORE
from lms.courses import services as courses
from lms.courses.models import Enrolment, Item
from lms.courses.signals import item_synced
from lms.dbtypes import get_or_not_found, rows_changed
from lms.errors import Conflict, NotFound, PermissionDenied, ValidationError
from lms.extensions import db
from lms.quizzes import analysis, draw, grading, parser
from lms.quizzes.models import (
    Accommodation,
    Attempt,
    AttemptQuestion,
    Question,
    QuestionVersion,
    Quiz,
)
from lms.quizzes.review import review_payload

GRACE = timedelta(seconds=30)
HONOUR_STATEMENT = (
    "I will answer this exam on my own, without help from another person, a generative AI tool "
    "or course materials, and I will not copy, record or share its questions.")
RETIRED = "This quiz has been retired: it is no longer part of the course."
#: The settings a quiz keeps (its title lives on the item).
DEFAULT_SETTINGS = {key: value for key, value in parser.DEFAULT_SETTINGS.items()
                    if key != "title"}


# ====================================================================== import (versions)


def _version_hash(data: dict) -> str:
    payload = {k: v for k, v in data.items() if k != "line"}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def sync_quiz(item: Item, parsed_quiz, now: datetime) -> Quiz:
    """Bring a quiz's settings and questions in line with its Markdown (caller's transaction).

    A question whose content changed gets a new version, unless the content is that of one of
    its earlier versions, which then becomes current again; attempts keep the version they
    drew, so their scores never change. Questions gone from the file are retired, not deleted.
    """
    quiz = db.session.scalar(select(Quiz).where(Quiz.item_id == item.id))
    if quiz is None:
        quiz = Quiz(item_id=item.id)
        db.session.add(quiz)
        db.session.flush()
    settings = {**DEFAULT_SETTINGS, **{k: v for k, v in parsed_quiz.settings.items()
                                        if k in DEFAULT_SETTINGS}}
    quiz.settings = settings
    quiz.exam = bool(settings.get("exam"))
    quiz.intro = parsed_quiz.intro or ""
    existing = {q.key: q for q in db.session.scalars(
        select(Question).where(Question.quiz_id == quiz.id)
        .options(selectinload(Question.current_version)))}
    seen = set()
    for position, data in enumerate(parsed_quiz.questions, start=1):
        key = data["key"]
        seen.add(key)
        question = existing.get(key)
        if question is None:
            question = Question(quiz_id=quiz.id, key=key, position=position)
            db.session.add(question)
            db.session.flush()
        question.position, question.active = position, True
        digest = _version_hash(data)
        current = question.current_version
        if current is None or current.content_hash != digest:
            version = _version_for(question, data, digest, now)
            question.current_version_id = version.id
            question.current_version = version
    for key, question in existing.items():
        if key not in seen:
            question.active = False
    db.session.flush()
    return quiz


def _version_for(question: Question, data: dict, digest: str,
                 now: datetime) -> QuestionVersion:
    """The version of `question` whose content is `data`: an earlier one with the same content
    hash (the file went back to it: that version becomes current again, so its answers are
    analysed together), else a new one numbered after the last."""
    earlier = db.session.scalar(
        select(QuestionVersion).where(QuestionVersion.question_id == question.id,
                                      QuestionVersion.content_hash == digest)
        .order_by(QuestionVersion.number.desc()).limit(1))
    if earlier is not None:
        return earlier
    number = (db.session.scalar(select(func.max(QuestionVersion.number))
                                .where(QuestionVersion.question_id == question.id)) or 0) + 1
    version = QuestionVersion(question_id=question.id, number=number, content_hash=digest,
                              data=data, created_at=now)
    db.session.add(version)
    db.session.flush()
    return version


def _on_item_synced(item: Item, parsed=None, now=None, **_):
    if item.kind == "quiz" and parsed is not None and parsed.content is not None:
        sync_quiz(item, parsed.content, now)
    set_retired(item, now)


def set_retired(item: Item, now: datetime) -> None:
    """Retire the item's quiz when the item is no longer a quiz (its `type` changed), bring it
    back when it is one again (caller's transaction). Attempts are kept either way."""
    if item.id is None:
        return
    quiz = db.session.scalar(select(Quiz).where(Quiz.item_id == item.id))
    if quiz is None:
        return
    if item.kind != "quiz" and quiz.retired_at is None:
        quiz.retired_at = now
    elif item.kind == "quiz" and quiz.retired_at is not None:
        quiz.retired_at = None


item_synced.connect(_on_item_synced)


def quiz_for_item(item: Item) -> Quiz:
    quiz = db.session.scalar(select(Quiz).where(Quiz.item_id == item.id))
    if quiz is None:
        raise NotFound("This quiz has not been imported.")
    return quiz


def get_quiz(quiz_id: int) -> Quiz:
    return get_or_not_found(Quiz, quiz_id, "No such quiz.")


def active_pool(quiz: Quiz) -> list[QuestionVersion]:
    return list(db.session.scalars(
        select(QuestionVersion).join(Question, Question.current_version_id == QuestionVersion.id)
        .where(Question.quiz_id == quiz.id, Question.active.is_(True))
        .order_by(Question.position)))


# ====================================================================== learner state


def _accommodation_total(quiz: Quiz, user_id: int, kind: str) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(Accommodation.amount), 0)).where(
        Accommodation.quiz_id == quiz.id, Accommodation.user_id == user_id,
        Accommodation.kind == kind)) or 0


@dataclass
class QuizState:
    quiz: Quiz
    submitted: list[Attempt]
    open_attempt: Attempt | None
    attempts_allowed: int | None         # None = unlimited
    attempts_left: int | None
    next_start_at: datetime | None      # cooldown end, when waiting
    can_start: bool
    reason: str | None                  # why a new attempt cannot start
    best_percent: float | None
    final_percent: float | None
    passed: bool
    extra_minutes: int = 0
    flags: dict = field(default_factory=dict)


def learner_state(quiz: Quiz, user, now: datetime) -> QuizState:
    """Where one learner stands with a quiz. A read: it writes nothing (an attempt past its
    time limit is closed by :func:`close_expired_for` or the :func:`close_expired` sweep)."""
    attempts = list(db.session.scalars(select(Attempt).where(
        Attempt.quiz_id == quiz.id, Attempt.user_id == user.id).order_by(Attempt.number)))
    open_attempt = next((a for a in attempts if a.status == "open"), None)
    submitted = [a for a in attempts if a.status == "submitted"]
    settings = quiz.settings
    allowed = None
    if settings.get("attempts"):
        allowed = int(settings["attempts"]) + _accommodation_total(quiz, user.id, "extra_attempt")
    left = None if allowed is None else max(0, allowed - len(submitted))
    percents = [a.percent for a in submitted if a.percent is not None]
    final = grading.final_score(percents, settings.get("grading", "highest")) if percents else None
    # The quiz grade follows the grading rule (highest or last attempt), and so does "passed".
    passed = final is not None and grading.passed(
        final, settings.get("passing_score", DEFAULT_PASSING_SCORE))
    next_start = None
    reason = None
    if submitted and settings.get("cooldown_hours"):
        last = max((a.submitted_at for a in submitted if a.submitted_at is not None),
                   default=None)
        ends = last + timedelta(hours=float(settings["cooldown_hours"])) if last else None
        if ends is not None and ends > now:
            next_start = ends
    if open_attempt is not None:
        reason = "You have an attempt in progress."
    elif quiz.exam and passed:
        reason = "You have passed this exam."
    elif left == 0:
        reason = "You have used all your attempts."
    elif next_start is not None:
        reason = f"You can try again after {next_start:%d %b %Y, %H:%M} UTC."
    return QuizState(quiz=quiz, submitted=submitted, open_attempt=open_attempt,
                     attempts_allowed=allowed, attempts_left=left, next_start_at=next_start,
                     can_start=reason is None, reason=reason,
                     best_percent=max(percents) if percents else None, final_percent=final,
                     passed=passed,
                     extra_minutes=_accommodation_total(quiz, user.id, "extra_time"))


# ====================================================================== attempts


def is_expired(attempt: Attempt, now: datetime) -> bool:
    return attempt.status == "open" and attempt.deadline_at is not None \
        and now > attempt.deadline_at + GRACE


def seen_question_keys(quiz: Quiz, user) -> frozenset[str]:
    """Keys of the questions this learner was asked in earlier attempts at this quiz."""
    return frozenset(db.session.scalars(
        select(Question.key).distinct()
        .join(QuestionVersion, QuestionVersion.question_id == Question.id)
        .join(AttemptQuestion, AttemptQuestion.version_id == QuestionVersion.id)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id)))


def start_attempt(quiz: Quiz, user, enrolment: Enrolment | None, now: datetime, *,
                  honour: bool = False, rng_seed: int | None = None) -> Attempt:
    """Start (or resume) an attempt: draws the questions and fixes their order for good."""
    if enrolment is None:
        raise PermissionDenied("Enrol in the course to take its quizzes.")
    if quiz.retired_at is not None:
        raise ValidationError(RETIRED)
    closed = _close_expired_of(user, quiz, now)  # in this transaction: an open one past its time
    state = learner_state(quiz, user, now)
    if state.open_attempt is not None:
        if closed:  # pragma: no cover - one open attempt per learner and quiz
            db.session.commit()
        return state.open_attempt
    if not state.can_start:
        db.session.rollback()
        raise ValidationError(state.reason or "You cannot start an attempt now.")
    if quiz.exam and not honour:
        db.session.rollback()
        raise ValidationError("Confirm the honour statement to begin the exam.")
    pool = active_pool(quiz)
    if not pool:
        db.session.rollback()
        raise ValidationError("This quiz has no questions.")
    seed = rng_seed if rng_seed is not None else secrets.randbelow(2**31)
    rng = random.Random(seed)
    settings = dict(quiz.settings)
    by_key = {v.data["key"]: v for v in pool}
    seen = seen_question_keys(quiz, user) if settings.get("avoid_repeats") else frozenset()
    keys = draw.draw_questions([v.data for v in pool], settings, rng, seen)
    orders = draw.option_orders([by_key[k].data for k in keys], bool(settings.get("shuffle")),
                                rng)
    deadline = None
    if settings.get("time_limit"):
        minutes = int(settings["time_limit"]) + state.extra_minutes
        deadline = now + timedelta(minutes=minutes)
    attempt = Attempt(quiz_id=quiz.id, user_id=user.id, enrolment_id=enrolment.id,
                      number=len(state.submitted) + 1, status="open", seed=seed,
                      settings=settings, started_at=now, deadline_at=deadline,
                      honour_confirmed_at=now if quiz.exam else None)
    for position, key in enumerate(keys, start=1):
        attempt.questions.append(AttemptQuestion(version_id=by_key[key].id, position=position,
                                                 option_order=orders.get(key, [])))
    db.session.add(attempt)
    try:
        db.session.commit()
    except IntegrityError:  # another request opened one first: resume it
        db.session.rollback()
        existing = db.session.scalar(select(Attempt).where(
            Attempt.quiz_id == quiz.id, Attempt.user_id == user.id, Attempt.status == "open"))
        if existing is None:
            raise Conflict("Could not start the attempt; please try again.") from None
        return existing
    return attempt


def load_attempt(attempt_id: int) -> Attempt | None:
    """An attempt with its quiz, the quiz's item and course (joined: every attempt page shows
    them), its drawn questions and their versions: three queries in all."""
    return db.session.scalar(
        select(Attempt).where(Attempt.id == attempt_id)
        .options(joinedload(Attempt.quiz).joinedload(Quiz.item).joinedload(Item.course),
                 selectinload(Attempt.questions).selectinload(AttemptQuestion.version))
        .execution_options(populate_existing=True))


def get_attempt_for(user, attempt_id: int, now: datetime) -> Attempt:
    """The learner's own attempt (others' are refused). A read: it writes nothing; an attempt
    past its time limit stays open until :func:`close_expired_for` or the sweep closes it."""
    del now  # kept for the callers' symmetry with the writing services
    attempt = load_attempt(attempt_id)
    if attempt is None:
        raise NotFound("No such attempt.")
    if attempt.user_id != user.id:
        raise PermissionDenied("That attempt belongs to someone else.")
    return attempt


def attempt_in(quiz: Quiz, attempt_id: int) -> Attempt:
    """An attempt at this quiz (for its managers' review); NotFound for any other id."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.quiz_id != quiz.id:
        raise NotFound("No such attempt.")
    return attempt


def _lock(attempt: Attempt) -> Attempt:
    """Lock the attempt row and re-read it, serialising writers of one attempt.

    The no-op UPDATE takes the row lock on PostgreSQL and the database write lock on SQLite
    (which ignores FOR UPDATE), so a submit cannot grade while a save is half done.
    """
    db.session.execute(update(Attempt).where(Attempt.id == attempt.id)
                       .values(status=Attempt.status)
                       .execution_options(synchronize_session=False))
    return db.session.scalars(
        select(Attempt).where(Attempt.id == attempt.id).with_for_update()
        .options(selectinload(Attempt.questions).selectinload(AttemptQuestion.version))
        .execution_options(populate_existing=True)).one()


class TimeUp(ValidationError):
    pass


def save_answers(attempt: Attempt, answers: dict, now: datetime,
                 flags: set[str] | None = None) -> list[str]:
    """Save responses keyed by question key; returns the keys saved.

    Refuses keys not drawn in this attempt (nothing saved, rolled back); refuses everything
    after the time limit plus grace: then the attempt is closed with what was saved before
    (one commit) and TimeUp is raised: the late answers are what is refused.
    """
    attempt = _lock(attempt)
    if attempt.status != "open":
        db.session.rollback()
        raise Conflict("This attempt has already been submitted.")
    if is_expired(attempt, now):
        _close(attempt, None, now, auto=True)
        db.session.commit()
        raise TimeUp("Time is up: answers sent after the time limit were not counted.")
    try:
        saved = _apply_answers(attempt, answers, now)
        _apply_flags(attempt, flags)
    except ValidationError:
        db.session.rollback()  # release the row lock; nothing was saved
        raise
    db.session.commit()
    return saved


def _apply_answers(attempt: Attempt, answers: dict, now: datetime) -> list[str]:
    by_key = {aq.version.data["key"]: aq for aq in attempt.questions}
    unknown = [k for k in answers if k not in by_key]
    if unknown:
        raise ValidationError("Answers were sent for questions that are not part of this "
                              "attempt; nothing was saved.")
    saved = []
    for key, response in answers.items():
        aq = by_key[key]
        if aq.response != response:
            aq.response = response
            aq.answered_at = now
        saved.append(key)
    return saved


def _apply_flags(attempt: Attempt, flags: set[str] | None) -> None:
    """Mark exactly the questions keyed in `flags` for review (None: leave flags alone)."""
    if flags is None:
        return
    keys = {aq.version.data["key"] for aq in attempt.questions}
    if not flags <= keys:
        raise ValidationError("Flags were sent for questions that are not part of this "
                              "attempt; nothing was saved.")
    for aq in attempt.questions:
        aq.flagged = aq.version.data["key"] in flags


@dataclass
class SummaryRow:
    position: int
    key: str
    answered: bool
    flagged: bool


def submission_summary(attempt: Attempt) -> list[SummaryRow]:
    """Before the final submission: each question answered or not, and flagged or not."""
    return [SummaryRow(aq.position, aq.version.data["key"],
                       grading.is_answered(aq.version.data, aq.response), bool(aq.flagged))
            for aq in attempt.questions]


def submit_attempt(attempt: Attempt, answers: dict | None, now: datetime, *,
                   auto: bool = False) -> Attempt:
    """Grade once. Final answers (if any, and in time) are saved first. Idempotent.

    One commit; on bad answers everything is rolled back (the attempt stays open) and the
    error is raised.
    """
    try:
        graded = _close(attempt, answers, now, auto=auto)
    except Exception:
        db.session.rollback()  # undo the claim: the attempt stays open, nothing saved
        raise
    if graded is None:  # already submitted (by another request or the sweep)
        db.session.rollback()
        db.session.refresh(attempt)
        return attempt
    db.session.commit()
    return graded


def _close(attempt: Attempt, answers: dict | None, now: datetime, *,
           auto: bool) -> Attempt | None:
    """Claim and grade an open attempt in the caller's transaction (no commit).

    None when it was not open any more. Raises ValidationError for answers to questions not
    drawn (the caller rolls back).
    """
    claimed = rows_changed(db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.status == "open")
        .values(status="submitted").execution_options(synchronize_session=False)))
    loaded = load_attempt(attempt.id) if claimed == 1 else None
    if loaded is None:
        return None
    attempt = loaded
    late = attempt.deadline_at is not None and now > attempt.deadline_at + GRACE
    if answers and not late:
        _apply_answers(attempt, answers, now)
    if auto or late:
        attempt.auto_submitted = auto or late
        attempt.submitted_at = min(now, attempt.deadline_at) if attempt.deadline_at else now
    else:
        attempt.submitted_at = now
    questions = [aq.version.data for aq in attempt.questions]
    responses = {aq.version.data["key"]: aq.response for aq in attempt.questions}
    result = grading.grade_attempt(questions, responses)
    earned = {r.key: r.earned for r in result.per_question}
    for aq in attempt.questions:
        aq.earned = earned.get(aq.version.data["key"], 0.0)
    attempt.earned, attempt.possible, attempt.percent = (result.earned, result.possible,
                                                         result.percent)
    attempt.per_tag = result.per_tag
    attempt.passed = grading.passed(
        result.percent, attempt.settings.get("passing_score", DEFAULT_PASSING_SCORE))
    if attempt.passed:
        enrolment = db.session.get_one(Enrolment, attempt.enrolment_id)
        item = db.session.get_one(Item, attempt.quiz.item_id)
        courses.mark_item_done(enrolment, item, attempt.submitted_at)
    return attempt


def _expired_query(now: datetime):
    return select(Attempt).where(Attempt.status == "open", Attempt.deadline_at.is_not(None),
                                 Attempt.deadline_at < now - GRACE)


def close_expired(now: datetime) -> int:
    """Submit every open attempt past its limit (a cron-able sweep; one commit); returns how
    many were closed."""
    closed = sum(_close(attempt, None, now, auto=True) is not None
                 for attempt in list(db.session.scalars(_expired_query(now))))
    db.session.commit()
    return closed


def _close_expired_of(user, quiz: Quiz, now: datetime) -> int:
    return sum(_close(attempt, None, now, auto=True) is not None
               for attempt in list(db.session.scalars(_expired_query(now).where(
                   Attempt.quiz_id == quiz.id, Attempt.user_id == user.id))))


def close_expired_for(user, quiz: Quiz, now: datetime) -> int:
    """Close this learner's attempt at this quiz if its time is up; returns how many closed.

    The one write a page view (GET) may ask for, before it shows the learner's standing or an
    attempt: it records what the clock already decided, as the scheduled :func:`close_expired`
    would. Commits only when it closed something; reads (learner_state, get_attempt_for)
    never write.
    """
    closed = _close_expired_of(user, quiz, now)
    if closed:
        db.session.commit()
    return closed


# ====================================================================== what a learner sees


def public_questions(attempt: Attempt) -> list[dict]:
    """The questions of an open attempt as the learner may see them, with saved responses.

    Built by draw.public_question, which whitelists: no right answers, no feedback.
    """
    out = []
    for aq in attempt.questions:
        q = draw.public_question(aq.version.data, aq.option_order)
        q["position"] = aq.position
        q["response"] = aq.response
        q["flagged"] = bool(aq.flagged)
        q["answered"] = grading.is_answered(aq.version.data, aq.response)
        out.append(q)
    return out


def shows_answers(attempt: Attempt, state: QuizState | None) -> bool:
    """The review policy: may this learner see right answers and feedback for `attempt`?"""
    if attempt.status != "submitted":
        return False
    settings = attempt.settings
    if settings.get("exam"):
        return False
    policy = settings.get("review", "after_submit")
    if policy == "after_submit":
        return True
    if policy == "after_close":
        # Closed for this learner: no attempt left. Passing does not close a quiz that may be
        # retaken; showing the answers then would help the next attempt.
        return state is not None and state.attempts_left == 0
    return False


def review(attempt: Attempt, *, show_answers: bool) -> list[dict]:
    out = []
    for aq in attempt.questions:
        payload = review_payload(aq.version.data, aq.response, show_answers=show_answers)
        payload["position"] = aq.position
        out.append(payload)
    return out


# ====================================================================== instructors


def can_manage(user, quiz: Quiz) -> bool:
    """Instructors of the quiz's course and admins; registrars too for exams."""
    course = quiz.item.course
    return courses.can_edit(user, course) or (quiz.exam and user.has_role("registrar"))


def grant_accommodation(quiz: Quiz, learner, kind: str, amount: int, actor, now: datetime,
                        note: str = "", *, max_minutes: int = 240,
                        max_attempts: int = 5) -> Accommodation:
    """Grant extra minutes or attempts; one learner's grants for one quiz together stay within
    max_minutes / max_attempts (QUIZ_MAX_EXTRA_MINUTES / QUIZ_MAX_EXTRA_ATTEMPTS)."""
    if kind not in ("extra_attempt", "extra_time"):
        raise ValidationError("Choose extra attempts or extra time.")
    _check_accommodation(quiz, learner, kind, amount, max_minutes, max_attempts)
    enrolled = db.session.scalar(select(Enrolment.id).where(
        Enrolment.user_id == learner.id, Enrolment.course_id == quiz.item.course_id))
    if enrolled is None:
        raise ValidationError(f"{learner.name} is not enrolled in this course.")
    open_attempt = None
    if kind == "extra_time":  # an attempt in progress gets the extra time too
        open_attempt = db.session.scalar(select(Attempt).where(
            Attempt.quiz_id == quiz.id, Attempt.user_id == learner.id,
            Attempt.status == "open"))
        if open_attempt is not None and is_expired(open_attempt, now):
            _close(open_attempt, None, now, auto=True)  # too late to extend it
            open_attempt = None
    grant = Accommodation(quiz_id=quiz.id, user_id=learner.id, kind=kind, amount=amount,
                          note=note.strip()[:300], granted_by_id=actor.id, granted_at=now)
    db.session.add(grant)
    if open_attempt is not None and open_attempt.deadline_at is not None:
        open_attempt.deadline_at = open_attempt.deadline_at + timedelta(minutes=amount)
    db.session.commit()
    return grant


def _check_accommodation(quiz: Quiz, learner, kind: str, amount: int, max_minutes: int,
                         max_attempts: int) -> None:
    """Refuse extra time on an untimed quiz, and grants beyond the configured caps."""
    if kind == "extra_time" and not quiz.settings.get("time_limit"):
        raise ValidationError("This quiz has no time limit, so extra time would change "
                              "nothing: grant extra attempts instead, or none.")
    cap, unit = (max_minutes, "extra minutes") if kind == "extra_time" else \
        (max_attempts, "extra attempts")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 1:
        raise ValidationError(f"Give a whole number of {unit}, at least 1.")
    already = _accommodation_total(quiz, learner.id, kind)
    if already + amount > cap:
        raise ValidationError(
            f"At most {cap} {unit} per learner and quiz: {learner.name} already has {already}, "
            f"so at most {max(0, cap - already)} more can be granted.")


def accommodations(quiz: Quiz) -> list[Accommodation]:
    return list(db.session.scalars(
        select(Accommodation).where(Accommodation.quiz_id == quiz.id)
        .order_by(Accommodation.granted_at.desc())
        .options(selectinload(Accommodation.user), selectinload(Accommodation.granted_by))))


def submitted_attempts(quiz: Quiz, *, since: datetime | None = None,
                       until: datetime | None = None, user_ids: Select | None = None,
                       ) -> list[Attempt]:
    """Submitted attempts, newest first: submitted in [since, until), by users in user_ids."""
    stmt = (select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.status == "submitted")
            .order_by(Attempt.submitted_at.desc()).options(selectinload(Attempt.user)))
    if since is not None:
        stmt = stmt.where(Attempt.submitted_at >= since)
    if until is not None:
        stmt = stmt.where(Attempt.submitted_at < until)
    if user_ids is not None:
        stmt = stmt.where(Attempt.user_id.in_(user_ids))
    return list(db.session.scalars(stmt))


def analyse(quiz: Quiz, attempts: list[Attempt]) -> dict:
    """Item analysis over submitted attempts, one row per question *version* (three queries
    whatever their number).

    Each answer is analysed against the version it was drawn and graded under, so a key
    changed by an author does not turn answers that were right into wrong ones. Rows follow
    the quiz's question order; within a question the current version comes first, then the
    older versions that were answered, newest first. Retired questions (gone from the quiz
    file) keep their rows, marked retired.
    """
    ids = [a.id for a in attempts]
    rows: Iterable[Any] = db.session.execute(
        select(AttemptQuestion.attempt_id, AttemptQuestion.earned, AttemptQuestion.response,
               QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.version_id)
        .where(AttemptQuestion.attempt_id.in_(ids))) if ids else []
    items: dict[int, dict] = {a.id: {} for a in attempts}
    answered: dict[int, dict[int, QuestionVersion]] = {}
    for attempt_id, earned, response, version in rows:
        items[attempt_id][str(version.id)] = {"earned": earned or 0.0,
                                              "points": grading.question_points(version.data),
                                              "response": response}
        answered.setdefault(version.question_id, {})[version.id] = version
    payload = [{"attempt_id": a.id, "total_percent": a.percent, "items": items[a.id]}
               for a in attempts]
    questions: list = []
    described: list[analysis.Version] = []
    for question in db.session.scalars(
            select(Question).where(Question.quiz_id == quiz.id).order_by(Question.position)
            .options(selectinload(Question.current_version))):
        shown = dict(answered.get(question.id, {}))
        current = question.current_version
        if current is not None:
            shown.pop(current.id, None)
        ordered = ([current] if current is not None else []) + sorted(
            shown.values(), key=lambda v: v.number, reverse=True)
        for version in ordered:
            questions.append(version.data)
            described.append(analysis.Version(
                unit=str(version.id), number=version.number, introduced_at=version.created_at,
                current=current is not None and version.id == current.id,
                retired=not question.active))
    return analysis.item_analysis(payload, questions, described)


def exam_quizzes() -> list[Quiz]:
    """Every exam-mode quiz, with its item and course (for the registrar's dashboard)."""
    return list(db.session.scalars(
        select(Quiz).where(Quiz.exam.is_(True)).options(
            selectinload(Quiz.item).selectinload(Item.course))))


def exam_passed_at(user, quiz: Quiz) -> datetime | None:
    """When the learner first passed this exam (for the credentials feature)."""
    return db.session.scalar(select(func.min(Attempt.submitted_at)).where(
        Attempt.quiz_id == quiz.id, Attempt.user_id == user.id, Attempt.passed.is_(True)))
