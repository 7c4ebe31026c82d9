"""Accounts through the web: register, confirm, sign in and out, reset, profile, password,
administration, the outbox, the health check, and every kind of bad input.

The shared `client` runs each request in its own app context, as in production (its own `g`,
so its own signed-in user, and its own database session); after a request the test's session
is expired, so assertions read what the request committed.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from lms import create_app
from lms.auth import services
from lms.auth.models import ROLES, User
from lms.config import TestConfig as LmsTestConfig
from lms.extensions import db
from lms.mail import OutboxMessage

PASSWORD = "correct-horse-battery"  # the make_user default
NEW_PASSWORD = "a-much-longer-passphrase"
CSRF_MESSAGE = "missing its security token"


@pytest.fixture
def frozen(app, now):
    app.config["FROZEN_NOW"] = now
    return now


def text(response) -> str:
    return response.get_data(as_text=True)


def outbox(recipient: str | None = None) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if recipient:
        stmt = stmt.where(OutboxMessage.recipient == recipient)
    return list(db.session.scalars(stmt))


def link_in(message: OutboxMessage, kind: str) -> str:
    """The path of the `kind` ("confirm" or "reset") link in a message."""
    match = re.search(rf"http://localhost(/account/{kind}/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def signed_in(client) -> bool:
    return client.get("/dashboard").status_code == 200


def register(client, email="nadia@example.org", name="Nadia Visitor", password=PASSWORD,
             confirm=None):
    return client.post("/account/register", data={
        "name": name, "email": email, "password": password,
        "confirm": password if confirm is None else confirm})


def post_signin(client, email, password=PASSWORD, next_url=None):
    url = "/account/signin" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password})


@contextmanager
def signed_in_the_past(monkeypatch, seconds: int) -> Iterator[None]:
    """Tokens made inside carry a timestamp `seconds` ago (itsdangerous' own clock)."""
    real = TimestampSigner.get_timestamp
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - seconds)
        yield


# --------------------------------------------------------------------------- registration


def test_register_creates_an_unconfirmed_learner_and_mails_a_link(client, frozen):
    response = register(client, email="  Nadia@Example.ORG ")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/signin")

    user = user_by_email("nadia@example.org")
    assert user is not None
    assert (user.name, user.role, user.active, user.confirmed) == (
        "Nadia Visitor", "learner", True, False)
    assert PASSWORD not in user.password_hash
    (message,) = outbox("nadia@example.org")
    assert message.subject == "Confirm your e-mail address"
    assert message.created_at == frozen
    assert message.delivered is False  # no MAIL_SERVER: logged and kept in the outbox
    assert "We have sent an e-mail to that address" in text(client.get("/account/signin"))


def test_confirmation_link_confirms_and_then_sign_in_works(client, frozen):
    register(client)
    link = link_in(outbox()[0], "confirm")

    response = client.get(link, follow_redirects=True)
    assert response.status_code == 200
    assert "your e-mail address is confirmed" in text(response)
    assert user_by_email("nadia@example.org").email_confirmed_at == frozen

    assert client.get(link).status_code == 302  # opening it again is harmless
    assert post_signin(client, "nadia@example.org").status_code == 302
    assert signed_in(client)


def test_expired_confirmation_link_is_refused(client, monkeypatch, app):
    max_age = app.config["CONFIRM_TOKEN_MAX_AGE"]
    with signed_in_the_past(monkeypatch, max_age + 60):
        register(client)
    response = client.get(link_in(outbox()[0], "confirm"))
    assert response.status_code == 400
    assert "That confirmation link has expired" in text(response)
    assert user_by_email("nadia@example.org").confirmed is False


