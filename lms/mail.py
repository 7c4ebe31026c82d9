"""Outgoing e-mail.

Every message is kept in the outbox table (an admin can read it). When `MAIL_SERVER` is set
the message is also delivered through SMTP; otherwise it is written to the log, so the demo
works with no mail server.
"""
from __future__ import annotations

import smtplib
from datetime import datetime
from email.message import EmailMessage

from flask import current_app
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
    db.session.commit()
    return True
