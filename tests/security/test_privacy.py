"""Public pages never show private data: no e-mail address, no CE detail, no person's name
except the opted-in directory member's (on the directory) and the holder's on their own
verification result (what the credential's ID is for).

`PUBLIC` lists the routes an anonymous visitor can open (200); the test walks each one with
the world's real values and reads the page for every person's e-mail and name and for the CE
activity's title. A route anonymous visitors can open that is not listed fails the test.
`SHOWS_NAME`: routes that may show one named person's name (never an e-mail address).
"""
from __future__ import annotations

from tests.security.walk import outcome, routes, url_for_rule

PUBLIC = {"GET main.index", "GET auth.forgot_password", "GET auth.register", "GET auth.signin",
          "GET courses.catalogue", "GET courses.course", "GET courses.asset", "GET main.healthz",
          "GET static", "GET verify.index", "GET verify.credential", "GET directory.index",
          "GET verify_api.openapi", "GET verify_api.docs", "GET verify_api.verify_one",
          "GET verify_api.ob_issuer", "GET verify_api.ob_jwks", "GET verify_api.ob_achievement",
          "GET verify_api.ob_status", "GET cohorts.join"}
#: route -> the world person whose name it may show
SHOWS_NAME = {"GET verify.credential": "learner", "GET verify_api.verify_one": "learner",
              "GET directory.index": "peer"}


def test_public_pages_show_no_private_data(app, world):
    from lms.auth import services as auth
    # the directory: the peer opted in, the learner (and everyone else) did not
    auth.update_profile(world.users["peer"], {"directory_opt_in": True})
    emails = [user.email for user in world.users.values()] + [world.extra["victim"].email]
    names = {key: user.name for key, user in world.users.items()}
    fixed = ["Neighbourhood equity circle", "circle.pdf"] + emails
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
            secrets = fixed + [name for who, name in names.items()
                               if who != SHOWS_NAME.get(key)]
            leaks += [f"{key} ({url}) as {person} shows {s!r}" for s in secrets if s in body]
            if key == "GET directory.index":
                assert names["peer"] in body, "the opted-in member is listed"
    assert opened - PUBLIC == set(), (
        "routes anonymous visitors can open that are not in PUBLIC of "
        f"tests/security/test_privacy.py: {opened - PUBLIC}")
    assert PUBLIC - opened == set(), f"PUBLIC routes no longer open: {PUBLIC - opened}"
    assert not leaks, "\n".join(leaks)
