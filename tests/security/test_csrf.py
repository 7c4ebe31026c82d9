"""Every state-changing route refuses a request without the session's own CSRF token.

For every POST/PUT/PATCH/DELETE route of the URL map (new ones included without editing this
file), signed in and anonymous, with CSRF protection on as in production: a missing token, an
empty one, another session's valid token and a tampered one are each answered 400 with the
"security token" message, and nothing is changed (the outbox, the one table every feature's
writes reach, and the users stay as they were). A control request with the right token passes.
"""
from __future__ import annotations

import re

from sqlalchemy import func, select

from lms.auth.models import User
from lms.extensions import db, limiter
from tests.security.walk import routes, url_for_rule

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _token(client) -> str:
    page = client.get("/account/profile")
    found = TOKEN.search(page.get_data(as_text=True))
    assert found, "the profile form carries a CSRF token"
    return found.group(1)


def _anonymous_token(client) -> str:
    found = TOKEN.search(client.get("/account/signin").get_data(as_text=True))
    assert found
    return found.group(1)


def _tampered(token: str) -> str:
    i = len(token) // 2
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]


def _rows() -> tuple[int, ...]:
    from lms.mail import OutboxMessage
    return (db.session.scalar(select(func.count()).select_from(OutboxMessage)),
            db.session.scalar(select(func.count()).select_from(User)))


#: The public verification API (lms/verify/api.py, `csrf.exempt`): read-only POSTs that take
#: no authority from cookies (a verifier's batch, PDF or Open Badge). They are walked too, and
#: must change nothing (the row count check below), but they answer without a token.
READ_ONLY_API = {"verify_api.verify_batch", "verify_api.verify_pdf", "verify_api.ob_verify"}


def test_every_state_changing_route_refuses_bad_tokens(app, world):
    app.config["WTF_CSRF_ENABLED"] = True
    mine = world.clients["admin"]
    anonymous = world.clients["anon"]
    variants = {"missing": None, "empty": "", "foreign": _token(world.clients["learner"]),
                "tampered": _tampered(_token(mine)),
                "anonymous session's": _anonymous_token(anonymous)}
    anon_variants = {"missing": None, "empty": "", "foreign": _token(world.clients["learner"]),
                     "tampered": _tampered(_anonymous_token(anonymous))}
    before = _rows()
    failures, checked = [], 0
    for key, rule, method in routes(app):
        if method not in STATE_CHANGING:
            continue
        url = url_for_rule(rule, world.values_for(rule))
        for who, client, tokens in (("admin", mine, variants),
                                    ("anonymous", anonymous, anon_variants)):
            for name, token in tokens.items():
                limiter.reset()
                data = {} if token is None else {"csrf_token": token}
                data.update({"body": "x", "name": "x", "email": "x@example.org"})
                response = client.open(url, method=method, data=data)
                checked += 1
                text = response.get_data(as_text=True)
                if rule.endpoint in READ_ONLY_API:
                    assert response.status_code < 500, (key, response.status_code)
                    continue
                if response.status_code != 400 or "security token" not in text:
                    failures.append(f"{key} as {who}, {name} token -> {response.status_code}")
    assert not failures, "\n".join(failures)
    assert checked > 100
    assert _rows() == before, "a refused request changed something"


def test_the_right_token_is_accepted(app, world):
    """The control: the refusals above are the token check, not every request failing."""
    app.config["WTF_CSRF_ENABLED"] = True
    client = world.clients["learner"]
    response = client.post("/account/profile", data={"csrf_token": _token(client),
                                                     "name": "Renamed Learner"})
    assert response.status_code == 302
    assert "Renamed Learner" in client.get("/account/profile").get_data(as_text=True)


def test_json_autosave_needs_the_token_header_too(app, world):
    app.config["WTF_CSRF_ENABLED"] = True
    client = world.clients["learner"]
    url = f"/quiz/attempts/{world.values['attempt_id']}/answers"
    for headers in ({}, {"X-CSRFToken": ""}, {"X-CSRFToken": _token(world.clients["peer"])},
                    {"X-CSRFToken": _tampered(_token(client))}):
        response = client.post(url, data={}, headers={"Accept": "application/json", **headers})
        assert response.status_code == 400, headers
