"""No input produces a 500: every route in the URL map, for every role, with hostile values.

Each route's parameters are filled with real values (a course with a quiz, an attempt, a cohort,
users), then one parameter at a time is replaced by something hostile: numbers beyond the
database's integer range, 5,000 digits, Unicode digits, odd strings. Query strings (`?page=`
and friends) and form fields get the same treatment. Any 5xx fails the test, naming the request.
New routes are covered without editing this file.
"""
from __future__ import annotations

import re
from itertools import chain
from urllib.parse import quote

import pytest

from lms.cohorts import services as cohorts
from lms.extensions import db
from tests.builders import install, quiz_md

HOSTILE_INTS = ["2147483648", "-2147483649", "99999999999999999999", "9" * 5000, "٣", "²", "①",
                "0", "-1", "1.5", "1e9", " 1", "0x10"]
HOSTILE_TEXT = ["..", "../../etc/passwd", "%00", "\x00", "a\x00b", "<script>alert(1)</script>",
                "ü" * 300, "a" * 5000, " ", "'; DROP TABLE users; --", "%", "_", "\\", "%E2%80%AE"]
QUERY_KEYS = ["page", "per_page", "q", "role", "cohort", "next", "tag", "sort"]
FORM_KEYS = ["email", "password", "confirm", "name", "role", "active", "amount", "kind",
             "learner", "note", "source", "emails", "description", "position", "answer"]
ROLES = [None, "learner", "instructor", "registrar", "admin"]


@pytest.fixture
def world(app, tmp_path, now, make_user, sign_in):
    """Real values for every route parameter, and a signed-in client per role."""
    app.config["FROZEN_NOW"] = now
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 to collect, as in production
    users = {role: make_user(role) for role in ROLES if role}
    make_user("instructor", email="teach@example.org")
    quiz = install(tmp_path, now, quiz_md())
    clients = {}
    for role in ROLES:
        client = app.test_client()
        if role:
            sign_in(client, users[role])
        clients[role] = client
    clients["learner"].post(f"/courses/{quiz.item.course.code}/enrol")
    clients["learner"].post(f"/quiz/{quiz.id}/start")
    from sqlalchemy import select

    from lms.quizzes.models import Attempt
    attempt_id = db.session.scalar(select(Attempt.id))
    cohort = cohorts.create_cohort("Spring intake", "", actor=users["registrar"], now=now)
    victim = make_user()  # the account admin actions in the walk act on
    values = {
        "user_id": str(victim.id), "quiz_id": str(quiz.id),
        "attempt_id": str(attempt_id or 1), "number": "1", "code": quiz.item.course.code,
        "slug": quiz.item.slug, "path": "missing.png", "token": "not-a-token",
        "filename": "css/site.css", "kind": "network", "ref": "introductions",
        "action": "follow",
    }
    # Other features' ids walk with ids of no real row (404s): every <..._id> gets a
    # well-formed value; any other new parameter must be given one above.
    for rule in app.url_map.iter_rules():
        for name in rule.arguments:
            if name.endswith("_id"):
                values.setdefault(name, "1")
    return clients, values, cohort.slug


def _url(rule, values: dict[str, str]) -> str:
    """The rule's path with raw (unconverted) values, so converters see exactly these."""
    def value(match: re.Match) -> str:
        name = match.group(2)
        assert name in values, f"{rule.rule}: give <{name}> a value in the `world` fixture"
        return quote(values[name], safe="/%")

    return re.sub(r"<(?:(\w+):)?(\w+)>", value, rule.rule)


def _requests(app, values, cohort_slug):
    for rule in app.url_map.iter_rules():
        base = dict(values)
        if rule.rule.startswith("/admin/cohorts"):
            base["slug"] = cohort_slug
        ints = set(re.findall(r"<int:(\w+)>", rule.rule))
        hostile_for = {arg: HOSTILE_INTS if arg in ints else HOSTILE_TEXT
                       for arg in rule.arguments}
        variants = [base] + [dict(base, **{arg: bad}) for arg, bads in hostile_for.items()
                             for bad in bads]
        for variant in variants:
            url = _url(rule, variant)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, url, None
        url = _url(rule, base)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for bad in chain(HOSTILE_INTS, HOSTILE_TEXT[:8]):
                yield method, url, bad


def test_no_route_answers_any_role_with_a_server_error(app, world):
    clients, values, cohort_slug = world
    failures = []
    seen = set()
    for method, url, bad in _requests(app, values, cohort_slug):
        for role in ROLES:
            client = clients[role]
            if bad is None:
                response = client.open(url, method=method)
            elif method == "GET":
                response = client.open(url, method=method,
                                       query_string={k: bad for k in QUERY_KEYS})
            else:
                response = client.open(url, method=method, data={k: bad for k in FORM_KEYS})
            seen.add((role, method, url, bad, response.status_code))
            if response.status_code >= 500:
                shown = url if len(url) < 120 else url[:120] + "…"
                failures.append(f"{role or 'anonymous'} {method} {shown} "
                                f"{'' if bad is None else repr(bad[:20])} -> "
                                f"{response.status_code}")
            if url.endswith(("/signout", "/signout-everywhere")) and role:
                # those end the session or the account: sign back in for what follows
                clients[role] = _resign(app, role, clients, values)
    assert not failures, "\n".join(failures[:40])
    # the walk reached the pages themselves, not only the sign-in form
    real = _url(app.url_map._rules_by_endpoint["admin.user_detail"][0], values)
    assert ("admin", "GET", real, None, 200) in seen
    assert ("learner", "GET", "/dashboard", None, 200) in seen


def _resign(app, role, clients, values):
    from sqlalchemy import select

    from lms.auth.models import User

    _resign.count += 1
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.0.{_resign.count // 250}.{_resign.count % 250}"
    user = db.session.scalar(select(User).where(User.role == role).order_by(User.id))
    response = client.post("/account/signin", data={"email": user.email,
                                                    "password": "correct-horse-battery"})
    assert response.status_code == 302, "signing back in must work, or the walk tests nothing"
    return client


_resign.count = 0
