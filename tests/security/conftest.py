"""The security suites share one populated platform (tests/world.py)."""
from __future__ import annotations

import pytest

from tests.world import build_world


@pytest.fixture
def world(app, tmp_path, now, make_user, sign_in):
    return build_world(app, tmp_path, now, make_user, sign_in)
