"""No input produces a 500: every route in the URL map, for every role, with hostile values.

Each route's parameters are filled with real values (tests/world.py: courses, an attempt, a
submission, a review, a grade, a cohort, CE rows, users), then one parameter at a time is
replaced by something hostile: numbers beyond the database's integer range, 5,000 digits,
Unicode digits, odd strings. Query strings (`?page=`
and friends) and form fields get the same treatment. Any 5xx fails the test, naming the request.
New routes are covered without editing this file.
"""
from __future__ import annotations

import re
from itertools import chain

import pytest

from tests.security.walk import url_for_rule
from tests.world import PEOPLE, build_world

HOSTILE_INTS = ["2147483648", "-2147483649", "99999999999999999999", "9" * 5000, "٣", "²", "①",
                "0", "-1", "1.5", "1e9", " 1", "0x10"]
HOSTILE_TEXT = ["..", "../../etc/passwd", "%00", "\x00", "a\x00b", "<script>alert(1)</script>",
                "ü" * 300, "a" * 5000, " ", "'; DROP TABLE users; --", "%", "_", "\\", "%E2%80%AE"]
QUERY_KEYS = ["page", "per_page", "q", "role", "cohort", "next", "tag", "sort"]
FORM_KEYS = ["email", "password", "confirm", "name", "role", "active", "amount", "kind",
             "learner", "note", "source", "emails", "description", "position", "answer"]


#: The people of tests/world.py the walk goes as (each role once, plus the peer reviewer).
WALKERS = {key: PEOPLE[key] for key in ("anon", "learner", "peer", "inst", "registrar", "admin")}


@pytest.fixture
def world(app, tmp_path, now, make_user, sign_in):
    """Real values for every route parameter, and a signed-in client per person."""
    return build_world(app, tmp_path, now, make_user, sign_in, people=WALKERS)


def _requests(app, world):
    for rule in app.url_map.iter_rules():
        base = world.values_for(rule)
        ints = set(re.findall(r"<int:(\w+)>", rule.rule))
        hostile_for = {arg: HOSTILE_INTS if arg in ints else HOSTILE_TEXT
                       for arg in rule.arguments}
        variants = [base] + [dict(base, **{arg: bad}) for arg, bads in hostile_for.items()
                             for bad in bads]
        for variant in variants:
            url = url_for_rule(rule, variant)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, url, None
        url = url_for_rule(rule, base)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for bad in chain(HOSTILE_INTS, HOSTILE_TEXT[:8]):
                yield method, url, bad


@pytest.mark.parametrize("person", list(WALKERS))
def test_no_route_answers_any_role_with_a_server_error(app, world, person):
    """One role per test, so that xdist spreads the walk (tens of thousands of requests)."""
    failures = []
    seen = set()
    for method, url, bad in _requests(app, world):
        client = world.clients[person]
        if bad is None:
            response = client.open(url, method=method)
        elif method == "GET":
            response = client.open(url, method=method, query_string={k: bad for k in QUERY_KEYS})
        else:
            response = client.open(url, method=method, data={k: bad for k in FORM_KEYS})
        response.close()  # a streamed download (a CSV) holds its request context until closed
        seen.add((method, url, bad, response.status_code))
        if response.status_code >= 500:
            shown = url if len(url) < 120 else url[:120] + "…"
            failures.append(f"{person} {method} {shown} "
                            f"{'' if bad is None else repr(bad[:20])} -> {response.status_code}")
        if url.endswith(("/signout", "/signout-everywhere")) and person != "anon":
            # those end the session or the account: sign back in for what follows
            world.clients[person] = world.signed_in(person)
    assert not failures, "\n".join(failures[:40])
    # the walk reached the pages themselves, not only the sign-in form
    assert any(status == 200 for *_, status in seen)
    if person == "admin":
        real = url_for_rule(app.url_map._rules_by_endpoint["admin.user_detail"][0],
                            world.values)
        assert ("GET", real, None, 200) in seen
    if person == "learner":
        assert ("GET", "/dashboard", None, 200) in seen
