"""Hardening found in review: mailed links ignore the Host header, trusted hosts, the
remember-me cookie's flags, the password-change rate limit and sign-in timing."""
from __future__ import annotations

import re

from sqlalchemy import select

from lms.auth import services
from lms.extensions import db
from lms.mail import OutboxMessage

PASSWORD = "correct-horse-battery"  # the shared make_user default


def last_mail() -> OutboxMessage:
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()


def test_reset_link_is_built_on_base_url_not_on_the_host_header(app, client, make_user):
    app.config["BASE_URL"] = "https://learn.example.org/"
    user = make_user()
    client.post("/account/forgot", data={"email": user.email},
                headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    body = last_mail().body
    assert "evil.example" not in body
    assert re.search(r"https://learn\.example\.org/account/reset/\S+", body)


def test_confirmation_link_is_built_on_base_url(app, client):
    app.config["BASE_URL"] = "https://learn.example.org"
    client.post("/account/register", headers={"Host": "evil.example"},
                data={"name": "Nadia Noor", "email": "nadia@example.org",
                      "password": "a-long-enough-pass", "confirm": "a-long-enough-pass"})
    assert re.search(r"https://learn\.example\.org/account/confirm/\S+", last_mail().body)


def test_without_base_url_links_follow_the_request_for_local_use(app, client, make_user):
    assert app.config["BASE_URL"] is None
    client.post("/account/forgot", data={"email": make_user().email})
    assert "http://localhost/account/reset/" in last_mail().body


def test_trusted_hosts_refuse_other_host_names(app, client):
    app.config["TRUSTED_HOSTS"] = ["learn.example.org"]
    assert client.get("/healthz", headers={"Host": "learn.example.org"}).status_code == 200
    assert client.get("/account/forgot", headers={"Host": "evil.example"}).status_code == 400


def test_remember_me_cookie_is_lax_and_secure_when_sessions_are(monkeypatch, tmp_path):
    from lms.config import Config

    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    config = Config(str(tmp_path))
    assert config.REMEMBER_COOKIE_SECURE is True and config.SESSION_COOKIE_SECURE is True
    assert config.REMEMBER_COOKIE_SAMESITE == "Lax" and config.REMEMBER_COOKIE_HTTPONLY
    monkeypatch.delenv("SESSION_COOKIE_SECURE")
    assert Config(str(tmp_path)).REMEMBER_COOKIE_SECURE is False


def test_password_change_is_rate_limited(app, client, make_user, sign_in):
    user = make_user()
    sign_in(client, user)
    for _ in range(5):
        r = client.post("/account/password", data={"current": "wrong-password",
                                                   "password": "another-long-pass",
                                                   "confirm": "another-long-pass"})
        assert r.status_code in (200, 400)
    r = client.post("/account/password", data={"current": PASSWORD,
                                               "password": "another-long-pass",
                                               "confirm": "another-long-pass"})
    assert r.status_code == 429
    db.session.expire_all()
    assert services.authenticate(user.email, PASSWORD, user.created_at)  # unchanged


def test_unknown_address_is_checked_against_a_hash_too(app, make_user, monkeypatch, now):
    # The reply for an unknown address costs one password check, like a wrong password does.
    make_user(email="known@example.org")
    checked = []
    real = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash",
                        lambda stored, password: checked.append(stored) or real(stored, password))
    for email in ("known@example.org", "unknown@example.org"):
        try:
            services.authenticate(email, "wrong-password", now)
        except services.ValidationError as err:
            assert str(err) == "Wrong e-mail address or password."
    assert len(checked) == 2 and all(checked)
