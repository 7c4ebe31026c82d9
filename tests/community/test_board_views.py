"""The boards through the Flask test client: pages, forms, JSON, CSV, safety, query counts."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.community import services
from lms.community.models import Post, Thread
from lms.community.rules import handle
from lms.extensions import db


@pytest.fixture
def as_user(app, sign_in):
    def make(user):
        client = app.test_client()
        sign_in(client, user)
        return client
    return make


def board_url(key: str) -> str:
    kind, ref = key.split(":")
    return f"/community/{kind}/{ref}"


def test_index_lists_boards_with_unread_counts(world, as_user, now):
    services.create_thread(world.ana, world.cohort_a_key, kind="discussion", title="Hello A",
                           body="Hi all", anonymous=False, now=now)
    page = as_user(world.ben).get("/community/").get_data(as_text=True)
    assert "Cohort A" in page and "Cohort B" not in page and "Racial Equity" in page
    assert "1 unread" in page
    assert "Cohort A" not in as_user(world.cara).get("/community/").get_data(as_text=True)


def test_start_a_thread_reply_and_read_it(world, as_user, app, now):
    client = as_user(world.ana)
    r = client.post(board_url(world.course_key), data={
        "kind": "question", "title": "Where do we start?", "body": "With **listening**."})
    assert r.status_code == 302
    thread_url = r.headers["Location"]
    page = client.get(thread_url).get_data(as_text=True)
    assert "<strong>listening</strong>" in page
    ben = as_user(world.ben)
    app.config["FROZEN_NOW"] = now + timedelta(hours=1)
    r = ben.post(thread_url + "/reply", data={"body": "Door-knocking first."})
    assert r.status_code == 302
    page = ben.get(thread_url).get_data(as_text=True)
    assert "Door-knocking first." in page and "Accept this answer" not in page
    page = client.get(thread_url).get_data(as_text=True)
    assert "Accept this answer" in page and "New since your last visit" in page


def test_bad_input_is_refused_with_a_message_and_changes_nothing(world, as_user):
    client = as_user(world.ana)
    r = client.post(board_url(world.course_key), data={"kind": "poll", "title": "",
                                                         "body": ""})
    assert r.status_code == 400
    assert db.session.scalar(select(Thread.id)) is None
    r = client.post(board_url(world.cohort_a_key), data={
        "kind": "discussion", "title": "T", "body": "B", "anonymous": "y"})
    assert r.status_code in (200, 302, 400)
    assert db.session.scalar(select(Thread.anonymous)) in (None, False)


def test_private_boards_are_404_to_outsiders(world, as_user, now):
    thread = services.create_thread(world.ana, world.cohort_a_key, kind="discussion",
                                    title="Ours", body="Private", anonymous=False, now=now)
    cara = as_user(world.cara)
    assert cara.get(board_url(world.cohort_a_key)).status_code == 404
    assert cara.get(f"/community/threads/{thread.id}").status_code == 404
    assert cara.post(f"/community/threads/{thread.id}/reply",
                     data={"body": "sneaking"}).status_code == 404
    assert cara.get(f"/community/mentions?board={world.cohort_a_key}&q=an").status_code == 404
    assert cara.get(board_url("network:nope")).status_code == 404
    assert cara.get("/community/course/abc").status_code == 404


def test_posts_cannot_run_script_load_remote_resources_or_break_layout(world, as_user, now):
    body = ('<script>alert(1)</script><img src="https://tracker.example/p.png" alt="pixel">'
            '<img src=x onerror=alert(1)><iframe src="https://x.example"></iframe>'
            '<a href="javascript:alert(1)">click</a><div style="position:fixed">x</div>'
            '</div></section></main># Heading\n\n[ok](https://example.org)')
    thread = services.create_thread(world.ana, world.course_key, kind="discussion",
                                    title="<b>Title</b>", body=body, anonymous=False, now=now)
    page = as_user(world.ben).get(f"/community/threads/{thread.id}").get_data(as_text=True)
    post_html = page.split('class="post-body markdown">', 1)[1].split("</div>\n", 1)[0]
    assert "<script" not in post_html and "onerror" not in post_html
    assert "tracker.example" not in post_html and "[image: pixel]" in post_html
    assert "<iframe" not in post_html and "javascript:" not in post_html
    assert "style=" not in post_html and "</main>" not in post_html
    assert "&lt;b&gt;Title&lt;/b&gt;" in page


def test_mention_endpoint_suggests_only_members_who_can_see_the_board(world, as_user):
    ana = as_user(world.ana)
    data = ana.get(f"/community/mentions?board={world.cohort_a_key}&q=b").get_json()
    assert data == {"members": [{"id": world.ben.id, "name": "Ben Okafor",
                                 "handle": handle("Ben Okafor", world.ben.id)}]}
    assert ana.get(f"/community/mentions?board={world.cohort_a_key}&q=car").get_json() == {
        "members": []}
    assert ana.get("/community/mentions?board=bogus&q=a").status_code == 404


def test_quote_prefills_the_reply(world, as_user, now):
    thread = services.create_thread(world.ana, world.course_key, kind="discussion",
                                    title="Q", body="Line one\nLine two", anonymous=True,
                                    now=now)
    post_id = db.session.scalar(select(Post.id))
    page = as_user(world.ben).get(f"/community/threads/{thread.id}?quote={post_id}")
    text = page.get_data(as_text=True)
    assert "&gt; Line one" in text and "Anonymous" in text and "Ana Lopez" not in text


def test_flag_hide_and_the_author_sees_it_hidden(world, as_user, now):
    thread = services.create_thread(world.ana, world.cohort_a_key, kind="discussion",
                                    title="Plans", body="Let's plan", anonymous=False, now=now)
    bad = services.reply(world.ben, thread, body="An unkind remark", anonymous=False,
                         quote_of_id=None, now=now)
    ana = as_user(world.ana)
    assert ana.get(f"/community/posts/{bad.id}/flag").status_code == 200
    assert ana.post(f"/community/posts/{bad.id}/flag",
                    data={"reason": "Unkind"}).status_code == 302
    assert as_user(world.ben).get("/community/moderation").status_code == 403
    registrar = as_user(world.registrar)
    queue = registrar.get("/community/moderation").get_data(as_text=True)
    assert "An unkind remark" in queue and "Unkind" in queue
    assert registrar.post(f"/community/moderation/posts/{bad.id}/hide",
                          data={"note": "tone"}).status_code == 302
    page = as_user(world.ben).get(f"/community/threads/{thread.id}").get_data(as_text=True)
    assert "hidden by a moderator" in page and "An unkind remark" not in page
    log = registrar.get("/community/moderation/log").get_data(as_text=True)
    assert "hide" in log and "tone" in log


def test_edit_history_for_moderators(world, as_user, now):
    thread = services.create_thread(world.ana, world.course_key, kind="discussion",
                                    title="T", body="First words", anonymous=False, now=now)
    post_id = db.session.scalar(select(Post.id))
    ana = as_user(world.ana)
    assert ana.get(f"/community/posts/{post_id}/edit").status_code == 200
    assert as_user(world.ben).get(f"/community/posts/{post_id}/edit").status_code == 404
    assert ana.post(f"/community/posts/{post_id}/edit",
                    data={"body": "Second words"}).status_code == 302
    assert as_user(world.ben).get(f"/community/posts/{post_id}/history").status_code == 404
    history = as_user(world.teacher).get(f"/community/posts/{post_id}/history")
    assert "First words" in history.get_data(as_text=True)
    assert thread.id


def test_participation_page_and_csv_are_formula_safe(world, as_user, now, make_user):
    from lms.courses.models import Enrolment

    evil = make_user(name="=HYPERLINK(\"http://x\")")
    db.session.add(Enrolment(user_id=evil.id, course_id=world.course.id, enrolled_at=now,
                             last_activity_at=now))
    db.session.commit()
    services.create_thread(evil, world.course_key, kind="discussion", title="x", body="y",
                           anonymous=False, now=now)
    teacher = as_user(world.teacher)
    page = teacher.get(f"{board_url(world.course_key)}/participation")
    assert page.status_code == 200 and "<svg" in page.get_data(as_text=True)
    r = teacher.get(f"{board_url(world.course_key)}/participation.csv")
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert rows[0][0] == "member" and rows[1][0].startswith("'=")
    assert as_user(world.ana).get(f"{board_url(world.course_key)}/participation"
                                  ).status_code == 403


def _fill(world, now, threads: int, replies: int) -> Thread:
    last = None
    for i in range(threads):
        last = services.create_thread(world.registrar, world.course_key, kind="question",
                                      title=f"Thread {i} climate", body=f"climate body {i} "
                                      f"@{handle('Ben Okafor', world.ben.id)}",
                                      anonymous=i % 2 == 0, now=now + timedelta(minutes=i))
    assert last is not None
    for j in range(replies):
        author = (world.ana, world.ben, world.cara)[j % 3]
        services.reply(author, last, body=f"climate reply {j} [l](/courses/JC-101/items/x)",
                       anonymous=False, quote_of_id=None, now=now + timedelta(hours=1, minutes=j))
    return last


@pytest.mark.parametrize("size", [(2, 2), (30, 25)])
def test_query_counts_do_not_grow_with_the_data(world, as_user, app, now, count_queries,
                                                 size):
    app.config["COMMUNITY_NEW_ACCOUNT_DAYS"] = 0
    thread = _fill(world, now, *size)
    client = as_user(world.ben)  # mentioned in every thread: the bell has much to count
    client.get(f"/community/threads/{thread.id}")  # the first visit records the read
    pages = {"list": board_url(world.course_key),
             "thread": f"/community/threads/{thread.id}?page=1",
             "search": "/community/search?q=climate", "index": "/community/",
             "bell": "/notifications"}
    counts = {}
    for name, url in pages.items():
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        counts[name] = counter.count
    assert counts == EXPECTED_COUNTS, counts


#: Statements per page (including the signed-in user's session lookup).
EXPECTED_COUNTS = {"list": 7, "thread": 9, "search": 6, "index": 7, "bell": 5}


def test_the_search_page_says_when_it_shows_only_the_newest(world, now, as_user,
                                                             monkeypatch):
    from lms.community import search

    monkeypatch.setattr(search, "MAX_CANDIDATES", 2)
    for i in range(3):
        services.create_thread(world.ana, world.course_key, kind="discussion",
                               title=f"Shade {i}", body="shade trees", anonymous=False,
                               now=now)
    page = as_user(world.cara).get("/community/search?q=shade").get_data(as_text=True)
    assert "2+ results" in page and "newest matches" in page
