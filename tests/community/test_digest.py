"""The e-mail digest: due members only, visible items only, never the same item twice, and an
unsubscribe link that works without signing in (GET asks, POST acts)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.community import notifications as notes
from lms.community.digest import is_due, run_digest
from lms.community.notifications import Notification
from lms.extensions import db
from lms.mail import OutboxMessage
from tests.builders import client_for, count, text_of

#: Board keys here are made up: the machinery is tested, not the boards' visibility.
pytestmark = pytest.mark.usefixtures("all_boards_visible")


def outbox(email: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email)
                                   .order_by(OutboxMessage.id)))


def note(user, key: str, now, board="global:intro", text=None):
    notes.notify([user.id], "reply", text or f"Reply {key}", f"/t/{key}", board, key, now)
    db.session.commit()


def test_is_due_rule(now):
    assert is_due("daily", None, now) and is_due("weekly", None, now)
    assert not is_due("off", None, now)
    assert not is_due("daily", now - timedelta(hours=20), now)
    assert is_due("daily", now - timedelta(hours=23), now)
    assert not is_due("weekly", now - timedelta(days=6), now)
    assert is_due("weekly", now - timedelta(days=7), now)


def test_digest_sends_each_item_once(app, make_user, now):
    ana = make_user(email="ana@example.org", name="Ana")
    note(ana, "p1", now, text="Ben replied to “Walk audits”")
    note(ana, "p2", now)
    report = run_digest(now)
    assert (report.members, report.items) == (1, 2)
    [msg] = outbox("ana@example.org")
    assert "2 new notifications" in msg.subject and "Ben replied to “Walk audits”" in msg.body
    assert "/t/p1" in msg.body and "/notifications/unsubscribe/" in msg.body
    # the same run again (or a redelivered task) sends nothing
    assert run_digest(now + timedelta(days=8)).members == 0
    note(ana, "p3", now + timedelta(days=1))
    note(ana, "p1", now + timedelta(days=1))  # same key: not a new item
    assert run_digest(now + timedelta(days=1)).members == 0  # weekly by default: not yet due
    report = run_digest(now + timedelta(days=7))
    assert (report.members, report.items) == (1, 1)
    assert "Reply p3" in outbox("ana@example.org")[-1].body
    assert "Reply p2" not in outbox("ana@example.org")[-1].body


def test_digest_respects_the_choice_read_items_and_visibility(app, make_user, now):
    daily, off, reader = (make_user(email=f"{n}@example.org") for n in ("daily", "off", "reader"))
    hidden = make_user(email="hidden@example.org")
    notes.set_digest(daily.id, "daily")
    notes.set_digest(off.id, "off")
    for user in (daily, off, reader, hidden):
        note(user, "p1", now)
    notes.mark_all_read(reader.id, now)
    notes.notify([hidden.id], "reply", "secret", "/t/s", "cohort:7", "p2", now)
    db.session.commit()
    notes.set_visibility_check(lambda pairs: {p for p in pairs if p[1] != "cohort:7"})
    try:
        report = run_digest(now)
    finally:
        notes.set_visibility_check(None)
    assert report.members == 2 and report.hidden == 1
    assert len(outbox("daily@example.org")) == 1 and outbox("off@example.org") == []
    assert outbox("reader@example.org") == []
    assert "secret" not in outbox("hidden@example.org")[0].body
    # the hidden item never surfaces later either
    assert count(Notification, Notification.digested_at.is_(None),
                 Notification.recipient_id == hidden.id) == 0
    note(daily, "p9", now + timedelta(hours=23))
    assert run_digest(now + timedelta(hours=23)).members == 1  # daily: a day later


def test_inactive_members_get_no_digest(app, make_user, now):
    ana = make_user(email="ana@example.org")
    ana.active = False
    db.session.commit()
    note(ana, "p1", now)
    assert run_digest(now).members == 0


def test_the_cli_runs_the_digest(app, runner, make_user, now):
    ana = make_user(email="ana@example.org")
    note(ana, "p1", now)
    result = runner.invoke(args=["community", "digest", "--now", now.isoformat()])
    assert result.exit_code == 0, result.output
    assert "1 digest e-mail(s) queued with 1 notification(s)" in result.output
    result = runner.invoke(args=["community", "digest", "--now", "yesterday"])
    assert result.exit_code != 0 and "ISO 8601" in result.output


def test_the_periodic_task_is_registered():
    from lms.tasks import SCHEDULE

    assert SCHEDULE["community: e-mail digest"][0] == "lms.community.digest"


# --------------------------------------------------------------------------- unsubscribing


def test_unsubscribe_token_is_signed_and_names_one_member(app, make_user):
    ana = make_user()
    token = notes.unsubscribe_token(ana.id)
    assert notes.user_for_unsubscribe(token).id == ana.id
    from lms.errors import NotFound

    for bad in (token[:-2] + "xx", "abc", token + "."):
        with pytest.raises(NotFound):
            notes.user_for_unsubscribe(bad)


def test_unsubscribe_link_works_without_signing_in_and_get_changes_nothing(
        app, make_user, sign_in, now):
    ana = make_user(email="ana@example.org", name="Ana Alvarez")
    note(ana, "p1", now)
    run_digest(now)
    link = re.search(r"https?://\S+/notifications/unsubscribe/\S+", outbox(ana.email)[0].body)
    assert link
    path = "/" + link.group(0).split("/", 3)[3]
    client = client_for(app, sign_in)
    r = client.get(path)
    assert r.status_code == 200 and "Ana Alvarez, stop the" in text_of(r)
    assert notes.digest_choice(ana.id) == "weekly"  # no write on GET
    r = client.post(path)
    assert r.status_code == 200 and "You are unsubscribed" in text_of(r)
    assert notes.digest_choice(ana.id) == "off"
    assert "already turned off" in text_of(client.get(path))
    r = client.get("/notifications/unsubscribe/forged")
    assert r.status_code == 404 and "not valid" in text_of(r)
    assert client.post("/notifications/unsubscribe/forged").status_code == 404


def test_unsubscribe_post_needs_the_csrf_token(app, make_user, sign_in):
    ana = make_user()
    app.config["WTF_CSRF_ENABLED"] = True
    client = client_for(app, sign_in)
    r = client.post(f"/notifications/unsubscribe/{notes.unsubscribe_token(ana.id)}")
    assert r.status_code == 400 and notes.digest_choice(ana.id) == "weekly"
