"""Time is an input. Views ask `now()`; services take `now` as an argument.

Tests (and the demo) may set `app.config["FROZEN_NOW"]` to an aware datetime.
"""
from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, has_app_context


def now() -> datetime:
    if has_app_context():
        frozen = current_app.config.get("FROZEN_NOW")
        if frozen is not None:
            return frozen
    return datetime.now(UTC)
