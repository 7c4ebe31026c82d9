"""Sessions end on the server: sign-out, "sign out everywhere", remember-me expiry, password
changes and deactivation. Sign-in attempts are limited per account with a short back-off."""
from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from lms.auth import services
from lms.auth.models import SignInThrottle, UserSession
from lms.extensions import db
from lms.mail import OutboxMessage

PASSWORD = "correct-horse-battery"  # the shared make_user default


def signed_in(client) -> bool:
    return client.get("/dashboard").status_code == 200


def post_signin(client, email, password=PASSWORD, remember=False):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/account/signin", data=data)


def cookie(client, name: str) -> str:
    found = client.get_cookie(name)
    assert found is not None, f"no {name} cookie"
    return found.value


def fresh_client_with(app, **cookies):
    """A new browser that holds only these cookies."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def mails(subject: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject == subject)))


# ------------------------------------------------------------------ sign-out ends the session


def test_a_copied_session_cookie_stops_working_after_sign_out(app, client, make_user):
    user = make_user()
    assert post_signin(client, user.email).status_code == 302
    stolen = cookie(client, "session")
    assert signed_in(fresh_client_with(app, session=stolen))  # the copy works while signed in
    client.post("/account/signout")
    assert not signed_in(fresh_client_with(app, session=stolen))
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_a_remember_me_cookie_stops_working_after_sign_out(app, client, make_user):
    user = make_user()
    post_signin(client, user.email, remember=True)
    token = cookie(client, "remember_token")
    assert signed_in(fresh_client_with(app, remember_token=token))
    client.post("/account/signout")
    assert not signed_in(fresh_client_with(app, remember_token=token))


def test_remember_me_expires_after_the_configured_days(app, client, make_user, now):
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)
    app.config["FROZEN_NOW"] = now
    post_signin(client, make_user().email, remember=True)
    token = cookie(client, "remember_token")
    app.config["FROZEN_NOW"] = now + timedelta(days=29)
    assert signed_in(fresh_client_with(app, remember_token=token))
    app.config["FROZEN_NOW"] = now + timedelta(days=30, seconds=1)
    assert not signed_in(fresh_client_with(app, remember_token=token))
    assert not signed_in(client)  # the server-side session has the same lifetime
    assert services.purge_expired_sessions(now + timedelta(days=31)) == 1


def test_remember_me_lifetime_is_configurable(monkeypatch, tmp_path):
    from lms.config import Config

    monkeypatch.setenv("REMEMBER_COOKIE_DAYS", "7")
    assert Config(str(tmp_path)).REMEMBER_COOKIE_DURATION == timedelta(days=7)


def test_sign_out_everywhere_ends_every_session_of_the_user(app, make_user):
    user, other_user = make_user(), make_user()
    laptop, phone, someone_else = app.test_client(), app.test_client(), app.test_client()
    post_signin(laptop, user.email)
    post_signin(phone, user.email, remember=True)
    post_signin(someone_else, other_user.email)
    phone_token = cookie(phone, "remember_token")
    page = phone.get("/account/profile").get_data(as_text=True)
    assert "Sign out everywhere" in page and 'data-confirm="' in page
    response = phone.post("/account/signout-everywhere")
    assert response.status_code == 302
    assert not signed_in(laptop) and not signed_in(phone)
    assert not signed_in(fresh_client_with(app, remember_token=phone_token))
    assert signed_in(someone_else)


def test_changing_the_password_ends_the_other_sessions_only(app, make_user):
    user = make_user()
    here, elsewhere = app.test_client(), app.test_client()
    post_signin(here, user.email)
    post_signin(elsewhere, user.email)
    new = "a-brand-new-passphrase"
    response = here.post("/account/password",
                         data={"current": PASSWORD, "password": new, "confirm": new})
    assert response.status_code == 302
    assert signed_in(here)
    assert not signed_in(elsewhere)


def test_a_password_reset_ends_every_session(app, client, make_user):
    user = make_user()
    post_signin(client, user.email)
    app.test_client().post("/account/forgot", data={"email": user.email})
    body = mails("Reset your password")[0].body
    link = body[body.index("/account/reset/"):].split()[0]
    app.test_client().post(link, data={"password": "another-long-pass", "confirm":
                                       "another-long-pass"})
    assert not signed_in(client)


def test_reactivating_an_account_does_not_bring_old_sessions_back(app, client, make_user):
    user = make_user()
    post_signin(client, user.email, remember=True)
    token = cookie(client, "remember_token")
    services.set_active(user, False)
    assert not signed_in(client)
    services.set_active(user, True)
    assert not signed_in(client)
    assert not signed_in(fresh_client_with(app, remember_token=token))
    assert post_signin(app.test_client(), user.email).status_code == 302  # a new sign-in works


def test_a_forged_or_old_style_identity_signs_no_one_in(app, make_user, now):
    user = make_user()
    assert services.user_for_session(f"{user.id}:", now) is None
    assert services.user_for_session(f"{user.id}:not-a-key", now) is None
    assert services.user_for_session(f"{user.id}:{'0' * 16}", now) is None  # the old fingerprint
    assert services.user_for_session("٣:abc", now) is None
    assert services.user_for_session("99999999999:abc", now) is None  # beyond int4: no query


def test_the_admin_deactivate_button_asks_first(app, make_user, sign_in):
    admin, target = make_user("admin"), make_user()
    client = app.test_client()
    sign_in(client, admin)
    page = client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    form = page[page.index("Deactivate account") - 600:page.index("Deactivate account")]
    assert "data-confirm=" in form


# ------------------------------------------------------------------ per-account sign-in limit


@given(st.integers(min_value=0, max_value=10_000))
def test_the_lock_grows_but_never_beyond_the_cap(failures):
    delay = services.lock_delay(failures, after=5, base=60, cap=900)
    assert 0 <= delay <= 900
    assert (delay == 0) == (failures < 5)
    assert delay <= services.lock_delay(failures + 1, after=5, base=60, cap=900)


def test_repeated_failures_lock_the_account_briefly_and_mail_its_owner(app, make_user, now):
    app.config["FROZEN_NOW"] = now
    user = make_user()
    # each attempt from a different client: the per-client limit is not what stops them
    for n in range(5):
        attacker = app.test_client()
        attacker.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"
        assert post_signin(attacker, user.email, "wrong-password").status_code == 401
    owner = app.test_client()
    response = post_signin(owner, user.email)  # even the right password waits
    assert response.status_code == 429
    assert "Try again in 1 minute" in response.get_data(as_text=True)
    (notice,) = mails("Failed sign-ins to your account")
    assert notice.recipient == user.email
    app.config["FROZEN_NOW"] = now + timedelta(seconds=61)
    assert post_signin(app.test_client(), user.email, "wrong-again").status_code == 401
    assert "2 minutes" in post_signin(owner, user.email).get_data(as_text=True)  # doubled
    assert len(mails("Failed sign-ins to your account")) == 1  # one notice per episode
    app.config["FROZEN_NOW"] = now + timedelta(seconds=61 + 121)
    assert post_signin(owner, user.email).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(SignInThrottle)) == 0


def test_old_counts_are_forgotten_and_expired_sessions_cleared(app, make_user, now):
    app.config["FROZEN_NOW"] = now
    user = make_user()
    post_signin(app.test_client(), "stranger@example.org", "wrong-password")
    first = app.test_client()
    post_signin(first, user.email)
    app.config["FROZEN_NOW"] = now + timedelta(days=31)
    post_signin(app.test_client(), "another@example.org", "wrong-password")
    post_signin(app.test_client(), user.email)
    assert db.session.scalar(select(func.count()).select_from(SignInThrottle)) == 1
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 1  # the new one


def test_the_lock_is_capped(app, make_user, now):
    app.config["FROZEN_NOW"] = now
    user = make_user()
    at = now
    for n in range(20):
        at += timedelta(seconds=app.config["SIGNIN_LOCK_MAX"] + 1)
        app.config["FROZEN_NOW"] = at
        attacker = app.test_client()
        attacker.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"
        post_signin(attacker, user.email, "wrong-password")
    app.config["FROZEN_NOW"] = at + timedelta(seconds=app.config["SIGNIN_LOCK_MAX"])
    assert post_signin(app.test_client(), user.email).status_code == 302


def test_an_unknown_address_is_locked_alike_and_nobody_is_mailed(app, now):
    app.config["FROZEN_NOW"] = now
    for n in range(6):
        attacker = app.test_client()
        attacker.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"
        response = post_signin(attacker, "nobody@example.org", "wrong-password")
    assert response.status_code == 429
    assert "Too many failed sign-ins with this address" in response.get_data(as_text=True)
    assert mails("Failed sign-ins to your account") == []


def test_a_password_reset_lifts_the_lock(app, make_user, now):
    app.config["FROZEN_NOW"] = now
    user = make_user()
    for n in range(5):
        attacker = app.test_client()
        attacker.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"
        post_signin(attacker, user.email, "wrong-password")
    owner = app.test_client()
    owner.post("/account/forgot", data={"email": user.email})
    body = mails("Reset your password")[0].body
    link = body[body.index("/account/reset/"):].split()[0]
    owner.post(link, data={"password": "another-long-pass", "confirm": "another-long-pass"})
    assert post_signin(owner, user.email, "another-long-pass").status_code == 302
