"""Security review findings: names, answers that do not tell who is registered, registration
rate limits that let typos through, private caching, request size, integer ranges, the 500
handler and the admin user search."""
from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import func, select

from lms.auth import services
from lms.auth.models import User
from lms.extensions import db
from lms.mail import OutboxMessage

PASSWORD = "correct-horse-battery"


def register(client, email="nadia@example.org", name="Nadia Visitor", password=PASSWORD,
             confirm=None):
    return client.post("/account/register", data={
        "name": name, "email": email, "password": password,
        "confirm": password if confirm is None else confirm})


def page(response) -> str:
    return response.get_data(as_text=True)


def flashes_after(client, response) -> str:
    """The page the redirect leads to, as the visitor sees it (with the flashed message)."""
    return page(client.get(response.headers["Location"]))


# ------------------------------------------------------------------ names and e-mails


@pytest.mark.parametrize("name", ["Nadia\nNoor", "Nadia\rNoor", "Nadia\tNoor", "Nadia\x07",
                                  "Nadia\u2028Noor", "Nadia\u202eroon", "A\x1b[31m"])
def test_names_refuse_control_characters_and_line_breaks(client, make_user, sign_in, name):
    response = register(client, name=name)
    assert response.status_code == 422
    assert "cannot contain line breaks" in page(response)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    user = make_user()
    sign_in(client, user)
    for field in ("name", "legal_name"):
        data = {"name": "Fine Name", field: name}
        response = client.post("/account/profile", data=data)
        assert "cannot contain line breaks" in page(response)
    db.session.refresh(user)
    assert "\n" not in user.name and user.legal_name == ""
    with pytest.raises(services.ValidationError):
        services.create_user("x@example.org", name, "learner", PASSWORD, user.created_at)


def test_a_nul_character_is_refused_before_anything_runs(client):
    response = register(client, name="Nadia\x00")
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    with pytest.raises(services.ValidationError):
        services.check_name("Nadia\x00")
    for body in (b'{"ids": ["AP-\\u0000"]}', b'{"ids": ["AP-\x00"]}'):
        response = client.post("/api/v1/verify/batch", data=body, content_type="application/json")
        assert response.status_code == 400


def test_account_emails_do_not_carry_the_chosen_name(client, make_user):
    pitch = "URGENT visit evil.example to keep your account"
    register(client, name=pitch)
    client.post("/account/forgot", data={"email": "nadia@example.org"})
    register(client, name=pitch)  # again: the "you already have an account" e-mail
    bodies = [m.body for m in db.session.scalars(select(OutboxMessage))]
    assert len(bodies) == 3
    assert all(pitch not in body for body in bodies)


# ------------------------------------------------------------------ same answer either way


def test_registration_answers_alike_for_new_and_taken_addresses(app, make_user, monkeypatch):
    make_user(email="taken@example.org")
    hashes = []
    real = services.hash_password
    monkeypatch.setattr(services, "hash_password", lambda pw: hashes.append(pw) or real(pw))
    new_client, taken_client = app.test_client(), app.test_client()
    new = register(new_client, email="fresh@example.org")
    taken = register(taken_client, email="taken@example.org")
    assert (new.status_code, new.headers["Location"]) == (taken.status_code,
                                                          taken.headers["Location"])
    assert flashes_after(new_client, new) == flashes_after(taken_client, taken)
    assert len(hashes) == 2  # the same work (one password hash each), so the same time
    subjects = {m.recipient: m.subject for m in db.session.scalars(select(OutboxMessage))}
    assert subjects == {"fresh@example.org": "Confirm your e-mail address",
                        "taken@example.org": "You already have an account"}


def test_forgot_password_answers_alike_for_known_and_unknown_addresses(app, make_user):
    user = make_user()
    known_client, unknown_client = app.test_client(), app.test_client()
    known = known_client.post("/account/forgot", data={"email": user.email})
    unknown = unknown_client.post("/account/forgot", data={"email": "nobody@example.org"})
    assert (known.status_code, known.headers["Location"]) == (unknown.status_code,
                                                              unknown.headers["Location"])
    assert flashes_after(known_client, known) == flashes_after(unknown_client, unknown)


# ------------------------------------------------------------------ registration rate limits


def test_someone_fixing_typos_is_not_rate_limited(client):
    for attempt in range(12):  # more than the old 5 a minute
        response = register(client, password="short", confirm="short")
        assert response.status_code == 422, f"attempt {attempt + 1}"
        assert "Use at least 10 characters" in page(response)
    assert register(client).status_code == 302


