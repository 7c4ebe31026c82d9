"""Fixtures of the course tests (the course trees themselves are built with tests/builders.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from lms.courses import services
from tests.builders import write_tree


@pytest.fixture
def setup(app, tmp_path, now):
    """Import courses: setup({dirname: files}) writes them (and program.yml) under
    tmp_path/courses and imports them; returns that folder. The app's clock (FROZEN_NOW) and
    COURSES_DIR point here."""
    app.config["FROZEN_NOW"] = now
    root = tmp_path / "courses"
    app.config["COURSES_DIR"] = str(root)

    def do(courses: dict[str, dict[str, str | bytes]]) -> Path:
        write_tree(root, courses)
        services.import_courses(root, now)
        return root

    return do
