"""The demo's boards: every category lively, a cohort's private board, an answered question,
a flagged post in the queue, unread threads for the demo learner; running it twice adds
nothing."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from lms.auth.models import User
from lms.community import services
from lms.community.models import Post, Thread
from lms.community.visibility import viewer_for
from lms.extensions import db

REPO = Path(__file__).resolve().parents[2]


def test_demo_boards(runner, app, now):
    app.config.update(FROZEN_NOW=now, COURSES_DIR=str(REPO / "courses"))
    assert runner.invoke(args=["demo"]).exit_code == 0
    keys = set(db.session.scalars(select(Thread.board_key)))
    for category in services.categories():
        assert f"network:{category['slug']}" in keys
    assert any(k.startswith("cohort:") for k in keys) and any(k.startswith("course:")
                                                              for k in keys)
    assert db.session.scalar(select(func.count()).select_from(Thread).where(
        Thread.kind == "question", Thread.answered)) >= 2
    registrar = db.session.scalar(select(User).where(User.email == "registrar@example.org"))
    entries, _ = services.moderation_queue(viewer_for(registrar))
    assert len(entries) == 1 and entries[0].reasons
    maya = db.session.scalar(select(User).where(User.email == "learner@example.org"))
    unread = sum(s.unread for s in services.boards_for(viewer_for(maya)))
    assert 0 < unread < len(keys) + 5
    counts = (db.session.scalar(select(func.count()).select_from(Thread)),
              db.session.scalar(select(func.count()).select_from(Post)))
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert (db.session.scalar(select(func.count()).select_from(Thread)),
            db.session.scalar(select(func.count()).select_from(Post))) == counts
