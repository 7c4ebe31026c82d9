"""One visibility function, every read path: a property test over random memberships.

Random people (learners, instructors, a registrar) are enrolled in, teach, or belong to random
courses and cohorts; every board gets a thread. Then for every person and every board the list,
the thread page, search, mention suggestions and the notifications' visibility check agree
with `can_see`, and `can_see` agrees with the rule as the issue states it.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from lms.auth import services as auth
from lms.cohorts.models import CohortMember
from lms.community import notifications, search, services
from lms.community.digest import run_digest
from lms.community.visibility import (
    Viewer,
    can_moderate,
    can_see,
    parse_key,
    viewer_for,
    visible_pairs,
)
from lms.courses.models import CourseInstructor
from lms.errors import NotFound
from lms.extensions import db
from lms.mail import OutboxMessage

from .conftest import enrol, make_cohort, make_course

NAMES = ["Ada Quill", "Abe Quince", "Ama Quest", "Aki Quay", "Ari Quell"]
person = st.fixed_dictionaries({
    "role": st.sampled_from(["learner", "learner", "learner", "instructor", "registrar"]),
    "enrolled": st.sets(st.sampled_from([0, 1])),
    "teaching": st.sets(st.sampled_from([0, 1])),
    "cohorts": st.sets(st.sampled_from([0, 1])),
    "facilitating": st.sets(st.sampled_from([0, 1])),
    "leaves": st.booleans(),
})


def _tables_to_empty() -> list:
    names = {"community_likes", "community_reads", "community_follows", "community_flags",
             "community_mod_actions", "community_suspensions", "community_post_revisions",
             "community_posts", "community_threads", "cohort_members", "cohorts",
             "enrolments", "course_instructors", "courses", "user_sessions", "users",
             "outbox_messages"}
    return [t for t in reversed(db.metadata.sorted_tables) if t.name in names]


def _oracle(role: str, p: dict, key: str, course_ids: list[int], cohort_ids: list[int]) -> bool:
    """The issue's rule, stated independently of the code under test."""
    if role == "registrar":
        return True
    ref = parse_key(key)
    assert ref is not None
    if ref.kind == "network":
        return True
    if ref.kind == "course":
        index = course_ids.index(ref.ident)
        return index in p["enrolled"] or (role == "instructor" and index in p["teaching"])
    index = cohort_ids.index(ref.ident)
    return index in p["cohorts"] or index in p["facilitating"]


def _moderates(role: str, p: dict, key: str, course_ids: list[int], cohort_ids: list[int]) -> bool:
    if role == "registrar":
        return True
    ref = parse_key(key)
    assert ref is not None
    if ref.kind == "network":
        return role == "instructor"
    if ref.kind == "course":
        return role == "instructor" and course_ids.index(ref.ident) in p["teaching"]
    return cohort_ids.index(ref.ident) in p["facilitating"]


@pytest.mark.filterwarnings("ignore")
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(people=st.lists(person, min_size=2, max_size=5))
def test_every_read_path_agrees_with_the_one_visibility_function(app, now, people):
    app.config["FROZEN_NOW"] = now
    try:
        _check(now, people)
    finally:
        db.session.rollback()
        with db.engine.begin() as conn:
            for table in _tables_to_empty():
                conn.execute(table.delete())


