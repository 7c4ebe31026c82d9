"""Credentials fixtures: the real program.yml, a fixed day, holders."""
from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from lms.credentials import services as credentials

REPO = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 24)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def programme_dir(app):
    app.config["COURSES_DIR"] = str(REPO / "courses")
    return app


@pytest.fixture
def holder(programme_dir, make_user):
    """holder(earned_on=date, **user) -> (user, credential) issued by hand on earned_on."""

    def make(earned_on: date = date(2025, 3, 15), **kwargs):
        user = make_user(**kwargs)
        credential = credentials.issue(user, earned_on, "passed the AP exam", None, at(TODAY))
        return user, credential

    return make
