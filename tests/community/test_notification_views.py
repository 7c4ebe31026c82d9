"""Notification pages: the bell, the list (paginated, mark read), the digest setting."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from lms.community import notifications as notes
from lms.extensions import db
from tests.builders import client_for, text_of

#: Board keys here are made up: the machinery is tested, not the boards' visibility.
pytestmark = pytest.mark.usefixtures("all_boards_visible")


def add(user, n: int, now, board="global:intro", start=0):
    for i in range(start, start + n):
        notes.notify([user.id], "reply", f"Reply number {i}", f"/t/{i}", board, f"p{i}",
                     now + timedelta(minutes=i))
    db.session.commit()


def test_the_bell_shows_the_unread_count(app, make_user, sign_in, now):
    ana = make_user()
    client = client_for(app, sign_in, ana)
    page = text_of(client.get("/dashboard"))
    assert "Notifications" in page and "bell-count" not in page
    add(ana, 3, now)
    page = text_of(client.get("/dashboard"))
    assert '<span class="bell-count">3<span class="visually-hidden"> unread</span>' in page


def test_the_bell_takes_constant_queries(app, make_user, sign_in, now, count_queries):
    ana = make_user()
    client = client_for(app, sign_in, ana)

    def queries() -> int:
        with count_queries() as counter:
            assert client.get("/notifications/settings").status_code == 200
        return counter.count

    add(ana, 1, now)
    one = queries()
    add(ana, 30, now, start=1)
    add(ana, 5, now, board="course:JC-101", start=40)
    assert queries() == one


def test_notifications_page_paginates_in_constant_queries(app, make_user, sign_in, now,
                                                          count_queries):
    ana = make_user()
    client = client_for(app, sign_in, ana)
    add(ana, 3, now)

    def queries(url="/notifications") -> int:
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    few = queries()
    add(ana, 45, now, start=3)
    assert queries() == few
    page = text_of(client.get("/notifications"))
    assert "Reply number 47" in page and "Reply number 27" not in page and "Page 1 of 3" in page
    assert "Reply number 27" in text_of(client.get("/notifications?page=2"))
    assert client.get("/notifications?page=999").status_code == 200
    assert client.get("/notifications?page=abc").status_code == 200


def test_open_marks_read_and_goes_to_the_item(app, make_user, sign_in, now):
    ana, ben = make_user(), make_user()
    add(ana, 2, now)
    client = client_for(app, sign_in, ana)
    [first, second] = db.session.scalars(
        db.select(notes.Notification).order_by(notes.Notification.id)).all()
    r = client.post(f"/notifications/{first.id}/open")
    assert r.status_code == 302 and r.headers["Location"].endswith("/t/0")
    assert notes.unread_count(ana.id) == 1
    # someone else's notification: no such page
    assert client_for(app, sign_in, ben).post(f"/notifications/{second.id}/open").status_code \
        == 404
    client = client_for(app, sign_in, ana)
    r = client.post("/notifications/read-all", follow_redirects=True)
    assert "Marked 1 notification as read." in text_of(r)
    assert notes.unread_count(ana.id) == 0


def test_an_outside_link_is_never_followed(app, make_user, sign_in, now):
    ana = make_user()
    notes.notify([ana.id], "system", "x", "https://evil.example/", "global:intro", "k", now)
    db.session.commit()
    client = client_for(app, sign_in, ana)
    nid = db.session.scalar(db.select(notes.Notification.id))
    r = client.post(f"/notifications/{nid}/open")
    assert r.headers["Location"].endswith("/notifications")


def test_hidden_boards_are_left_out_of_the_page(app, make_user, sign_in, now):
    ana = make_user()
    add(ana, 1, now)
    add(ana, 1, now, board="cohort:7", start=5)
    notes.set_visibility_check(lambda pairs: {p for p in pairs if p[1] != "cohort:7"})
    try:
        client = client_for(app, sign_in, ana)
        page = text_of(client.get("/notifications"))
        nid = db.session.scalar(db.select(notes.Notification.id)
                                .where(notes.Notification.board_key == "cohort:7"))
        assert client.post(f"/notifications/{nid}/open").status_code == 404
    finally:
        notes.set_visibility_check(None)
    assert "Reply number 0" in page and "Reply number 5" not in page
    assert "1 notification on this page is about a board you can no longer see" in page


def test_digest_setting(app, make_user, sign_in):
    ana = make_user()
    client = client_for(app, sign_in, ana)
    page = text_of(client.get("/notifications/settings"))
    assert re.search(r'<input checked[^>]*value="weekly"', page)
    r = client.post("/notifications/settings", data={"digest": "daily"}, follow_redirects=True)
    assert "saved" in text_of(r) and notes.digest_choice(ana.id) == "daily"
    r = client.post("/notifications/settings", data={"digest": "hourly"})
    assert r.status_code == 200 and "Not a valid choice" in text_of(r)
    assert notes.digest_choice(ana.id) == "daily"


def test_pages_need_sign_in(client):
    for url in ("/notifications", "/notifications/settings"):
        r = client.get(url)
        assert r.status_code == 302 and "/account/signin" in r.headers["Location"]
