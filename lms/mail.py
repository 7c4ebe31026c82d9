"""Outgoing e-mail, through the outbox and a background task.

`queue` adds a message to the outbox table in the caller's transaction. When that transaction
commits, the `lms.mail.deliver` task is queued for it (run in-process when no broker is
configured). With `MAIL_SERVER` set the task sends it through SMTP; otherwise the message is
written to the log, so the demo works with no mail server. Every message stays in the outbox
(an admin reads it at Admin -> E-mail outbox).

Never lost, sent once:
- an SMTP failure leaves the message queued (`delivered` false); the task retries with
  exponential back-off, and the periodic `lms.mail.retry_undelivered` sweep queues every
  message still undelivered (for up to RETRY_FOR), so a message survives a mail server or a
  worker that is down for hours;
- the outbox id is the task's idempotency key: a run first claims the message with a
  conditional UPDATE (not delivered, no live claim), and marks it delivered with another, so a
  task run twice (redelivered after a worker died, or queued again by the sweep) sends once.
  The one window no SMTP client can close, a crash after the server accepted the message and
  before it is marked delivered, can repeat a message; its stable Message-ID lets mail
  programs drop the copy.
"""
from __future__ import annotations

import re
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr

from celery import shared_task
from flask import current_app, url_for
from sqlalchemy import Index, String, Text, event, insert, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from lms import clock, tasks
from lms.dbtypes import UTCDateTime, rows_changed
from lms.extensions import db

#: Back-off of the delivery task: 30 s, 1, 2, 4 ... minutes, at most 30 (under the broker's
#: visibility timeout), for MAX_RETRIES tries; the sweep takes over after that.
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 30 * 60
MAX_RETRIES = 8
#: The sweep queues messages undelivered for longer than this (younger ones have a task)...
SWEEP_AFTER = timedelta(minutes=5)
#: ...and gives up on them after this long, as mail servers do (Postfix: 5 days). They stay
#: in the outbox, where an admin can still read them.
RETRY_FOR = timedelta(days=5)
SWEEP_BATCH = 500

_PENDING = "lms.mail.pending"  # Session.info key: ids queued in the open transaction


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_recipient", "recipient"),
                      Index("ix_outbox_messages_created_at", "created_at"),
                      Index("ix_outbox_messages_delivered_created_at", "delivered", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered: Mapped[bool] = mapped_column(default=False)
    # A delivery in progress holds the message until then; a run that died lets it lapse.
    sending_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


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
    """Add a message to the outbox in the caller's transaction; it is sent after the commit
    (and never, if the transaction rolls back)."""
    msg = OutboxMessage(recipient=recipient, subject=subject, body=body, created_at=now)
    db.session.add(msg)
    db.session.flush()
    db.session.info.setdefault(_PENDING, []).append(msg.id)
    return msg


def queue_many(messages: list[tuple[str, str, str]], now: datetime) -> list[int]:
    """`queue` for many (recipient, subject, body) at once: one bulk INSERT in the caller's
    transaction (a digest for thousands of members), each sent after the commit."""
    if not messages:
        return []
    ids = list(db.session.scalars(
        insert(OutboxMessage).returning(OutboxMessage.id, sort_by_parameter_order=True),
        [{"recipient": r, "subject": s, "body": b, "created_at": now, "delivered": False}
         for r, s, b in messages]))
    db.session.info.setdefault(_PENDING, []).extend(ids)
    return ids


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    for message_id in session.info.pop(_PENDING, ()):
        tasks.enqueue(deliver_task, message_id)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


# ---------------------------------------------------------------- delivery


class DeliveryFailed(Exception):
    """The mail server could not be reached or refused the message (worth retrying)."""


def outbox_page(page: int, per_page: int = 25):
    """One page of the outbox, newest first (the admin's outbox page)."""
    stmt = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(),
                                          OutboxMessage.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def retry_delay(retries: int) -> int:
    """Seconds before try number `retries + 1`: exponential, capped."""
    return min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** retries)


def claim_seconds() -> int:
    """How long a delivery holds its message: longer than any SMTP exchange can take."""
    return 3 * int(current_app.config.get("MAIL_TIMEOUT") or 10)


