"""`flask --app wsgi demo`: believable demo data for every role (idempotent).

Accounts for each role; a learner mid-course; a cohort of learners whose quiz attempts give the
instructor real results and item analysis; AP exam candidates (one passed, one waiting out the
cooldown, one with an extra-time accommodation). Running it again changes nothing already there.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import func, select

from lms import clock
from lms.auth import services as accounts
from lms.courses import services as courses
from lms.courses.models import Course, Item
from lms.extensions import db

DEMO_PASSWORD = "justcommunities"  # noqa: S105 - published demo password, local use only

DEMO_USERS = [
    # email, name, role, profile
    ("admin@example.org", "Alex Admin", "admin",
     {"organisation": "Partnership for Southern Equity"}),
    ("registrar@example.org", "Rosa Registrar", "registrar",
     {"organisation": "Just Communities AP programme"}),
    ("instructor@example.org", "Imani Instructor", "instructor",
     {"organisation": "Just Communities faculty", "city": "Atlanta", "country": "United States",
      "bio": "Planner and facilitator; twenty years of community-led neighbourhood work."}),
    ("learner@example.org", "Maya Okafor", "learner",
     {"legal_name": "Maya A. Okafor", "organisation": "Eastside Residents Alliance",
      "city": "Marlow Bay", "country": "United States",
      "bio": "Resident leader working on flood-safe, affordable housing."}),
]

# A cohort of fictional learners: name, organisation, city, country, skill (0..1).
COHORT = [
    ("Daniel Reyes", "City of Alder Bend Planning", "Alder Bend", "United States", 0.62),
    ("Grace Liu", "Harbourline Design Studio", "Vancouver", "Canada", 0.93),
    ("Kwame Mensah", "Accra Urban Futures", "Accra", "Ghana", 0.81),
    ("Sofia Martins", "Instituto Bairro Vivo", "Recife", "Brazil", 0.74),
    ("Tom Becker", "Riverside Housing Co-op", "Leipzig", "Germany", 0.55),
    ("Aisha Khan", "Greenway Community Trust", "Birmingham", "United Kingdom", 0.88),
    ("Luis Ortega", "Metro Transit Authority", "Austin", "United States", 0.47),
    ("Naledi Dlamini", "Ubuntu Neighbourhood Forum", "Durban", "South Africa", 0.79),
    ("Hannah Cohen", "Civic Data Lab", "Chicago", "United States", 0.68),
    ("Marcus Webb", "Webb & Partners Developers", "Atlanta", "United States", 0.41),
    ("Priya Raman", "Chennai Climate Collective", "Chennai", "India", 0.9),
    ("Elena Popescu", "Bucharest Housing Office", "Bucharest", "Romania", 0.58),
]


def _email(name: str) -> str:
    return name.lower().replace(" ", ".") + "@example.org"


def seed_users(now: datetime) -> dict[str, object]:
    users = {}
    for email, name, role, profile in DEMO_USERS:
        user = accounts.get_user_by_email(email)
        if user is None:
            user = accounts.create_user(email, name, role, DEMO_PASSWORD, now)
            accounts.update_profile(user, profile)
        users[role] = user
    for name, org, city, country, _ in COHORT:
        if accounts.get_user_by_email(_email(name)) is None:
            user = accounts.create_user(_email(name), name, "learner", DEMO_PASSWORD, now)
            accounts.update_profile(user, {"organisation": org, "city": city,
                                           "country": country, "directory_opt_in": True})
    return users


def _ensure_courses(now: datetime) -> None:
    if db.session.scalar(select(Course.id).limit(1)) is None:
        courses.import_courses(Path(current_app.config["COURSES_DIR"]), now)


def _course(code: str) -> Course | None:
    return db.session.scalar(select(Course).where(Course.code == code))


def _items(course: Course) -> list[Item]:
    return [i for i in course.items if i.active and not i.instructors_only]


def simulated_response(data: dict, right: bool, rng: random.Random):
    """A believable response to a question: right, or a typical mistake."""
    qtype = data["type"]
    if qtype in ("single", "truefalse"):
        good = [o["id"] for o in data["options"] if o["correct"]]
        bad = [o["id"] for o in data["options"] if not o["correct"]]
        return good[0] if right or not bad else rng.choice(bad)
    if qtype == "multiple":
        good = [o["id"] for o in data["options"] if o["correct"]]
        bad = [o["id"] for o in data["options"] if not o["correct"]]
        if right or not bad:
            return good
        return good[:-1] + [rng.choice(bad)]
    if qtype == "numeric":
        value = data["numeric"][0]["value"]
        return f"{value:g}" if right else f"{value + rng.choice([1, 2, 10]):g}"
    if qtype == "text":
        texts = [a["text"] for a in data["accepted"] if "text" in a]
        return (texts[0] if texts else "") if right else "not sure"
    if qtype == "matching":
        rights = [p["right_id"] for p in data["pairs"]]
        if not right:
            rights = rights[1:] + rights[:1]
        return {p["id"]: r for p, r in zip(data["pairs"], rights, strict=True)}
    if qtype == "ordering":
        ids = [i["id"] for i in data["items"]]
        return ids if right else list(reversed(ids))
    return None


def finish_other_items(user, course, enrolment, when: datetime) -> None:
    """Complete the course's lessons and pass its quizzes that the user has not done yet."""
    from lms.courses import services as courses
    from lms.quizzes import services as quizzes

    rng = random.Random(user.id)
    done = courses.progress(enrolment, course).done_ids
    for item in [i for i in course.items
                 if i.active and not i.instructors_only and i.id not in done]:
        when += timedelta(hours=3)
        if item.kind == "lesson":
            courses.complete_lesson(enrolment, item, when)
        elif item.kind == "quiz":
            quiz = quizzes.quiz_for_item(item)
            for _ in range(3):
                if take_quiz(quiz, user, enrolment, 0.97, when, rng).passed:
                    break
                when += timedelta(hours=2)


