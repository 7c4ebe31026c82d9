"""Automatic grant on the last requirement (every order), exactly once (two concurrent
PostgreSQL sessions), manual issue's bad input, IDs unique under concurrency."""
from __future__ import annotations

import itertools
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.assignments import services as assignments
from lms.assignments.models import Submission
from lms.courses import services as courses
from lms.credentials import services
from lms.credentials.ids import parse_id
from lms.credentials.models import Credential, CredentialEvent
from lms.credits.models import CeHolder
from lms.extensions import db
from lms.mail import OutboxMessage
from lms.quizzes import services as quizzes
from tests.assignments.helpers import assignment_md
from tests.builders import correct_response, course, course_md, item, lesson, quiz_md, quiz_of
from tests.credentials.conftest import TODAY, at
from tests.quizzes.test_quiz_integrity import _race, _wait_for_a_blocked_writer

PROGRAM = """\
credential: {name: Test Accredited Practitioner, abbreviation: TAP, id_prefix: TAP}
earn:
  courses: [L-1, CS-1]
  exam: {course: EX-1, item: exam}
  case_study: {course: CS-1, item: case}
categories:
  equity: {name: Racial Equity}
maintenance:
  cycle: {length_months: 24, anchor: earned}
  hours_per_cycle: 30
"""
EXAM = quiz_md("## Two plus two?\n= 4\n", passing_score=50, title="Exam")


def _write(root: Path) -> Path:
    files = {
        "l-1": {"course.md": course_md("L-1", instructors=["teach@example.org"]),
                "01-read.md": lesson("Read me")},
        "cs-1": {"course.md": course_md("CS-1", instructors=["teach@example.org"]),
                 "01-intro.md": lesson("Introduction"),
                 "02-case.md": assignment_md()},
        "ex-1": {"course.md": course_md("EX-1", instructors=["teach@example.org"]),
                 "01-exam.md": EXAM},
    }
    root.mkdir(parents=True, exist_ok=True)
    (root / "program.yml").write_text(PROGRAM, encoding="utf-8")
    for folder, content in files.items():
        for rel, text in content.items():
            (root / folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / folder / rel).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def programme(app, tmp_path):
    root = _write(tmp_path / "courses")
    app.config["COURSES_DIR"] = str(root)
    courses.import_courses(root, at(TODAY))
    return root


def enrolled(user, code: str):
    return courses.enrol(user, course(code), at(TODAY))


def do_lessons(user, now) -> None:
    """The lessons of L-1 and CS-1 (L-1 completes; CS-1 waits for its case study)."""
    courses.complete_lesson(enrolled(user, "L-1"), item("L-1", "read"), now)
    courses.complete_lesson(enrolled(user, "CS-1"), item("CS-1", "intro"), now)


def pass_exam(user, now, *, commit: bool = True):
    quiz = quiz_of("EX-1")
    attempt = quizzes.start_attempt(quiz, user, enrolled(user, "EX-1"), now)
    answers = {aq.version.data["key"]: correct_response(aq.version.data)
               for aq in attempt.questions}
    return quizzes.submit_attempt(attempt, answers, now)


def pass_case(user, now) -> None:
    """The case study passed: what assignments' grade release does (status, item done)."""
    case = item("CS-1", "case")
    assignment = assignments.assignment_for_item(case)
    enrolment = enrolled(user, "CS-1")
    db.session.add(Submission(assignment_id=assignment.id, user_id=user.id, status="passed",
                              passed_at=now, created_at=now, version_count=1))
    courses.mark_item_done(enrolment, case, now)
    db.session.commit()


def finish_l1(user, now) -> None:
    """L-1's only lesson: the course L-1 is complete."""
    courses.complete_lesson(enrolled(user, "L-1"), item("L-1", "read"), now)


def cs1_lesson(user, now) -> None:
    """CS-1's lesson (CS-1 is complete once its case study is passed too)."""
    courses.complete_lesson(enrolled(user, "CS-1"), item("CS-1", "intro"), now)


#: Every unit of work that meets part of the requirements on its own: the course L-1, the
#: course CS-1 (its lesson and its case study), the exam, the case study.
STEPS = {"l1": finish_l1, "cs1-lesson": cs1_lesson, "exam": pass_exam, "case": pass_case}


def held(user) -> list[Credential]:
    return list(db.session.scalars(select(Credential).where(Credential.user_id == user.id)))


@pytest.mark.parametrize("order", list(itertools.permutations(STEPS)),
                         ids=lambda o: "-".join(o))
def test_granted_automatically_on_the_last_requirement_in_any_order(programme, make_user,
                                                                    order):
    learner = make_user(legal_name="Lee Learner")
    now = at(TODAY)
    for index, step in enumerate(order):
        assert held(learner) == [], f"granted before {step}"
        STEPS[step](learner, now + timedelta(minutes=index))
    [credential] = held(learner)
    assert credential.automatic and credential.state == "active"
    assert parse_id(credential.credential_id).prefix == "TAP"
    assert credential.issued_on == TODAY
    assert db.session.get(CeHolder, learner.id).earned_on == TODAY  # the CE cycle started
    subjects = [m.subject for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == learner.email))]
    assert "You are now a Test Accredited Practitioner" in subjects
    [event] = services.events(credential)
    assert (event.from_state, event.to_state) == (None, "active")
    # The certificate was made after the commit (a background task, eager here).
    assert services.current_certificate(credential) is not None
    # Doing things again never grants a second one.
    pass_exam(learner, now + timedelta(hours=1))
    assert len(held(learner)) == 1