def test_forged_confirmation_link_is_refused(client):
    register(client)
    link = link_in(outbox()[0], "confirm")
    response = client.get(link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB"))
    assert response.status_code == 400
    assert "That confirmation link is not valid" in text(response)
    assert user_by_email("nadia@example.org").confirmed is False


def test_duplicate_email_changes_nothing_and_tells_only_the_owner(client, make_user):
    existing = make_user(email="taken@example.org", name="First Owner")
    response = register(client, email="TAKEN@example.org", name="Second Person")
    # The page answers as for a new address: it must not tell a stranger who is registered.
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/signin")
    assert "already" not in text(client.get("/account/signin"))
    assert user_count() == 1
    assert user_by_email("taken@example.org").name == existing.name
    (message,) = outbox()
    assert message.recipient == "taken@example.org"
    assert message.subject == "You already have an account"
    assert "Second Person" not in message.body


@pytest.mark.parametrize(("data", "message"), [
    ({"email": "not-an-address"}, "That e-mail address is not valid"),
    ({"password": "short"}, "Use at least 10 characters"),
    ({"confirm": "something-different"}, "The passwords differ."),
    ({"password": "passwordpassword"}, "That password is too common"),
    ({"name": ""}, "This field is required."),
])
def test_bad_registration_input_is_explained_and_creates_nothing(client, data, message):
    fields = {"name": "Nadia", "email": "nadia@example.org", "password": PASSWORD}
    fields.update(data)
    response = register(client, **fields)
    assert response.status_code == 422
    assert message in text(response)
    assert user_count() == 0
    assert outbox() == []


# --------------------------------------------------------------------------- sign-in and out


def test_sign_in_records_the_time_and_goes_to_the_dashboard(client, make_user, frozen):
    user = make_user(email="maya@example.org")
    response = post_signin(client, "Maya@Example.org")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")
    assert db.session.get(User, user.id).last_login_at == frozen
    assert signed_in(client)


@pytest.mark.parametrize("target", ["/courses", "/account/profile?tab=1"])
def test_sign_in_returns_to_a_local_next_page(client, make_user, target):
    user = make_user()
    response = post_signin(client, user.email, next_url=target)
    assert response.headers["Location"].endswith(target)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                    "/\t/evil.example", "javascript:alert(1)"])
def test_sign_in_never_redirects_off_site(client, make_user, target):
    user = make_user()
    response = client.post("/account/signin", query_string={"next": target},
                           data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


def test_anonymous_visitor_is_sent_to_sign_in_and_back(client, make_user):
    response = client.get("/account/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/signin?next=")
    user = make_user()
    response = post_signin(client, user.email, next_url="/account/profile")
    assert response.headers["Location"].endswith("/account/profile")


@pytest.mark.parametrize("email", ["maya@example.org", "nobody@example.org"])
def test_wrong_password_or_unknown_address_is_refused_alike(client, make_user, email):
    user = make_user(email="maya@example.org")
    response = post_signin(client, email, password="not-the-password")
    assert response.status_code == 401
    assert "Wrong e-mail address or password." in text(response)
    assert not signed_in(client)
    assert db.session.get(User, user.id).last_login_at is None


def test_unconfirmed_account_cannot_sign_in_and_gets_a_new_link(client, make_user):
    user = make_user(email="new@example.org", confirmed=False)
    response = post_signin(client, user.email)
    assert response.status_code == 403
    assert "Confirm your e-mail address first" in text(response)
    assert not signed_in(client)
    reloaded = db.session.get(User, user.id)
    assert reloaded.last_login_at is None and not reloaded.confirmed
    (message,) = outbox(user.email)
    assert message.subject == "Confirm your e-mail address"


def test_deactivated_account_cannot_sign_in(client, make_user):
    user = make_user()
    services.set_active(user, False)
    response = post_signin(client, user.email)
    assert response.status_code == 401
    assert "This account has been deactivated" in text(response)
    assert not signed_in(client)


def test_sign_out_ends_the_session(client, make_user, sign_in):
    sign_in(client, make_user())
    assert client.get("/account/signout").status_code == 405  # only a form may sign out
    response = client.post("/account/signout", follow_redirects=True)
    assert "You are signed out." in text(response)
    assert not signed_in(client)


def test_signed_in_visitor_skips_the_sign_in_page(client, make_user, sign_in):
    sign_in(client, make_user())
    response = client.get("/account/signin")
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")


def test_too_many_sign_in_attempts_get_429_even_with_the_right_password(client, make_user, app):
    assert app.config["SIGNIN_RATE_LIMIT"] == "10 per minute"
    app.config["SIGNIN_LOCK_AFTER"] = 100  # the per-client limit, not the per-account lock
    user = make_user()
    for _ in range(10):
        assert post_signin(client, user.email, password="wrong-password").status_code == 401
    response = post_signin(client, user.email)
    assert response.status_code == 429
    assert "You have tried too many times" in text(response)
    assert "Retry-After" in response.headers
    assert not signed_in(client)
    assert db.session.get(User, user.id).last_login_at is None
    assert client.get("/account/signin").status_code == 200  # the form itself stays available


def test_a_forged_forwarded_address_does_not_escape_the_limit(client, make_user, app):
    assert app.config["PROXY_COUNT"] == 0  # no proxy configured: X-Forwarded-For is not trusted
    user = make_user()
    for n in range(10):
        client.post("/account/signin", data={"email": user.email, "password": "wrong-password"},
                    headers={"X-Forwarded-For": f"203.0.113.{n}"})
    response = client.post("/account/signin", data={"email": user.email, "password": PASSWORD},
                           headers={"X-Forwarded-For": "198.51.100.7"})
    assert response.status_code == 429


# --------------------------------------------------------------------------- password reset


def test_reset_link_is_sent_only_to_known_active_accounts(client, make_user):
    user = make_user(email="maya@example.org")
    gone = make_user(email="gone@example.org")
    services.set_active(gone, False)
    for email in ("maya@example.org", "nobody@example.org", "gone@example.org"):
        response = client.post("/account/forgot", data={"email": email}, follow_redirects=True)
        assert "If an account exists for that address" in text(response)
    assert [m.recipient for m in outbox()] == [user.email]
    assert outbox()[0].subject == "Reset your password"


def test_reset_password_works_once(client, make_user):
    user = make_user()
    client.post("/account/forgot", data={"email": user.email})
    link = link_in(outbox()[0], "reset")

    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                           follow_redirects=True)
    assert "Your password has been changed" in text(response)
    assert post_signin(client, user.email).status_code == 401
    assert post_signin(client, user.email, password=NEW_PASSWORD).status_code == 302
    client.post("/account/signout")

    stored = db.session.get(User, user.id).password_hash
    for method in ("GET", "POST"):
        response = client.open(link, method=method,
                               data={"password": "yet-another-password",
                                     "confirm": "yet-another-password"})
        assert response.status_code == 400
        assert "That reset link has already been used" in text(response)
    assert db.session.get(User, user.id).password_hash == stored