def take_quiz(quiz, user, enrolment, skill: float, started: datetime, rng: random.Random,
              minutes: int = 12, honour: bool = False):
    """Start, answer and submit one attempt through the real services."""
    from lms.quizzes import services as quizzes
    from lms.quizzes.models import Question

    attempt = quizzes.start_attempt(quiz, user, enrolment, started, honour=honour,
                                    rng_seed=rng.randrange(2**31))
    first = db.session.scalar(select(func.min(Question.id))) - 1
    answers = {}
    for aq in attempt.questions:
        # some questions are harder: the same ones whatever ids the database handed out (ids
        # counted from the first question, as in a fresh database)
        difficulty = ((aq.version.question_id - first) % 5) * 0.07
        answers[aq.version.data["key"]] = simulated_response(
            aq.version.data, rng.random() < skill - difficulty, rng)
    done = started + timedelta(minutes=minutes)
    quizzes.save_answers(attempt, answers, done - timedelta(minutes=1))
    return quizzes.submit_attempt(attempt, None, done)


def _work_through(user, course: Course, upto: int, skill: float, start: datetime,
                  rng: random.Random) -> None:
    """Enrol and work through the first `upto` items (lessons completed, quizzes taken)."""
    from lms.quizzes import services as quizzes

    enrolment = courses.enrol(user, course, start)
    when = start
    for item in _items(course)[:upto]:
        when += timedelta(hours=rng.randint(5, 40))
        if item.kind == "lesson":
            courses.record_visit(enrolment, item, when)
            courses.complete_lesson(enrolment, item, when)
        elif item.kind == "quiz":
            quiz = quizzes.quiz_for_item(item)
            if quiz.exam:
                continue
            for _ in range(3):
                attempt = take_quiz(quiz, user, enrolment, skill, when, rng)
                if attempt.passed:
                    break
                when += timedelta(hours=2)
                skill = min(0.97, skill + 0.15)
        else:
            break  # assignments are graded by people
    last = _items(course)[min(upto, len(_items(course)) - 1)]
    courses.record_visit(enrolment, last, when + timedelta(hours=1))


