"""Who may open which page.

`ACCESS` is the table of role-guarded pages: (url, minimum role). Everyone at or above the
minimum gets the page; signed-in users below it get 403; anonymous visitors are sent to sign-in.
A feature that adds a guarded page adds one row here. `{user_id}` in a URL is filled with the id
of an existing account.

`test_every_guarded_page_is_in_the_table` keeps the table honest: every page without URL
arguments that sends anonymous visitors to sign-in must be listed.
"""
from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from lms.auth.models import ROLES

ACCESS: list[tuple[str, str]] = [
    ("/dashboard", "learner"),
    ("/account/profile", "learner"),
    ("/account/password", "learner"),
    ("/teaching", "instructor"),
    ("/assignments/grading", "instructor"),
    ("/admin/", "registrar"),
    ("/admin/users", "admin"),
    ("/admin/users/{user_id}", "admin"),
    ("/admin/outbox", "admin"),
    ("/admin/cohorts", "registrar"),
    ("/ce", "learner"),
    ("/admin/ce", "registrar"),
    ("/admin/ce/import", "registrar"),
    ("/credential", "learner"),
    ("/registrar/credentials", "registrar"),
    ("/notifications", "learner"),
    ("/notifications/settings", "learner"),
    ("/community/", "learner"),
    ("/community/search", "learner"),
    ("/community/moderation", "instructor"),  # instructors moderate their courses' boards
    ("/community/moderation/log", "instructor"),
]

#: Signed-in pages that need a credential: 404 for accounts without one (tests/credits).
HOLDER_ONLY = ["/ce/report", "/ce/transcript.csv", "/ce/transcript.pdf", "/ce/deadline.ics"]
#: Signed-in JSON helpers that need query arguments (404 without them): the mention
#: suggestions of a board the member can see (tests/community).
NEEDS_ARGUMENTS = ["/community/mentions"]

#: Pages anyone may open, signed in or not.
PUBLIC = ["/", "/courses", "/account/signin", "/account/register", "/account/forgot",
          "/healthz"]


@pytest.fixture
def clients(app, make_user, sign_in) -> dict[str | None, FlaskClient]:
    """One client per role, signed in, plus `None`: an anonymous visitor."""
    result: dict[str | None, FlaskClient] = {
        None: app.test_client()}
    for role in ROLES:
        client = app.test_client()
        sign_in(client, make_user(role))
        result[role] = client
    return result


@pytest.mark.parametrize(("url", "minimum"), ACCESS, ids=[row[0] for row in ACCESS])
def test_role_guarded_page(clients, make_user, url: str, minimum: str):
    url = url.format(user_id=make_user().id)
    response = clients[None].get(url)
    assert response.status_code == 302, "anonymous visitors must be sent to sign-in"
    assert response.headers["Location"].startswith("/account/signin?next=")

    allowed_from = ROLES.index(minimum)
    for rank, role in enumerate(ROLES):
        response = clients[role].get(url)
        expected = 200 if rank >= allowed_from else 403
        assert response.status_code == expected, f"{role} on {url}"
        if expected == 403:
            assert "Your account does not have access to this page." in response.get_data(
                as_text=True)


@pytest.mark.parametrize("url", PUBLIC)
def test_public_page(clients, url: str):
    assert clients[None].get(url).status_code == 200
    assert clients["learner"].get(url).status_code in (200, 302)


def test_every_guarded_page_is_in_the_table(app, clients):
    listed = {url for url, _ in ACCESS} | set(HOLDER_ONLY) | set(NEEDS_ARGUMENTS)
    guarded = set()
    for rule in app.url_map.iter_rules():
        if rule.arguments or "GET" not in rule.methods or rule.endpoint == "static":
            continue
        response = clients[None].get(rule.rule)
        if response.status_code == 302 and "/account/signin?next=" in response.headers.get(
                "Location", ""):
            guarded.add(rule.rule)
    assert guarded - listed == set(), "add these pages to ACCESS"
    assert {url for url in listed if "{" not in url} <= guarded


def test_navigation_shows_each_role_its_sections(clients):
    def nav(role):
        html = clients[role].get("/courses").get_data(as_text=True)
        return html[html.index('<nav aria-label="Main">'):html.index("</nav>")]

    expectations = {None: set(), "learner": {"My learning"},
                    "instructor": {"My learning", "Teaching"},
                    "registrar": {"My learning", "Teaching", "Admin"},
                    "admin": {"My learning", "Teaching", "Admin"}}
    for role, shown in expectations.items():
        html = nav(role)
        for label in ("My learning", "Teaching", "Admin"):
            assert (f">{label}</a>" in html) is (label in shown), f"{label} for {role}"