def _check(now, people: list[dict]) -> None:
    courses = [make_course(f"P-{i}", now) for i in range(2)]
    users = []
    for i, p in enumerate(people):
        users.append(auth.create_user(f"p{i}@example.org", NAMES[i], p["role"], "pw-long-enough",
                                      now - timedelta(days=30), confirmed=True))
    for user, p in zip(users, people, strict=True):
        for index in p["enrolled"]:
            enrol(user, courses[index], now)
        if p["role"] == "instructor":
            for index in p["teaching"]:
                db.session.add(CourseInstructor(course_id=courses[index].id, email=user.email))
    cohorts = [make_cohort(f"Cohort {i}", [], now) for i in range(2)]
    for user, p in zip(users, people, strict=True):
        for index in p["cohorts"] | p["facilitating"]:
            db.session.add(CohortMember(
                cohort_id=cohorts[index].id, user_id=user.id, added_at=now,
                role="facilitator" if index in p["facilitating"] else "member"))
    db.session.commit()
    course_ids, cohort_ids = [c.id for c in courses], [c.id for c in cohorts]
    keys = [f"course:{i}" for i in course_ids] + [f"cohort:{i}" for i in cohort_ids] \
        + ["network:events"]
    poster = next((u for u in users if u.role == "registrar"), None)
    if poster is None:
        poster = auth.create_user("poster@example.org", "Zed Poster", "registrar",
                                  "pw-long-enough", now - timedelta(days=30), confirmed=True)
    threads = {key: services.create_thread(poster, key, kind="discussion",
                                           title=f"Quorum {key}", body="quorum notes",
                                           anonymous=False, now=now) for key in keys}
    viewers: dict[int, Viewer] = {u.id: viewer_for(u) for u in users}
    pairs = [(u.id, key) for u in users for key in keys]
    assert visible_pairs(pairs) == {(uid, key) for uid, key in pairs
                                    if can_see(viewers[uid], key)}
    for user, p in zip(users, people, strict=True):
        viewer = viewers[user.id]
        visible = {key for key in keys if can_see(viewer, key)}
        assert visible == {key for key in keys
                           if _oracle(user.role, p, key, course_ids, cohort_ids)}
        listed_boards = {s.board.key for s in services.boards_for(viewer)}
        assert listed_boards & set(keys) == visible
        for key in keys:
            board = services.get_board(key)
            if key in visible:
                rows, _ = services.list_threads(viewer, board)
                assert [r.thread.id for r in rows] == [threads[key].id]
                services.read_thread(viewer, threads[key], page=1, now=now)
            else:
                with pytest.raises(NotFound):
                    services.list_threads(viewer, board)
                with pytest.raises(NotFound):
                    services.read_thread(viewer, threads[key], page=1, now=now)
                with pytest.raises(NotFound):
                    services.mention_suggestions(viewer, key, "a")
        found = {h.board_key for h in search.search(viewer, "quorum")[0]}
        assert found == visible
        for key in visible:
            suggested = {m["id"] for m in services.mention_suggestions(viewer, key, "a")}
            expected = {u.id for u in users if u.id != user.id and can_see(viewers[u.id], key)}
            assert suggested == expected
        for key in keys:
            assert can_moderate(viewer, key) == _moderates(user.role, p, key, course_ids,
                                                           cohort_ids)
            if can_moderate(viewer, key):
                assert key in visible
    _check_notifications(now, users, people, keys, viewers)


def _check_notifications(now, users, people, keys, before: dict[int, Viewer]) -> None:
    """The bell, the notifications page and the digest, after some people left their cohorts:
    only items on boards they could see when notified AND can still see now."""
    for key in keys:
        notifications.notify([u.id for u in users], "reply", f"note <{key}>", "/community/",
                             key, f"prop:{key}", now)
    db.session.commit()
    for user, p in zip(users, people, strict=True):
        if p["leaves"]:
            db.session.execute(delete(CohortMember).where(CohortMember.user_id == user.id))
    db.session.commit()
    after = {u.id: viewer_for(u) for u in users}
    expected = {u.id: {k for k in keys if can_see(before[u.id], k) and can_see(after[u.id], k)}
                for u in users}
    for user in users:
        assert notifications.unread_count(user.id) == len(expected[user.id])
        _pagination, shown, _hidden = notifications.page_for(user.id, 1, 50)
        assert {n.board_key for n in shown} == expected[user.id]
    run_digest(now)
    bodies = dict(db.session.execute(select(OutboxMessage.recipient, OutboxMessage.body)).all())
    for user in users:
        found = {k for k in keys if f"note <{k}>" in bodies.get(user.email, "")}
        assert found == expected[user.id]


def test_visibility_is_refused_to_inactive_accounts_and_bad_keys():
    viewer = Viewer(1, "admin", active=False)
    assert not can_see(viewer, "network:events")
    staff = Viewer(1, "admin")
    for key in ("", "course:", "course:x", "cohort:-1", "network:", "network:<b>", "other:1",
                "course:" + "9" * 11):
        assert not can_see(staff, key)