def send(message_id: int, now: datetime) -> str:
    """Deliver one outbox message at most once; the outcome as a word.

    'sent', 'logged' (no mail server), 'already delivered', 'busy' (another run holds it),
    'missing'. Raises DeliveryFailed when the server failed; the message stays queued.
    """
    msg = db.session.get(OutboxMessage, message_id)
    if msg is None:
        return "missing"
    if msg.delivered:
        return "already delivered"
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        current_app.logger.info("E-mail to %s: %s\n%s", msg.recipient, msg.subject, msg.body)
        return "logged"
    until = now + timedelta(seconds=claim_seconds())
    claimed = rows_changed(db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.delivered.is_(False),
               or_(OutboxMessage.sending_until.is_(None), OutboxMessage.sending_until < now))
        .values(sending_until=until).execution_options(synchronize_session=False)))
    db.session.commit()
    if claimed != 1:
        return "busy"
    msg = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if msg is None:  # deleted by an admin since the claim
        return "missing"
    try:
        _smtp_send(msg)
    except (OSError, smtplib.SMTPException) as err:
        current_app.logger.exception("could not deliver e-mail %s to %s", msg.id, msg.recipient)
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.sending_until == until)
            .values(sending_until=None).execution_options(synchronize_session=False))
        db.session.commit()
        raise DeliveryFailed(str(err)) from err
    # The recipient has the message now: keep the record, not live sign-in tokens that would
    # let anyone who reads the outbox (or the database) take the account over.
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.delivered.is_(False))
        .values(delivered=True, sending_until=None,
                body=_TOKEN_LINK_RE.sub(r"\1[link sent by e-mail, not kept]", msg.body))
        .execution_options(synchronize_session=False))
    db.session.commit()
    return "sent"


def _smtp_send(msg: OutboxMessage) -> None:
    cfg = current_app.config
    email = EmailMessage()
    email["From"] = cfg["MAIL_DEFAULT_SENDER"]
    email["To"] = msg.recipient
    email["Subject"] = msg.subject
    # Stable per outbox message, so a repeat (see the module note) is recognisably the same.
    domain = parseaddr(cfg["MAIL_DEFAULT_SENDER"])[1].rpartition("@")[2] or "localhost"
    email["Message-ID"] = f"<outbox-{msg.id}.{msg.created_at:%Y%m%d%H%M%S}@{domain}>"
    email.set_content(msg.body)
    smtp_cls = smtplib.SMTP_SSL if cfg.get("MAIL_USE_SSL") else smtplib.SMTP
    timeout = int(cfg.get("MAIL_TIMEOUT") or 10)
    with smtp_cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=timeout) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(email)


@shared_task(name="lms.mail.deliver", bind=True, max_retries=MAX_RETRIES)
def deliver_task(self, message_id: int) -> str:
    """Send outbox message `message_id` (its idempotency key); retry with back-off."""
    try:
        outcome = send(message_id, clock.now())
    except DeliveryFailed as err:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            return "left queued"  # in-process: no waiting in a web request; the sweep resends
        raise self.retry(exc=err, countdown=retry_delay(self.request.retries)) from err
    if outcome == "busy" and not self.request.is_eager:
        if self.request.retries < self.max_retries:
            # Another run holds it; look again once that claim has lapsed.
            raise self.retry(countdown=claim_seconds())
    return outcome


def undelivered(now: datetime) -> list[int]:
    """Ids of messages the sweep should send again (oldest first)."""
    return list(db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.delivered.is_(False),
               OutboxMessage.created_at < now - SWEEP_AFTER,
               OutboxMessage.created_at >= now - RETRY_FOR,
               or_(OutboxMessage.sending_until.is_(None), OutboxMessage.sending_until < now))
        .order_by(OutboxMessage.created_at, OutboxMessage.id).limit(SWEEP_BATCH)))


@tasks.periodic("mail: retry undelivered", 5 * 60.0)
@shared_task(name="lms.mail.retry_undelivered")
def retry_undelivered() -> int:
    """Queue delivery again for every message still undelivered (none without a server)."""
    if not current_app.config.get("MAIL_SERVER"):
        return 0
    ids = undelivered(clock.now())
    db.session.rollback()  # read-only: end the transaction before the tasks run
    for message_id in ids:
        tasks.enqueue(deliver_task, message_id)
    return len(ids)


#: Links that carry one-time account tokens (confirmation, password reset).
_TOKEN_LINK_RE = re.compile(r"(/account/(?:confirm|reset)/)\S+")
