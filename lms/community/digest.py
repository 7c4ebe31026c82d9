"""The e-mail digest: each member's unread notifications that no digest has carried yet.

`run_digest(now)` is the whole job (`flask --app wsgi community digest`, and the daily
periodic task below). Members choose off / daily / weekly (`NotificationPref`; no row means
the default, weekly). A member is due when no digest has gone to them yet, or the last one is
a day (daily) or a week (weekly) old, less an hour of slack so a daily run never drifts past
its slot.

Never the same item twice: the notifications a digest carries are marked `digested_at` in the
same transaction that queues the e-mail (lms.mail.queue), one transaction per batch of
members; a second run finds nothing left for them. Items the member can no longer see (the
visibility check) are marked too, without being sent, so they never surface later.

Bulk: members and their items are read per batch of BATCH members (a handful of queries per
batch, whatever the number of items), so 20,000 members take a few dozen round trips
(bench/digest.py).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import shared_task
from celery.schedules import crontab
from flask import current_app, has_request_context
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lms import clock, mail
from lms.auth.models import User
from lms.community.notifications import (
    DEFAULT_DIGEST,
    Notification,
    NotificationPref,
    unsubscribe_token,
    visible_pairs,
)
from lms.extensions import db
from lms.tasks import periodic

BATCH = 500
#: At most this many items are listed in one e-mail (the rest are counted, and all are marked).
MAX_ITEMS_PER_MAIL = 30
SLACK = timedelta(hours=1)
_TOKEN_SLOT = "token-slot"  # noqa: S105 - a placeholder: the URL is built once, each token fills it
PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


def is_due(choice: str, last_sent: datetime | None, now: datetime) -> bool:
    """Pure rule: does a member with this choice, last e-mailed at `last_sent`, get one now?"""
    if choice not in PERIODS:
        return False
    return last_sent is None or now - last_sent >= PERIODS[choice] - SLACK


@dataclass
class DigestReport:
    members: int = 0  # members e-mailed
    items: int = 0  # notifications carried
    hidden: int = 0  # notifications dropped: their board is no longer visible

    def as_text(self) -> str:
        return (f"{self.members} digest e-mail(s) queued with {self.items} notification(s); "
                f"{self.hidden} hidden item(s) skipped.")


def _due_members(now: datetime) -> list[tuple[int, str, str]]:
    """(id, e-mail, name) of active members with undigested unread items who are due."""
    choice = func.coalesce(NotificationPref.digest, DEFAULT_DIGEST)
    last = NotificationPref.last_digest_at
    due = or_(last.is_(None),
              and_(choice == "daily", last <= now - PERIODS["daily"] + SLACK),
              and_(choice == "weekly", last <= now - PERIODS["weekly"] + SLACK))
    pending = (select(Notification.recipient_id)
               .where(Notification.digested_at.is_(None), Notification.read_at.is_(None))
               .distinct().subquery())
    rows = db.session.execute(
        select(User.id, User.email, User.name)
        .join(pending, pending.c.recipient_id == User.id)
        .outerjoin(NotificationPref, NotificationPref.user_id == User.id)
        .where(User.active.is_(True), choice != "off", due)
        .order_by(User.id))
    return [(uid, email, name) for uid, email, name in rows]


@contextmanager
def _link_context() -> Iterator[None]:
    """Links in e-mails need a request to build URLs on; the CLI and the task have none."""
    if has_request_context():
        yield
        return
    base = current_app.config.get("BASE_URL") or "http://localhost:5000"
    with current_app.test_request_context("/", base_url=base):
        yield


def _body(name: str, items: list[Notification], links: dict[str, str]) -> str:
    lines = [f"Hello {name},", "", "Here is what happened in the Just Communities network "
             "since your last digest:", ""]
    for note in items[:MAX_ITEMS_PER_MAIL]:
        lines.append(f"- {note.text}")
        if note.url.startswith("/") and not note.url.startswith("//"):
            lines.append(f"  {links['base']}{note.url}")
    if len(items) > MAX_ITEMS_PER_MAIL:
        lines.append(f"- \u2026 and {len(items) - MAX_ITEMS_PER_MAIL} more.")
    lines += ["", f"All your notifications: {links['all']}",
              f"Change how often you get this e-mail: {links['settings']}",
              f"Unsubscribe from these e-mails (no sign-in needed): {links['unsubscribe']}", ""]
    return "\n".join(lines)


def run_digest(now: datetime, *, batch: int = BATCH) -> DigestReport:
    """Queue one digest e-mail per due member; one commit per batch of members."""
    report = DigestReport()
    members = _due_members(now)
    db.session.rollback()
    with _link_context():
        base = mail.external_url("main.index").rstrip("/")
        links = {"base": base, "all": mail.external_url("notifications.index"),
                 "settings": mail.external_url("notifications.settings")}
        unsubscribe_base = mail.external_url("notifications.unsubscribe", token=_TOKEN_SLOT)
        for start in range(0, len(members), batch):
            chunk = members[start:start + batch]
            _run_batch(chunk, now, report, links, unsubscribe_base)
    return report


def _run_batch(chunk: list[tuple[int, str, str]], now: datetime, report: DigestReport,
               links: dict[str, str], unsubscribe_base: str) -> None:
    ids = [uid for uid, _, _ in chunk]
    notes = list(db.session.scalars(
        select(Notification)
        .where(Notification.recipient_id.in_(ids), Notification.digested_at.is_(None),
               Notification.read_at.is_(None))
        .order_by(Notification.recipient_id, Notification.created_at, Notification.id)))
    if not notes:
        db.session.rollback()
        return
    max_id = max(n.id for n in notes)
    visible = visible_pairs((n.recipient_id, n.board_key) for n in notes)
    by_member: dict[int, list[Notification]] = {}
    for note in notes:
        if (note.recipient_id, note.board_key) in visible:
            by_member.setdefault(note.recipient_id, []).append(note)
        else:
            report.hidden += 1
    sent: list[int] = []
    for uid, email, name in chunk:
        items = by_member.get(uid)
        if not items:
            continue
        member_links = {**links, "unsubscribe": unsubscribe_base.replace(
            _TOKEN_SLOT, unsubscribe_token(uid))}
        count = len(items)
        subject = (f"Your Just Communities digest: {count} new "
                   f"{'notification' if count == 1 else 'notifications'}")
        mail.queue(email, subject, _body(name, items, member_links), now)
        sent.append(uid)
        report.members += 1
        report.items += count
    # Everything read for these members (sent or hidden) is dealt with, in this transaction.
    db.session.execute(
        update(Notification)
        .where(Notification.recipient_id.in_(ids), Notification.digested_at.is_(None),
               Notification.id <= max_id)
        .values(digested_at=now).execution_options(synchronize_session=False))
    if sent:
        insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        stmt = insert(NotificationPref).values(
            [{"user_id": uid, "digest": DEFAULT_DIGEST, "last_digest_at": now} for uid in sent])
        db.session.execute(stmt.on_conflict_do_update(
            index_elements=["user_id"], set_={"last_digest_at": now}))
    db.session.commit()


@periodic("community: e-mail digest", crontab(hour=7, minute=0))
@shared_task(name="lms.community.digest")
def digest_task() -> str:
    """Daily at 07:00 UTC; weekly members get theirs once their week is up. Idempotent."""
    return run_digest(clock.now()).as_text()