def test_expired_reset_link_is_refused_and_changes_nothing(client, make_user, monkeypatch, app):
    user = make_user()
    with signed_in_the_past(monkeypatch, app.config["RESET_TOKEN_MAX_AGE"] + 1):
        client.post("/account/forgot", data={"email": user.email})
    link = link_in(outbox()[0], "reset")
    stored = user.password_hash
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert "That reset link has expired" in text(response)
    assert db.session.get(User, user.id).password_hash == stored


def test_reset_link_within_its_lifetime_still_works(client, make_user, monkeypatch, app):
    user = make_user()
    with signed_in_the_past(monkeypatch, app.config["RESET_TOKEN_MAX_AGE"] - 60):
        client.post("/account/forgot", data={"email": user.email})
    response = client.post(link_in(outbox()[0], "reset"),
                           data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302


def test_forged_reset_link_is_refused(client, make_user):
    user = make_user()
    client.post("/account/forgot", data={"email": user.email})
    link = link_in(outbox()[0], "reset")
    response = client.get(link.replace("/reset/", "/reset/x"))
    assert response.status_code == 400
    assert "That reset link is not valid" in text(response)


def test_reset_with_a_too_short_password_changes_nothing(client, make_user):
    user = make_user()
    client.post("/account/forgot", data={"email": user.email})
    link = link_in(outbox()[0], "reset")
    response = client.post(link, data={"password": "short", "confirm": "short"})
    assert response.status_code == 200
    assert "Use at least 10 characters" in text(response)
    assert db.session.get(User, user.id).password_hash == user.password_hash
    assert client.get(link).status_code == 200  # the link is still good


def test_reset_confirms_an_unconfirmed_address(client, make_user, frozen):
    user = make_user(confirmed=False)
    client.post("/account/forgot", data={"email": user.email})
    client.post(link_in(outbox()[0], "reset"),
                data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert db.session.get(User, user.id).email_confirmed_at == frozen


def test_password_reset_ends_other_sessions(client, app, make_user, sign_in):
    user = make_user()
    other_device = app.test_client()
    sign_in(other_device, user)
    client.post("/account/forgot", data={"email": user.email})
    client.post(link_in(outbox()[0], "reset"),
                data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert not signed_in(other_device)


# --------------------------------------------------------------------------- profile, password


def test_profile_shows_and_saves_every_field(client, make_user, sign_in):
    user = make_user(name="Maya")
    sign_in(client, user)
    page = text(client.get("/account/profile"))
    for label in ("Display name", "Legal name (as printed on certificates)", "Organisation",
                  "City", "Country", "Short bio",
                  "List me in the public practitioner directory"):
        assert label in page
    response = client.post("/account/profile", data={
        "name": " Maya Okafor ", "legal_name": "Maya A. Okafor",
        "organisation": "Eastside Residents Alliance", "city": "Marlow Bay",
        "country": "United States", "bio": "Resident *leader*.\n\n<script>alert(1)</script>",
        "directory_opt_in": "y"}, follow_redirects=True)
    assert "Profile saved." in text(response)
    saved = db.session.get(User, user.id)
    assert (saved.name, saved.legal_name, saved.organisation, saved.city, saved.country,
            saved.directory_opt_in) == ("Maya Okafor", "Maya A. Okafor",
                                        "Eastside Residents Alliance", "Marlow Bay",
                                        "United States", True)
    assert saved.certificate_name == "Maya A. Okafor"
    page = text(response)
    assert "<em>leader</em>" in page and "<script>alert(1)" not in page

    client.post("/account/profile", data={"name": "Maya Okafor"})  # opt-in box unticked
    assert db.session.get(User, user.id).directory_opt_in is False


def test_profile_with_an_empty_display_name_changes_nothing(client, make_user, sign_in):
    user = make_user(name="Maya", organisation="Before")
    sign_in(client, user)
    response = client.post("/account/profile", data={"name": "  ", "organisation": "After"})
    assert response.status_code == 200
    assert "This field is required." in text(response)
    saved = db.session.get(User, user.id)
    assert (saved.name, saved.organisation) == ("Maya", "Before")


def test_change_password_keeps_this_session(client, make_user, sign_in):
    user = make_user()
    sign_in(client, user)
    response = client.post("/account/password", data={
        "current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        follow_redirects=True)
    assert "Password changed." in text(response)
    assert signed_in(client)
    client.post("/account/signout")
    assert post_signin(client, user.email).status_code == 401
    assert post_signin(client, user.email, password=NEW_PASSWORD).status_code == 302


def test_change_password_with_the_wrong_current_password_changes_nothing(client, make_user,
                                                                        sign_in):
    user = make_user()
    sign_in(client, user)
    response = client.post("/account/password", data={
        "current": "not-my-password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 200
    assert "Your current password is not right." in text(response)
    assert db.session.get(User, user.id).password_hash == user.password_hash


# --------------------------------------------------------------------------- CSRF


@pytest.mark.parametrize(("url", "data", "signed_in_as"), [
    ("/account/register", {"name": "N", "email": "n@example.org", "password": PASSWORD,
                           "confirm": PASSWORD}, None),
    ("/account/signin", {"email": "learner1@example.org", "password": PASSWORD}, None),
    ("/account/forgot", {"email": "learner1@example.org"}, None),
    ("/account/profile", {"name": "Changed"}, "learner"),
    ("/account/password", {"current": PASSWORD, "password": NEW_PASSWORD,
                           "confirm": NEW_PASSWORD}, "learner"),
    ("/account/signout", {}, "learner"),
])
def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
        client, app, make_user, sign_in, url, data, signed_in_as):
    user = make_user(email="learner1@example.org", name="Before")
    if signed_in_as:
        sign_in(client, user)
    app.config["WTF_CSRF_ENABLED"] = True
    before = (user.name, user.password_hash, user.last_login_at)

    response = client.post(url, data=data)
    assert response.status_code == 400
    assert CSRF_MESSAGE in text(response)
    assert "nothing was changed" in text(response)
    saved = db.session.get(User, user.id)
    assert (saved.name, saved.password_hash, saved.last_login_at) == before
    assert user_count() == 1
    assert outbox() == []
    assert signed_in(client) is bool(signed_in_as)


def test_forms_work_with_their_csrf_token(client, app, make_user):
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user()
    page = text(client.get("/account/signin"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/account/signin", data={"email": user.email, "password": PASSWORD,
                                                    "csrf_token": token})
    assert response.status_code == 302
    assert signed_in(client)


# --------------------------------------------------------------------------- administration


def test_roles_are_linear():
    for rank, role in enumerate(ROLES):
        user = User(role=role)
        assert [user.has_role(other) for other in ROLES] == [i <= rank for i in range(4)]
    assert ROLES == ("learner", "instructor", "registrar", "admin")


def test_admin_finds_users_by_name_email_organisation_and_role(client, make_user, sign_in):
    admin = make_user("admin", name="Alex Admin")
    make_user(email="grace@example.org", name="Grace Liu", organisation="Harbourline Studio")
    make_user("instructor", email="imani@example.org", name="Imani Instructor")
    sign_in(client, admin)

    def names(**query) -> list[str]:
        page = text(client.get("/admin/users", query_string=query))
        return re.findall(r'<a href="/admin/users/\d+">([^<]+)</a>', page)

    assert names() == ["Alex Admin", "Grace Liu", "Imani Instructor"]
    assert names(q="GRACE") == ["Grace Liu"]
    assert names(q="imani@") == ["Imani Instructor"]
    assert names(q="harbourline") == ["Grace Liu"]
    assert names(role="instructor") == ["Imani Instructor"]
    assert names(q="nobody") == []
    assert names(role="no-such-role") == names()


def test_admin_changes_a_role(client, make_user, sign_in):
    admin = make_user("admin")
    user = make_user(name="Daniel Reyes")
    sign_in(client, admin)
    response = client.post(f"/admin/users/{user.id}", data={"role": "registrar"},
                           follow_redirects=True)
    assert "Daniel Reyes is now Registrar." in text(response)
    assert db.session.get(User, user.id).role == "registrar"

    response = client.post(f"/admin/users/{user.id}", data={"role": "emperor"})
    assert response.status_code == 200 and "Not a valid choice" in text(response)
    assert db.session.get(User, user.id).role == "registrar"


def test_admin_cannot_remove_their_own_admin_role_or_deactivate_themselves(client, make_user,
                                                                            sign_in):
    admin = make_user("admin")
    sign_in(client, admin)
    response = client.post(f"/admin/users/{admin.id}", data={"role": "learner"},
                           follow_redirects=True)
    assert "You cannot remove your own admin role." in text(response)
    response = client.post(f"/admin/users/{admin.id}/active", data={"active": "0"},
                           follow_redirects=True)
    assert "You cannot deactivate your own account." in text(response)
    saved = db.session.get(User, admin.id)
    assert (saved.role, saved.active) == ("admin", True)


def test_admin_deactivates_an_account_which_ends_its_session(client, app, make_user, sign_in):
    admin = make_user("admin")
    user = make_user(name="Daniel Reyes")
    their_browser = app.test_client()
    sign_in(their_browser, user)
    sign_in(client, admin)

    response = client.post(f"/admin/users/{user.id}/active", data={"active": "0"},
                           follow_redirects=True)
    assert "Daniel Reyes&#39;s account is deactivated." in text(response)
    assert db.session.get(User, user.id).active is False
    assert their_browser.get("/dashboard").status_code == 302

    client.post(f"/admin/users/{user.id}/active", data={"active": "1"})
    assert db.session.get(User, user.id).active is True
    assert post_signin(their_browser, user.email).status_code == 302


def test_admin_user_page_404s_for_an_unknown_user(client, make_user, sign_in):
    sign_in(client, make_user("admin"))
    assert client.get("/admin/users/999999").status_code == 404
    assert client.post("/admin/users/999999/active", data={"active": "0"}).status_code == 404


def test_admin_reads_the_outbox(client, make_user, sign_in):
    register(client, email="nadia@example.org")
    sign_in(client, make_user("admin"))
    page = text(client.get("/admin/outbox"))
    assert "Confirm your e-mail address" in page and "nadia@example.org" in page
    link = link_in(outbox("nadia@example.org")[0], "confirm")
    assert f'href="http://localhost{link}"' in page  # the link is clickable


def test_registrar_sees_admin_home_without_admin_only_links(client, make_user, sign_in):
    sign_in(client, make_user("registrar"))
    page = text(client.get("/admin/"))
    assert "Administration" in page
    assert "/admin/users" not in page and "/admin/outbox" not in page


# --------------------------------------------------------------------------- health check


def test_healthz_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("url", [
    "sqlite:////nonexistent-directory/lms.sqlite3",
    "postgresql+psycopg://postgres@127.0.0.1:9/unreachable?connect_timeout=2",
])
def test_healthz_is_503_when_the_database_is_unreachable(tmp_path, url):
    app = create_app(LmsTestConfig(str(tmp_path), database_url=url))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"
    assert response.get_json()["database"] == "unreachable"


def test_frozen_clock_is_used_for_new_accounts(client, app, now):
    app.config["FROZEN_NOW"] = now + timedelta(days=3)
    register(client)
    assert user_by_email("nadia@example.org").created_at == now + timedelta(days=3)
