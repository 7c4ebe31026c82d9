"""Public pages never show private data: no e-mail address, no CE detail, no person's name
(nobody has opted in to a public listing today).

`PUBLIC` lists the routes an anonymous visitor can open (200); the test walks each one with
the world's real values and reads the page for every person's e-mail and name and for the CE
activity's title. A route anonymous visitors can open that is not listed fails the test.
TODO(merge): issue 12/13/14 add the verification page, the verify API and the directory:
list them here, and give the directory an opted-in person (whose name may show) and an
opted-out one (whose name must not).
"""
from __future__ import annotations

from tests.security.walk import outcome, routes, url_for_rule

PUBLIC = {"GET main.index", "GET auth.forgot_password", "GET auth.register", "GET auth.signin",
          "GET courses.catalogue", "GET courses.course", "GET courses.asset", "GET main.healthz",
          "GET static"}


def test_public_pages_show_no_private_data(app, world):
    secrets = []
    for user in world.users.values():
        secrets += [user.email, user.name]
    secrets += ["Neighbourhood equity circle", "circle.pdf", world.extra["victim"].email]
    opened = set()
    leaks = []
    for key, rule, method in routes(app):
        if method != "GET":
            continue
        url = url_for_rule(rule, world.values_for(rule))
        for person in ("anon", "api"):
            response = world.clients[person].get(url)
            if outcome(response) != "200":
                continue
            opened.add(key)
            body = response.data.decode("utf-8", "replace")
            leaks += [f"{key} ({url}) as {person} shows {s!r}" for s in secrets if s in body]
    assert opened - PUBLIC == set(), (
        "routes anonymous visitors can open that are not in PUBLIC of "
        f"tests/security/test_privacy.py: {opened - PUBLIC}")
    assert PUBLIC - opened == set(), f"PUBLIC routes no longer open: {PUBLIC - opened}"
    assert not leaks, "\n".join(leaks)