def seed_learning(now: datetime) -> None:
    """Enrolments, progress and quiz attempts for the demo learners (once)."""
    from lms.quizzes import services as quizzes

    maya = accounts.get_user_by_email("learner@example.org")
    jc101, jc201, jcap = _course("JC-101"), _course("JC-201"), _course("JC-AP")
    if None in (maya, jc101, jc201, jcap) or courses.get_enrolment(maya, jc101) is not None:
        return
    rng = random.Random(2026)
    # Maya: mid-way through JC-101 (first module done, its quiz passed, into the second).
    _work_through(maya, jc101, 7, 0.85, now - timedelta(days=12), rng)
    # The cohort: varied progress through JC-101; the strongest finished and moved on.
    for index, (name, _org, _city, _country, skill) in enumerate(COHORT):
        user = accounts.get_user_by_email(_email(name))
        start = now - timedelta(days=60 - index * 3)
        upto = len(_items(jc101)) if skill > 0.6 else 4 + index % 6
        _work_through(user, jc101, upto, skill, start, rng)
    # JC-201 started by those who completed JC-101.
    for name in ("Grace Liu", "Kwame Mensah", "Aisha Khan", "Priya Raman", "Daniel Reyes"):
        user = accounts.get_user_by_email(_email(name))
        _work_through(user, jc201, 5, 0.8, now - timedelta(days=20), rng)
    # The AP exam: Grace passed, Daniel failed and waits out the cooldown, Priya has extra time.
    exam_item = next(i for i in _items(jcap) if i.slug == "ap-exam")
    exam = quizzes.quiz_for_item(exam_item)
    instructor = accounts.get_user_by_email("instructor@example.org")
    for name, skill, days_ago in (("Grace Liu", 0.97, 9), ("Daniel Reyes", 0.55, 1),
                                  ("Kwame Mensah", 0.9, 4)):
        user = accounts.get_user_by_email(_email(name))
        enrolment = courses.enrol(user, jcap, now - timedelta(days=days_ago + 5))
        take_quiz(exam, user, enrolment, skill, now - timedelta(days=days_ago), rng,
                  minutes=48, honour=True)
    priya = accounts.get_user_by_email(_email("Priya Raman"))
    courses.enrol(priya, jcap, now - timedelta(days=3))
    quizzes.grant_accommodation(exam, priya, "extra_time", 30, instructor,
                                now - timedelta(days=2), "Documented reading accommodation")
    # Priya is part-way through the practice quiz: one answer saved, one question flagged.
    practice = quizzes.quiz_for_item(next(i for i in _items(jcap) if i.slug == "practice-quiz"))
    attempt = quizzes.start_attempt(practice, priya, courses.get_enrolment(priya, jcap),
                                    now - timedelta(hours=2), rng_seed=7)
    first, second = (aq.version.data for aq in attempt.questions[:2])
    quizzes.save_answers(attempt, {first["key"]: simulated_response(first, True, rng)},
                         now - timedelta(hours=2), flags={second["key"]})
    # The instructor has an unpublished draft of JC-101's first lesson (learners see the old text).
    orientation = _items(jc101)[0]
    courses.save_draft(orientation, orientation.source.rstrip("\n") + "\n\n> **Draft:** a "
                       "welcome video will open this lesson.\n", instructor,
                       now - timedelta(hours=3), note="Plan a welcome video")


# Two intakes of the programme, as cohorts staff can filter results by.
DEMO_COHORTS = [
    ("Spring 2026 intake", "Practitioners who began the programme in spring 2026.",
     [_email(name) for name, *_ in COHORT[0::2]]),
    ("Autumn 2026 intake", "Practitioners who began the programme in autumn 2026.",
     [_email(name) for name, *_ in COHORT[1::2]] + ["learner@example.org"]),
]


def seed_cohorts(now: datetime) -> None:
    from lms.cohorts import services as cohorts
    from lms.errors import NotFound

    for name, description, emails in DEMO_COHORTS:
        try:
            cohorts.get_cohort(cohorts.slugify(name))
        except NotFound:
            cohort = cohorts.create_cohort(name, description, actor=None, now=now)
            cohorts.add_members(cohort, "\n".join(emails), now=now)


@click.command("demo")
def demo_command():
    """Seed demo accounts and data (safe to run again)."""
    now = clock.now()
    users = seed_users(now)
    _ensure_courses(now)
    seed_learning(now)
    seed_cohorts(now)
    from lms.assignments.demo import seed_assignments
    from lms.credits.demo import seed_ce

    seed_assignments(now, finish_other_items)
    from lms.credentials import services as credentials

    holders = seed_ce(now, DEMO_PASSWORD, users["registrar"], credentials.issue)
    from lms.credentials.demo import seed_credentials

    holders += seed_credentials(now, DEMO_PASSWORD, users["registrar"])
    from lms.community.network_demo import seed_network

    invite = seed_network(now, [_email(name) for name, *_ in COHORT])
    from lms.community.demo import seed_boards

    seed_boards(now)
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for email, name, role, _ in DEMO_USERS:
        click.echo(f"  {role:<10} {email:<28} {name}")
    click.echo(f"  plus {len(COHORT)} cohort learners, e.g. {_email(COHORT[0][0])}")
    click.echo(f"  and AP holders in every state (active, grace, expired, suspended, "
               f"revoked), each with a signed certificate: {', '.join(holders)}")
    from lms.verify.demo import seed_verify

    click.echo("Public verification (no account needed; the API is described at /api/docs):")
    for line in seed_verify(holders, now.date()):
        click.echo(f"  {line}")
    if invite:
        click.echo(f"Invitation link to the Spring 2026 intake: {invite}")
