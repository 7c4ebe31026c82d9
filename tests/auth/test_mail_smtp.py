"""E-mail goes out through real SMTP when MAIL_SERVER is set.

A local SMTP server (aiosmtpd) on 127.0.0.1 receives the messages: plain SMTP, and STARTTLS
with a login (a throwaway self-signed certificate made with the openssl command). Without a
mail server the message is logged and kept in the outbox; a failed delivery never loses the
change that sent it.
"""
from __future__ import annotations

import logging
import re
import shutil
import socket
import ssl
import subprocess
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db
from lms.mail import OutboxMessage

PASSWORD = "correct-horse-battery"
SMTP_USER = "lms-mailer"
SMTP_PASSWORD = "smtp-secret-123"


class Inbox:
    """aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def messages(self) -> list[Message]:
        return [message_from_bytes(e.original_content, policy=default_policy)
                for e in self.envelopes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode(), auth_data.password.decode()) == (SMTP_USER, SMTP_PASSWORD)
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


@pytest.fixture
def smtp_server():
    """(inbox, port) of a plain SMTP server on loopback."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory) -> ssl.SSLContext:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("cert")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture
def starttls_server(tls_context):
    """(inbox, port) of a server that demands STARTTLS, then a login, before any mail."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=tls_context,
                            require_starttls=True, auth_required=True,
                            authenticator=check_login)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def use_smtp(app, port: int, **extra) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, **extra)


def register(client, email: str = "nadia@example.org"):
    response = client.post("/account/register", data={
        "name": "Nadia Visitor", "email": email, "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_confirmation_mail_is_delivered_through_smtp(client, app, smtp_server):
    inbox, port = smtp_server
    use_smtp(app, port)
    register(client)

    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["nadia@example.org"]
    assert envelope.mail_from == "no-reply@justcommunities.example"
    (message,) = inbox.messages()
    assert message["Subject"] == "Confirm your e-mail address"
    assert message["To"] == "nadia@example.org"
    assert message["From"] == "Just Communities AP <no-reply@justcommunities.example>"
    body = message.get_content()
    link = re.search(r"http://localhost(/account/confirm/\S+)", body).group(1)
    (kept,) = outbox()
    # the outbox keeps the message but not the live token once it has been delivered
    assert kept.delivered is True and link not in kept.body
    assert kept.body == body.replace("\r\n", "\n").replace(
        link, "/account/confirm/[link sent by e-mail, not kept]")

    assert client.get(link).status_code == 302  # the delivered link works
    db.session.expire_all()
    assert db.session.scalar(select(User)).confirmed


def test_reset_mail_is_delivered_through_smtp(client, app, make_user, smtp_server):
    inbox, port = smtp_server
    user = make_user(email="maya@example.org")
    use_smtp(app, port)
    client.post("/account/forgot", data={"email": user.email})
    (message,) = inbox.messages()
    assert message["Subject"] == "Reset your password"
    assert "/account/reset/" in message.get_content()
    assert outbox()[0].delivered is True
    assert "/account/reset/[link sent by e-mail, not kept]" in outbox()[0].body


def test_starttls_and_login_are_used_when_configured(client, app, starttls_server):
    inbox, port = starttls_server
    use_smtp(app, port, MAIL_USE_TLS=True, MAIL_USERNAME=SMTP_USER, MAIL_PASSWORD=SMTP_PASSWORD,
             MAIL_DEFAULT_SENDER="Programme <programme@justcommunities.example>")
    register(client)
    (envelope,) = inbox.envelopes
    assert envelope.mail_from == "programme@justcommunities.example"
    assert outbox()[0].delivered is True


def test_rejected_login_keeps_the_account_and_the_message(client, app, starttls_server, caplog):
    inbox, port = starttls_server
    use_smtp(app, port, MAIL_USE_TLS=True, MAIL_USERNAME=SMTP_USER, MAIL_PASSWORD="wrong")
    with caplog.at_level(logging.ERROR):
        register(client)
    assert inbox.envelopes == []
    (kept,) = outbox()
    assert kept.delivered is False
    assert db.session.scalar(select(User)).email == "nadia@example.org"
    assert "could not deliver e-mail" in caplog.text


def test_unreachable_mail_server_keeps_the_account_and_the_message(client, app, caplog):
    use_smtp(app, free_port())  # nothing listens there
    with caplog.at_level(logging.ERROR):
        register(client)
    (kept,) = outbox()
    assert kept.delivered is False and kept.recipient == "nadia@example.org"
    assert db.session.scalar(select(User)).email == "nadia@example.org"
    assert "could not deliver e-mail" in caplog.text


def test_without_a_mail_server_the_message_is_logged_and_kept(client, app, caplog):
    assert app.config["MAIL_SERVER"] == ""
    with caplog.at_level(logging.INFO):
        register(client)
    (kept,) = outbox()
    assert kept.delivered is False
    assert "E-mail to nadia@example.org: Confirm your e-mail address" in caplog.text
    assert "/account/confirm/" in caplog.text
