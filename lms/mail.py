"""Outgoing e-mail.

Every message is kept in the outbox table (an admin can read it). When `MAIL_SERVER` is set
the message is also delivered through SMTP; otherwise it is written to the log, so the demo
works with no mail server.
"""
from __future__ import annotations

import re
import smtplib
from datetime import datetime
from email.message import EmailMessage

from flask import current_app, url_for
from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.dbtypes import UTCDateTime
from lms.extensions import db


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_recipient", "recipient"),
                      Index("ix_outbox_messages_created_at", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered: Mapped[bool] = mapped_column(default=False)


def external_url(endpoint: str, **values) -> str:
    """An absolute link for an e-mail.

    With `BASE_URL` set (production) the link is built on it, never on the request's Host
    header, which a visitor controls: otherwise a reset requested with `Host: evil.example`
    would mail the victim a genuine token on the attacker's site.
    """
    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def queue(recipient: str, subject: str, body: str, now: datetime) -> OutboxMessage:
    """Add a message to the outbox in the caller's transaction (sent by `deliver`)."""
    msg = OutboxMessage(recipient=recipient, subject=subject, body=body, created_at=now)
    db.session.add(msg)
    return msg


def deliver(msg: OutboxMessage) -> bool:
    """Send one outbox message through SMTP, or log it when no server is configured.

    Called after the transaction that queued it has committed, so a failed send never loses the
    state change; the message stays in the outbox with delivered=False.
    """
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        current_app.logger.info("E-mail to %s: %s\n%s", msg.recipient, msg.subject, msg.body)
        return False
    email = EmailMessage()
    email["From"] = cfg["MAIL_DEFAULT_SENDER"]
    email["To"] = msg.recipient
    email["Subject"] = msg.subject
    email.set_content(msg.body)
    smtp_cls = smtplib.SMTP_SSL if cfg.get("MAIL_USE_SSL") else smtplib.SMTP
    try:
        with smtp_cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=10) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
            smtp.send_message(email)
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("could not deliver e-mail %s to %s", msg.id, msg.recipient)
        return False
    msg.delivered = True
    # The recipient has the message now: keep the record, not live sign-in tokens that would
    # let anyone who reads the outbox (or the database) take the account over.
    msg.body = _TOKEN_LINK_RE.sub(r"\1[link sent by e-mail, not kept]", msg.body)
    db.session.commit()
    return True


#: Links that carry one-time account tokens (confirmation, password reset).
_TOKEN_LINK_RE = re.compile(r"(/account/(?:confirm|reset)/)\S+")
