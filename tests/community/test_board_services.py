"""Service tests of the boards against the real database: visibility, anonymity, answers,
read tracking, editing and deleting, following, moderation, limits."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.community import services
from lms.community.models import Follow, ModerationAction, Post, PostRevision, Suspension
from lms.errors import NotFound, PermissionDenied, ValidationError
from lms.extensions import db
from lms.mail import OutboxMessage


def start(world, user, key, now, **kw):
    kw.setdefault("kind", "discussion")
    kw.setdefault("title", "Heat islands on Hollis Street")
    kw.setdefault("body", "Who has mapped surface temperatures block by block?")
    kw.setdefault("anonymous", False)
    return services.create_thread(user, key, now=now, **kw)


def test_course_board_is_for_its_learners_and_instructors(world, now):
    thread = start(world, world.ana, world.course_key, now)
    for user in (world.ben, world.cara, world.teacher, world.registrar):
        rows, info = services.list_threads(world.viewer(user),
                                           services.get_board(world.course_key))
        assert [r.thread.id for r in rows] == [thread.id]
    with pytest.raises(NotFound):
        services.open_board(world.viewer(world.outsider), world.course_key)
    with pytest.raises(NotFound):
        services.read_thread(world.viewer(world.outsider), thread, page=1, now=now)


def test_cohort_board_is_private_even_to_other_cohorts_of_the_same_course(world, now):
    thread = start(world, world.ana, world.cohort_a_key, now)
    services.read_thread(world.viewer(world.ben), thread, page=1, now=now)
    for user in (world.cara, world.teacher, world.outsider):
        with pytest.raises(NotFound):
            services.read_thread(world.viewer(user), thread, page=1, now=now)
        with pytest.raises(NotFound):
            services.reply(user, thread, body="hi", anonymous=False, quote_of_id=None, now=now)
    assert world.cohort_a_key not in {s.board.key for s in
                                      services.boards_for(world.viewer(world.cara))}


def test_leaving_a_cohort_removes_access_at_once(world, now):
    from lms.cohorts import services as cohorts

    thread = start(world, world.ana, world.cohort_a_key, now)
    cohorts.remove_member(world.cohort_a, world.ben.id)
    with pytest.raises(NotFound):
        services.read_thread(world.viewer(world.ben), thread, page=1, now=now)


def test_network_boards_for_every_member_in_configured_categories(world, now):
    keys = [s.board.key for s in services.boards_for(world.viewer(world.outsider))]
    assert "network:racial-equity" in keys and "network:introductions" in keys
    assert "network:belonging" in keys and "network:jobs" in keys
    with pytest.raises(NotFound):
        services.open_board(world.viewer(world.outsider), "network:no-such-category")


def test_anonymous_to_peers_named_to_moderators_and_self(world, now):
    thread = start(world, world.ana, world.course_key, now, anonymous=True, kind="question",
                   title="Is it fine to ask a basic question?", body="What is a CPPP?")
    authors = {}
    for user in (world.ben, world.ana, world.teacher):
        page = services.read_thread(world.viewer(user), thread, page=1, now=now)
        authors[user.id] = page.posts[0].author
    assert authors[world.ben.id] == "Anonymous"
    assert authors[world.ana.id] == "Ana Lopez (shown to others as Anonymous)"
    assert authors[world.teacher.id] == "Ana Lopez (anonymous to peers)"
    rows, _ = services.list_threads(world.viewer(world.ben), services.get_board(world.course_key))
    assert rows[0].author == "Anonymous"


def test_a_board_without_anonymity_refuses_it(world, now):
    with pytest.raises(ValidationError):
        start(world, world.ana, world.cohort_a_key, now, anonymous=True)


def test_endorse_and_accept_make_a_question_answered(world, now):
    q = start(world, world.ana, world.course_key, now, kind="question")
    answer = services.reply(world.ben, q, body="We used a thermal drone survey.",
                            anonymous=False, quote_of_id=None, now=now)
    other = services.reply(world.cara, q, body="Try the open data portal.", anonymous=False,
                           quote_of_id=None, now=now)
    with pytest.raises(PermissionDenied):
        services.endorse(world.ben, other, now)
    assert services.endorse(world.teacher, answer, now) is True
    assert q.answered
    with pytest.raises(PermissionDenied):
        services.accept(world.ben, other, now)
    assert services.accept(world.ana, other, now) is True
    assert services.accept(world.ana, answer, now) is True  # moves the acceptance
    db.session.refresh(other)
    assert not other.accepted and answer.accepted
    rows, _ = services.list_threads(world.viewer(world.ana), services.get_board(world.course_key),
                                    filter_="unanswered")
    assert rows == []


def test_read_tracking_unread_counts_and_new_marker(world, now):
    thread = start(world, world.ana, world.course_key, now)
    board = services.get_board(world.course_key)
    counts = {s.board.key: s.unread for s in services.boards_for(world.viewer(world.ben))}
    assert counts[world.course_key] == 1
    first = services.read_thread(world.viewer(world.ben), thread, page=None, now=now)
    assert first.last_read_at is None and not any(p.new for p in first.posts)
    counts = {s.board.key: s.unread for s in services.boards_for(world.viewer(world.ben))}
    assert counts[world.course_key] == 0
    later = now + timedelta(hours=1)
    reply = services.reply(world.cara, thread, body="Ours is on the city portal.",
                           anonymous=False, quote_of_id=None, now=later)
    rows, _ = services.list_threads(world.viewer(world.ben), board, filter_="unread")
    assert [r.thread.id for r in rows] == [thread.id]
    again = services.read_thread(world.viewer(world.ben), thread, page=None,
                                 now=later + timedelta(minutes=5))
    assert again.last_read_at == now
    assert [p.post.id for p in again.posts if p.new] == [reply.id]
    rows, _ = services.list_threads(world.viewer(world.ben), board, filter_="unread")
    assert rows == []


def test_reading_without_news_writes_nothing(world, now, count_queries):
    thread = start(world, world.ana, world.course_key, now)
    services.read_thread(world.viewer(world.ben), thread, page=1, now=now)
    viewer = world.viewer(world.ben)
    with count_queries() as counter:
        services.read_thread(viewer, thread, page=1, now=now + timedelta(minutes=1))
    assert not any(s.lstrip().upper().startswith(("INSERT", "UPDATE")) for s in
                   counter.statements)


def test_edit_keeps_history_for_staff_only(world, now):
    thread = start(world, world.ana, world.course_key, now)
    post = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    services.edit_post(world.ana, post, body="Corrected text.", now=now + timedelta(minutes=3))
    with pytest.raises(PermissionDenied):
        services.edit_post(world.ben, post, body="Vandalism", now=now)
    history = services.post_history(world.viewer(world.teacher), post)
    assert [r.body for r in history] == ["Who has mapped surface temperatures block by block?"]
    with pytest.raises(NotFound):
        services.post_history(world.viewer(world.ben), post)
    assert db.session.scalar(select(PostRevision.editor_id)) == world.ana.id


def test_soft_delete_leaves_a_placeholder(world, now):
    thread = start(world, world.ana, world.course_key, now)
    reply = services.reply(world.ben, thread, body="A reply I regret.", anonymous=False,
                           quote_of_id=None, now=now)
    services.reply(world.cara, thread, body="A later reply.", anonymous=False,
                   quote_of_id=reply.id, now=now)
    with pytest.raises(PermissionDenied):
        services.delete_post(world.ana, reply, now)
    services.delete_post(world.ben, reply, now)
    page = services.read_thread(world.viewer(world.ana), thread, page=1, now=now)
    deleted = next(p for p in page.posts if p.post.id == reply.id)
    assert deleted.html is None and "deleted" in deleted.placeholder
    assert "regret" not in str([p.html for p in page.posts])
    assert thread.reply_count == 1 and len(page.posts) == 3


def test_following_is_automatic_on_posting_and_mention(world, now):
    from lms.community.rules import handle

    thread = start(world, world.ana, world.course_key, now,
                   body=f"@{handle('Ben Okafor', world.ben.id)} what do you think? "
                        f"And @{handle('Olu Outside', world.outsider.id)}?")
    followers = set(db.session.scalars(select(Follow.user_id).where(
        Follow.thread_id == thread.id)))
    assert followers == {world.ana.id, world.ben.id}  # the outsider cannot see the board
    services.reply(world.cara, thread, body="Me too", anonymous=False, quote_of_id=None, now=now)
    assert world.cara.id in set(db.session.scalars(select(Follow.user_id).where(
        Follow.thread_id == thread.id)))
    page = services.read_thread(world.viewer(world.ben), thread, page=1, now=now)
    html = str(page.posts[0].html)
    assert "<strong>@Ben Okafor</strong>" in html and "Olu Outside" not in html


def test_likes_toggle_and_never_on_own_post(world, now):
    thread = start(world, world.ana, world.course_key, now)
    post = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    with pytest.raises(ValidationError):
        services.toggle_like(world.ana, post, now)
    assert services.toggle_like(world.ben, post, now) is True
    assert services.toggle_like(world.cara, post, now) is True
    assert services.toggle_like(world.ben, post, now) is False
    db.session.refresh(post)
    assert post.like_count == 1


def test_flag_queue_hide_restore_logged_and_the_author_sees_it_hidden(world, now):
    thread = start(world, world.ana, world.cohort_a_key, now)
    bad = services.reply(world.ben, thread, body="Something unkind.", anonymous=False,
                         quote_of_id=None, now=now)
    services.flag(world.ana, bad, "Unkind to a colleague", now)
    with pytest.raises(Exception, match="already flagged"):
        services.flag(world.ana, bad, "again", now)
    with pytest.raises(PermissionDenied):
        services.moderation_queue(world.viewer(world.ben))
    # The course's instructor does not moderate a cohort's private board; the registrar does.
    entries, _ = services.moderation_queue(world.viewer(world.teacher))
    assert entries == []
    entries, _ = services.moderation_queue(world.viewer(world.registrar))
    assert [e.post.id for e in entries] == [bad.id]
    assert entries[0].reasons == [("Ana Lopez", "Unkind to a colleague")]
    with pytest.raises(NotFound):
        services.moderate(world.teacher, bad, "hide", "", now)
    services.moderate(world.registrar, bad, "hide", "Not the tone we keep", now)
    assert services.moderation_queue(world.viewer(world.registrar))[0] == []
    for user, expect_html in ((world.ben, False), (world.ana, False), (world.registrar, True)):
        page = services.read_thread(world.viewer(user), thread, page=1, now=now)
        view = next(p for p in page.posts if p.post.id == bad.id)
        assert (view.html is not None) is expect_html
        if not expect_html:
            assert view.placeholder == "This post was hidden by a moderator."
    services.moderate(world.registrar, bad, "restore", "", now)
    actions = db.session.scalars(select(ModerationAction.action)
                                 .order_by(ModerationAction.id)).all()
    assert actions == ["hide", "restore"]


def test_warn_sends_a_message_and_suspend_stops_posting(world, now):
    thread = start(world, world.ana, world.course_key, now)
    post = services.reply(world.ben, thread, body="Off topic.", anonymous=False,
                          quote_of_id=None, now=now)
    services.warn(world.teacher, post, "Please keep to the topic.", now)
    assert db.session.scalar(select(OutboxMessage.recipient).where(
        OutboxMessage.subject.like("%moderators%"))) == world.ben.email
    with pytest.raises(ValidationError):
        services.suspend(world.teacher, post, 0, "", now)
    services.suspend(world.teacher, post, 3, "Repeated", now)
    with pytest.raises(PermissionDenied, match="suspended"):
        services.reply(world.ben, thread, body="Still here", anonymous=False,
                       quote_of_id=None, now=now + timedelta(days=1))
    services.reply(world.ben, thread, body="Back, and on topic.", anonymous=False,
                   quote_of_id=None, now=now + timedelta(days=4))
    assert db.session.scalar(select(Suspension.user_id)) == world.ben.id
    assert db.session.scalars(select(ModerationAction.action).order_by(
        ModerationAction.id)).all() == ["warn", "suspend"]


def test_new_accounts_are_rate_limited(world, app, now, make_user):
    from lms.auth.models import User

    fresh = make_user(name="New Person")
    db.session.get(User, fresh.id).created_at = now - timedelta(hours=2)
    db.session.commit()
    app.config["COMMUNITY_NEW_ACCOUNT_POSTS_PER_HOUR"] = 2
    for i in range(2):
        start(world, fresh, "network:introductions", now, title=f"Hello {i}")
    with pytest.raises(PermissionDenied, match="New accounts"):
        start(world, fresh, "network:introductions", now, title="Hello again")
    start(world, fresh, "network:introductions", now + timedelta(hours=1, seconds=1),
          title="An hour later")


def test_many_links_wait_for_approval(world, app, now):
    app.config["COMMUNITY_MAX_LINKS"] = 2
    body = "See https://a.example https://b.example https://c.example"
    thread = start(world, world.ana, world.course_key, now, body=body)
    assert not thread.listed
    board = services.get_board(world.course_key)
    assert services.list_threads(world.viewer(world.ben), board)[0] == []
    assert len(services.list_threads(world.viewer(world.ana), board)[0]) == 1
    entries, _ = services.moderation_queue(world.viewer(world.teacher))
    assert len(entries) == 1 and entries[0].reasons == []
    services.moderate(world.teacher, entries[0].post, "approve", "", now)
    assert len(services.list_threads(world.viewer(world.ben), board)[0]) == 1


def test_locked_threads_take_no_replies_except_from_moderators(world, now):
    thread = start(world, world.ana, world.course_key, now)
    with pytest.raises(PermissionDenied):
        services.set_thread_flag(world.ben, thread, "lock", True, now)
    services.set_thread_flag(world.teacher, thread, "lock", True, now)
    with pytest.raises(PermissionDenied, match="locked"):
        services.reply(world.ben, thread, body="x", anonymous=False, quote_of_id=None, now=now)
    services.reply(world.teacher, thread, body="Closing note.", anonymous=False,
                   quote_of_id=None, now=now)


def test_pinned_threads_come_first_and_filters(world, now):
    old = start(world, world.ana, world.course_key, now, title="Old")
    start(world, world.ben, world.course_key, now + timedelta(hours=1), title="New")
    services.set_thread_flag(world.teacher, old, "pin", True, now)
    board = services.get_board(world.course_key)
    rows, _ = services.list_threads(world.viewer(world.cara), board)
    assert [r.thread.title for r in rows] == ["Old", "New"]
    mine, _ = services.list_threads(world.viewer(world.ana), board, filter_="mine")
    assert [r.thread.title for r in mine] == ["Old"]
    following, _ = services.list_threads(world.viewer(world.ben), board, filter_="following")
    assert [r.thread.title for r in following] == ["New"]


def test_thread_list_paginates(world, now):
    for i in range(services.THREADS_PER_PAGE + 3):
        start(world, world.registrar, world.course_key, now + timedelta(minutes=i),
              title=f"T{i}")
    board = services.get_board(world.course_key)
    rows, info = services.list_threads(world.viewer(world.ana), board, page=2)
    assert info.pages == 2 and len(rows) == 3
    rows, info = services.list_threads(world.viewer(world.ana), board, page=99)
    assert info.page == 2


def test_lesson_links_become_cards(world, now):
    from lms.courses.models import Item

    db.session.add(Item(course_id=world.course.id, slug="pillars/racial-equity", kind="lesson",
                        title="The Racial Equity Pillar", position=1, source_path="x.md",
                        source="", body="", content_hash="x", imported_hash="x",
                        updated_at=now))
    db.session.commit()
    thread = start(world, world.ana, world.course_key, now,
                   body="Start with [this](/courses/JC-101/items/pillars/racial-equity).")
    page = services.read_thread(world.viewer(world.ben), thread, page=1, now=now)
    assert page.posts[0].cards == [{"course": "Course JC-101", "title": "The Racial Equity "
                                    "Pillar", "kind": "lesson",
                                    "url": "/courses/JC-101/items/pillars/racial-equity"}]


def test_participation_statistics_for_moderators(world, now):
    q = start(world, world.ana, world.course_key, now, kind="question")
    a = services.reply(world.ben, q, body="An answer", anonymous=False, quote_of_id=None,
                       now=now)
    services.endorse(world.teacher, a, now)
    services.accept(world.ana, a, now)
    with pytest.raises(PermissionDenied):
        services.board_stats(world.viewer(world.ben), world.course_key, now)
    stats = services.board_stats(world.viewer(world.teacher), world.course_key, now)
    by_name = {m.name: m for m in stats.members}
    assert (by_name["Ana Lopez"].threads, by_name["Ana Lopez"].replies) == (1, 0)
    ben = by_name["Ben Okafor"]
    assert (ben.threads, ben.replies, ben.endorsements, ben.accepted) == (0, 1, 1, 1)
    assert sum(t for _w, t, _r in stats.weeks) == 1 and sum(r for *_x, r in stats.weeks) == 1


def test_mention_suggestions_only_members_who_see_the_board(world, now):
    names = [m["name"] for m in services.mention_suggestions(
        world.viewer(world.ana), world.cohort_a_key, "b")]
    assert names == ["Ben Okafor"]
    assert services.mention_suggestions(world.viewer(world.ana), world.cohort_a_key, "cara") == []
    names = [m["name"] for m in services.mention_suggestions(
        world.viewer(world.ana), world.course_key, "t")]
    assert names == ["Tess Teacher"]
    with pytest.raises(NotFound):
        services.mention_suggestions(world.viewer(world.cara), world.cohort_a_key, "a")
