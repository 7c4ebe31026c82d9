"""Fixtures of the CE service and view tests: the real courses/program.yml, holders, files."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from lms.credentials import services as credentials
from lms.credits import services as ce

REPO = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n% evidence\n"
TODAY = date(2026, 11, 24)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def evidence(data: bytes = PDF) -> io.BytesIO:
    return io.BytesIO(data)


def activity(**changes) -> ce.ActivityInput:
    values = {"title": "Neighbourhood equity circle", "provider": "PSE",
              "completed_on": date(2026, 10, 1), "hours": "3", "category": "racial-equity",
              "activity_type": "convening", "link": ""}
    values.update(changes)
    return ce.ActivityInput(**values)


@pytest.fixture
def programme_dir(app):
    app.config["COURSES_DIR"] = str(REPO / "courses")
    app.config["FROZEN_NOW"] = at(TODAY)
    return app


@pytest.fixture
def holder(programme_dir, make_user):
    """holder(earned_on=date, **user) -> a user holding the credential since earned_on."""

    def make(earned_on: date = date(2025, 3, 15), **kwargs):
        user = make_user(**kwargs)
        credentials.issue(user, earned_on, "passed the AP exam", None, at(TODAY))
        return user

    return make