def test_requirements_report_what_is_missing(programme, make_user):
    learner = make_user()
    pass_exam(learner, at(TODAY))
    met = {r.label: r.met for r in services.requirements(learner)}
    assert met == {"Complete the course L-1": False, "Complete the course CS-1": False,
                   "Pass the exam (EX-1)": True, "Pass the case study (CS-1)": False}


def test_no_grant_after_a_revocation(programme, make_user):
    learner = make_user()
    do_lessons(learner, at(TODAY))
    pass_case(learner, at(TODAY))
    credential = services.issue(learner, TODAY, "Granted early by the board", None, at(TODAY))
    services.change_state(credential, "revoke", "Issued in error", None, at(TODAY))
    pass_exam(learner, at(TODAY))
    assert [c.state for c in held(learner)] == ["revoked"]


def test_exactly_once_when_the_last_two_are_met_at_once(app, backend, programme, make_user,
                                                        monkeypatch):
    """Two sessions meet the exam and the case study at the same moment: one grant."""
    if backend["name"] != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so two sessions cannot race")
    learner = make_user()
    now = at(TODAY)
    do_lessons(learner, now)
    quiz = quiz_of("EX-1")
    attempt = quizzes.start_attempt(quiz, learner, enrolled(learner, "EX-1"), now)
    answers = {aq.version.data["key"]: correct_response(aq.version.data)
               for aq in attempt.questions}
    enrolled(learner, "CS-1")
    db.session.commit()
    attempt_id, learner_id = attempt.id, learner.id
    case_id = item("CS-1", "case").id
    assignment_id = assignments.assignment_for_item(item("CS-1", "case")).id

    checks: list[int] = []
    lock = threading.Lock()
    real = services.requirements

    def slow_requirements(user, programme=None):
        result = real(user, programme)
        with lock:
            checks.append(threading.get_ident())
            first = len(checks) == 1
        if first:  # hold the user lock until the other session waits for it
            _wait_for_a_blocked_writer(app)
        return result

    monkeypatch.setattr(services, "requirements", slow_requirements)

    def job(barrier):
        from lms.auth.models import User
        from lms.courses.models import Enrolment, Item
        from lms.quizzes.models import Attempt

        user = db.session.get(User, learner_id)
        index = barrier.wait(timeout=10)
        if index == 0:
            quizzes.submit_attempt(db.session.get(Attempt, attempt_id), answers, now)
        else:
            case = db.session.get(Item, case_id)
            enrolment = db.session.scalar(select(Enrolment).where(
                Enrolment.user_id == user.id, Enrolment.course_id == case.course_id))
            db.session.add(Submission(assignment_id=assignment_id, user_id=user.id,
                                      status="passed", passed_at=now, created_at=now,
                                      version_count=1))
            courses.mark_item_done(enrolment, case, now)
            db.session.commit()
        return index

    assert sorted(_race(app, 2, job)) == [0, 1]
    db.session.expire_all()
    assert len(held(learner)) == 1
    assert len(set(checks)) == 2  # both sessions checked; the second saw the first's work


def test_ids_are_unique_under_concurrency(app, backend, programme, make_user):
    if backend["name"] != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so sessions cannot race")
    users = [make_user() for _ in range(6)]
    ids = [u.id for u in users]
    counter = itertools.count()

    def job(barrier):
        from lms.auth.models import User

        user = db.session.get(User, ids[next(counter)])
        barrier.wait(timeout=10)
        return services.issue(user, TODAY, "Race", None, at(TODAY)).credential_id

    issued = _race(app, len(ids), job)
    assert len(set(issued)) == len(ids)
    serials = sorted(parse_id(i).serial for i in issued)
    assert serials == list(range(1, len(ids) + 1))


# --------------------------------------------------------------------------- manual issue


def test_manual_issue_bad_input_changes_nothing(programme, make_user):
    learner = make_user()
    first = services.issue(learner, TODAY - timedelta(days=3), "Board decision", None,
                           at(TODAY))
    assert not first.automatic
    before = db.session.scalar(select(func.count(CredentialEvent.id)))
    from lms.errors import Conflict, ValidationError

    with pytest.raises(Conflict, match="already holds"):
        services.issue(learner, TODAY, "Again", None, at(TODAY))
    with pytest.raises(ValidationError, match="future"):
        services.issue(make_user(), TODAY + timedelta(days=1), "x", None, at(TODAY))
    assert db.session.scalar(select(func.count(Credential.id))) == 1
    assert db.session.scalar(select(func.count(CredentialEvent.id))) == before