def test_failed_submissions_for_one_address_are_limited_across_clients(app):
    app.config["REGISTER_ADDRESS_RATE_LIMIT"] = "3 per 10 minutes"
    for n in range(3):
        visitor = app.test_client()
        visitor.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"
        assert register(visitor, password="short", confirm="short").status_code == 422
    visitor = app.test_client()
    visitor.environ_base["REMOTE_ADDR"] = "198.51.100.99"
    assert register(visitor).status_code == 429
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.100"
    assert register(other, email="someone-else@example.org").status_code == 302


def test_creating_accounts_is_limited_strictly_per_client(client, app):
    assert app.config["REGISTER_CREATE_RATE_LIMIT"] == "5 per hour"
    for n in range(5):
        assert register(client, email=f"person{n}@example.org").status_code == 302
    assert register(client, email="person6@example.org").status_code == 429
    assert db.session.scalar(select(func.count()).select_from(User)) == 5


def test_password_rules_are_said_in_words(client):
    form = page(client.get("/account/register"))
    assert "At least 10 characters" in form
    response = register(client, password="short", confirm="short")
    assert "Field must be between" not in page(response)


# ------------------------------------------------------------------ caching, size, errors


def test_signed_in_pages_are_private_and_not_stored(client, make_user, sign_in):
    anonymous = client.get("/account/signin")
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")
    sign_in(client, make_user())
    for url in ("/dashboard", "/account/profile", "/courses"):
        assert client.get(url).headers["Cache-Control"] == "private, no-store", url
    static = client.get("/static/css/site.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")


def test_max_content_length_is_set_and_enforced(app, client, monkeypatch, tmp_path):
    from lms.config import Config

    assert Config(str(tmp_path)).MAX_CONTENT_LENGTH == 32 * 1024 * 1024
    monkeypatch.setenv("MAX_CONTENT_MB", "5")
    assert Config(str(tmp_path)).MAX_CONTENT_LENGTH == 5 * 1024 * 1024
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/account/signin", data={"email": "a@example.org",
                                                    "password": "x" * 5000})
    assert response.status_code == 413


@pytest.mark.parametrize("url", [
    "/admin/users/2147483648", "/admin/users/99999999999999999999", "/admin/users/" + "9" * 5000,
    "/admin/users/٣", "/admin/users/²", "/admin/users/-1",
])
def test_integer_routes_out_of_range_are_not_found(client, make_user, sign_in, url):
    sign_in(client, make_user("admin"))
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("page_arg", ["2147483648", "9" * 30, "-99999999999", "9" * 5000])
def test_page_numbers_out_of_range_are_a_bad_request(client, make_user, sign_in, page_arg):
    sign_in(client, make_user("admin"))
    assert client.get(f"/admin/users?page={page_arg}").status_code == 400
    assert client.get("/admin/users?page=abc").status_code == 200  # text: the first page


def test_the_500_page_rolls_the_failed_transaction_back(backend, app, make_user, now):
    from flask import abort

    from tests.conftest import make_test_app

    user = make_user()
    db.session.commit()
    broken_app = make_test_app(backend["instance"], backend["url"], PROPAGATE_EXCEPTIONS=False)

    @broken_app.route("/broken")
    def broken():
        # A failed flush leaves the session needing a rollback, as a real bug would.
        db.session.add(User(email=user.email, name="Twin", password_hash="x", role="learner",
                            created_at=now))
        with contextlib.suppress(Exception):
            db.session.flush()
        abort(500)

    client = broken_app.test_client()
    with broken_app.app_context():
        assert client.post("/account/signin", data={"email": user.email,
                                                    "password": PASSWORD}).status_code == 302
        response = client.get("/broken")  # the error page shows the signed-in user's name
        assert response.status_code == 500
        assert "Something went wrong" in page(response)
        db.session.remove()


def test_admin_user_search_treats_percent_and_underscore_literally(client, make_user, sign_in):
    sign_in(client, make_user("admin", name="Ada Admin"))
    make_user(name="Rosa 100% Parks")
    make_user(name="Fatima_Ali")
    make_user(name="Plain Person")
    found = page(client.get("/admin/users?q=%25"))
    assert "Rosa 100% Parks" in found and "Plain Person" not in found
    found = page(client.get("/admin/users?q=_"))
    assert "Fatima_Ali" in found and "Plain Person" not in found
