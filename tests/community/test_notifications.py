"""Notifications: the contract the boards code against (notify, the visibility check)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.community import notifications as notes
from lms.community.notifications import Notification
from lms.extensions import db

#: Board keys here are made up: the machinery is tested, not the boards' visibility.
pytestmark = pytest.mark.usefixtures("all_boards_visible")


@pytest.fixture
def hidden_board():
    """A visibility check that hides board 'cohort:secret' from everyone."""
    notes.set_visibility_check(lambda pairs: {p for p in pairs if p[1] != "cohort:secret"})
    yield
    notes.set_visibility_check(None)


def rows(user_id: int) -> list[tuple[str, str]]:
    return [(n.kind, n.dedupe_key) for n in db.session.scalars(
        select(Notification).where(Notification.recipient_id == user_id)
        .order_by(Notification.id))]


def test_notify_adds_one_row_per_recipient_and_never_the_same_key_twice(app, make_user, now):
    a, b = make_user(), make_user()
    notes.notify([a.id, b.id, a.id], "reply", "Ben replied to “Walk audits”", "/t/1",
                 "course:JC-101", "post:7", now)
    db.session.commit()
    notes.notify([a.id], "reply", "again", "/t/1", "course:JC-101", "post:7",
                 now + timedelta(minutes=1))
    notes.notify([a.id], "mention", "Ben mentioned you", "/t/1", "course:JC-101", "mention:7",
                 now)
    db.session.commit()
    assert rows(a.id) == [("reply", "post:7"), ("mention", "mention:7")]
    assert rows(b.id) == [("reply", "post:7")]
    assert notes.unread_count(a.id) == 2


def test_notify_happens_in_the_callers_transaction(app, make_user, now):
    a = make_user()
    notes.notify([a.id], "reply", "x", "/t/1", "global:intro", "post:1", now)
    db.session.rollback()
    assert rows(a.id) == []


def test_notify_skips_recipients_who_cannot_see_the_board(app, make_user, now, hidden_board):
    a = make_user()
    notes.notify([a.id], "reply", "x", "/t/1", "cohort:secret", "post:1", now)
    notes.notify([a.id], "reply", "y", "/t/2", "global:intro", "post:2", now)
    db.session.commit()
    assert rows(a.id) == [("reply", "post:2")]


def test_the_bell_counts_only_boards_still_visible(app, make_user, now):
    a = make_user()
    notes.notify([a.id], "reply", "x", "/t/1", "cohort:secret", "post:1", now)
    notes.notify([a.id], "reply", "y", "/t/2", "global:intro", "post:2", now)
    db.session.commit()
    assert notes.unread_count(a.id) == 2
    notes.set_visibility_check(lambda pairs: {p for p in pairs if p[1] != "cohort:secret"})
    try:
        assert notes.unread_count(a.id) == 1  # left the cohort: its board's items vanish
    finally:
        notes.set_visibility_check(None)


def test_notify_refuses_an_unknown_kind_and_bad_keys(app, make_user, now):
    a = make_user()
    with pytest.raises(ValueError, match="kind"):
        notes.notify([a.id], "poke", "x", "/", "global:intro", "k", now)
    with pytest.raises(ValueError, match="dedupe_key"):
        notes.notify([a.id], "reply", "x", "/", "global:intro", "", now)
    with pytest.raises(ValueError, match="board_key"):
        notes.notify([a.id], "reply", "x", "/", "", "k", now)


def test_long_text_is_clipped_not_refused(app, make_user, now):
    a = make_user()
    notes.notify([a.id], "reply", "word " * 200, "/t/1", "global:intro", "k", now)
    db.session.commit()
    text = db.session.scalar(select(Notification.text))
    assert len(text) == notes.MAX_TEXT and text.endswith("\u2026")
