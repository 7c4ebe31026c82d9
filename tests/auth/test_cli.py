"""The account commands: `users create`, `users set-role`, and `demo` (idempotent)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from lms.auth.models import User
from lms.extensions import db
from tests.builders import count

REPO = Path(__file__).resolve().parents[2]


def user(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_users_create_makes_a_confirmed_account(runner, now, app):
    app.config["FROZEN_NOW"] = now
    result = runner.invoke(args=["users", "create", "Imani@Example.org", "--name",
                                 "Imani Instructor", "--role", "instructor",
                                 "--password", "a-good-long-password"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Created imani@example.org (instructor)"
    made = user("imani@example.org")
    assert (made.name, made.role, made.active, made.email_confirmed_at) == (
        "Imani Instructor", "instructor", True, now)
    assert check_password_hash(made.password_hash, "a-good-long-password")


def test_users_create_generates_and_prints_a_password(runner):
    result = runner.invoke(args=["users", "create", "rosa@example.org", "--name", "Rosa"])
    assert result.exit_code == 0, result.output
    match = re.fullmatch(r"Created rosa@example\.org \(learner\) with password (\S+)",
                         result.output.strip())
    assert match, result.output
    assert check_password_hash(user("rosa@example.org").password_hash, match.group(1))


@pytest.mark.parametrize(("args", "message"), [
    (["--role", "emperor"], "Invalid value for '--role'"),
    (["--password", "short"], "Choose a password of at least 10 characters."),
])
def test_users_create_refuses_bad_input(runner, args, message):
    result = runner.invoke(args=["users", "create", "x@example.org", "--name", "X", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert count(User) == 0


def test_users_create_refuses_a_duplicate(runner, make_user):
    existing = make_user(email="taken@example.org", name="First")
    result = runner.invoke(args=["users", "create", "TAKEN@example.org", "--name", "Second",
                                 "--password", "a-good-long-password"])
    assert result.exit_code == 1
    assert "An account for taken@example.org already exists." in result.output
    assert count(User) == 1 and user("taken@example.org").name == existing.name


def test_users_create_needs_a_name(runner):
    result = runner.invoke(args=["users", "create", "x@example.org"])
    assert result.exit_code == 2
    assert "Missing option '--name'" in result.output


def test_users_set_role(runner, make_user):
    make_user(email="maya@example.org")
    result = runner.invoke(args=["users", "set-role", "Maya@Example.org", "registrar"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "maya@example.org is now registrar."
    assert user("maya@example.org").role == "registrar"


def test_users_set_role_refuses_unknown_accounts_and_roles(runner, make_user):
    make_user(email="maya@example.org")
    result = runner.invoke(args=["users", "set-role", "nobody@example.org", "admin"])
    assert result.exit_code == 1 and "No account for nobody@example.org." in result.output
    result = runner.invoke(args=["users", "set-role", "maya@example.org", "emperor"])
    assert result.exit_code == 2 and "'emperor' is not one of" in result.output
    assert user("maya@example.org").role == "learner"


def test_demo_seeds_every_role_and_is_idempotent(runner, app, now):
    from lms.cohorts.models import CohortInvite, CohortMember
    from lms.community.notifications import Notification
    from lms.courses.models import Course, Enrolment
    from lms.quizzes.models import Attempt

    app.config.update(FROZEN_NOW=now, COURSES_DIR=str(REPO / "courses"))
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    for role, email in (("admin", "admin@example.org"), ("registrar", "registrar@example.org"),
                        ("instructor", "instructor@example.org"),
                        ("learner", "learner@example.org")):
        assert email in first.output
        assert user(email).role == role and user(email).confirmed
    assert "justcommunities" in first.output
    models = (User, Course, Enrolment, Attempt, CohortMember, CohortInvite, Notification)
    counts = {model.__name__: count(model) for model in models}
    assert counts["Course"] >= 3 and counts["Enrolment"] > 0 and counts["Attempt"] > 0
    # two intakes: the twelve cohort learners and Maya, and the instructor facilitating each
    assert counts["CohortMember"] == 15
    # the network demo gives Maya five notifications; the boards demo adds its own
    assert counts["CohortInvite"] == 1 and counts["Notification"] >= 5

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    db.session.expire_all()
    assert {model.__name__: count(model) for model in models} == counts
