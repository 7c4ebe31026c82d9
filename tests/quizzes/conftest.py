"""Fixtures of the quiz tests (the quiz courses themselves are built with tests/builders.py)."""
from __future__ import annotations

import pytest

from lms.courses import services as courses
from lms.quizzes.models import Quiz


@pytest.fixture
def learner_in(app, make_user, sign_in, now):
    """learner_in(quiz, **profile) -> (client, user): a learner made with make_user(**profile),
    enrolled in the quiz's course and signed in on their own client. The app's clock
    (FROZEN_NOW) is `now`; every request of the client runs in its own app context (own
    session and `g`, see FreshContextClient in tests/conftest.py), as in production."""
    app.config["FROZEN_NOW"] = now

    def make(quiz: Quiz, **profile):
        user = make_user(**profile)
        courses.enrol(user, quiz.item.course, now)
        client = app.test_client()
        sign_in(client, user)
        return client, user

    return make
