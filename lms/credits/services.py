"""CE services: the ledger, holders, reported activities, roster import, renewal, audit, sweep.

Every rule (cycles, caps, states, reminders, renewal, the audit draw) is in the pure
:mod:`lms.credits.rules`; this module loads rows, turns them into the rules' inputs, and
appends what the rules decide. Services take ``today``/``now`` as arguments and each public
one that changes data commits exactly once (the sweep: once per batch of holders).
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from lms import mail, storage
from lms.auth.models import User
from lms.auth.services import normalise_email
from lms.credits import rules
from lms.credits.models import (
    ACTIVITY_APPROVED,
    ACTIVITY_INFO,
    ACTIVITY_PENDING,
    ACTIVITY_REJECTED,
    AUDIT_FAILED,
    AUDIT_OPEN,
    AUDIT_PASSED,
    AUDIT_SUBMITTED,
    KIND_ACTIVITY,
    KIND_CORRECTION,
    KIND_COURSE,
    KIND_REVERSAL,
    KIND_ROSTER,
    RENEWAL_APPROVED,
    RENEWAL_PENDING,
    RENEWAL_REJECTED,
    RENEWAL_REVOKED,
    CeActivity,
    CeAudit,
    CeHolder,
    CeReminder,
    CeRenewal,
    LedgerEntry,
)
from lms.credits.signals import ce_state_changed, cycle_renewed
from lms.dbtypes import get_or_not_found
from lms.errors import Conflict, NotFound, PermissionDenied, ValidationError
from lms.extensions import db
from lms.programme import Programme, programme_digest, programme_for

#: Evidence files: PDF, PNG or JPEG (checked by content), at most this many bytes.
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"),
                  (b"\xff\xd8\xff", "image/jpeg"))
ROSTER_COLUMNS = ("email", "activity", "provider", "hours", "category", "completed_on")
#: A roster line's activity type when the file has no `type` column.
ROSTER_DEFAULT_TYPE = "convening"
MAX_HOURS = Decimal("200")
SWEEP_BATCH = 1000
DUE_SOON_DAYS = 90
_URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def current_programme() -> Programme:
    """The programme's rules (program.yml in COURSES_DIR), cached until the file changes."""
    return programme_for(current_app.config["COURSES_DIR"])


def current_programme_version() -> str:
    """The content hash of the program.yml that current_programme() reads (for cache keys)."""
    return programme_digest(current_app.config["COURSES_DIR"])


# --------------------------------------------------------------------------- reading


def _holder_of(user_id: int) -> CeHolder:
    return get_or_not_found(CeHolder, user_id, "That account holds no credential.")


def _renewals(rows: Iterable[CeRenewal]) -> tuple[rules.Renewal, ...]:
    return tuple(rules.Renewal(r.cycle, r.renewed_on, r.reinstated) for r in rows
                 if r.status == RENEWAL_APPROVED)


def rules_holder(holder: CeHolder, renewals: Iterable[CeRenewal]) -> rules.Holder:
    return rules.Holder(holder.earned_on, _renewals(renewals))


def effective(entries: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    """Entries that stand: neither a reversal nor reversed."""
    entries = list(entries)
    reversed_ids = {e.reverses_id for e in entries if e.kind == KIND_REVERSAL}
    return [e for e in entries if e.kind != KIND_REVERSAL and e.id not in reversed_ids]


def rule_entries(entries: Iterable[LedgerEntry],
                 activities: Iterable[CeActivity] = ()) -> list[rules.Entry]:
    """The rules' inputs: standing ledger entries (approved) and waiting activities (pending)."""
    out = [rules.Entry(str(e.id), e.earned_on, e.hours, e.category, e.activity_type,
                       rules.STATUS_APPROVED, e.course_code) for e in effective(entries)]
    out += [rules.Entry(f"activity-{a.id}", a.completed_on, a.hours, a.category,
                        a.activity_type, rules.STATUS_PENDING)
            for a in activities if a.status in (ACTIVITY_PENDING, ACTIVITY_INFO)]
    return out


@dataclass
class CeRecord:
    """Everything about one holder's CE, loaded in a fixed number of queries."""

    user: User
    holder: CeHolder | None
    entries: list[LedgerEntry]
    activities: list[CeActivity]
    renewals: list[CeRenewal]
    reminders: list[CeReminder]
    audits: list[CeAudit]
    status: rules.HolderStatus | None
    today: date
    programme: Programme

    @property
    def reversed_ids(self) -> set[int]:
        return {e.reverses_id for e in self.entries if e.reverses_id is not None}

    @property
    def open_audits(self) -> list[CeAudit]:
        return [a for a in self.audits if a.status in (AUDIT_OPEN, AUDIT_SUBMITTED)]

    @property
    def pending_reinstatement(self) -> CeRenewal | None:
        return next((r for r in self.renewals if r.status == RENEWAL_PENDING), None)

    def counted(self) -> dict[str, rules.CountedEntry]:
        """Counted entries of the current cycle by rules key (for the "trimmed because")."""
        if self.status is None:
            return {}
        return {c.entry.key: c for c in self.status.progress.entries}


# A holder's whole record, for the CE and credential pages: the statements are built once
# (SQLAlchemy works a fresh statement's cache key out on every execution).
_RECORD_ENTRIES = (select(LedgerEntry).where(LedgerEntry.user_id == bindparam("user_id"))
                   .order_by(LedgerEntry.earned_on, LedgerEntry.id))
_RECORD_ACTIVITIES = (select(CeActivity).where(CeActivity.user_id == bindparam("user_id"))
                      .order_by(CeActivity.submitted_at.desc(), CeActivity.id.desc()))
_RECORD_RENEWALS = (select(CeRenewal).where(CeRenewal.user_id == bindparam("user_id"))
                    .order_by(CeRenewal.cycle, CeRenewal.id))
_RECORD_REMINDERS = (select(CeReminder).where(CeReminder.user_id == bindparam("user_id"))
                     .order_by(CeReminder.on))
_RECORD_AUDITS = (select(CeAudit).where(CeAudit.user_id == bindparam("user_id"))
                  .order_by(CeAudit.drawn_at))


def load_record(user: User, today: date) -> CeRecord:
    programme = current_programme()
    uid = user.id
    holder = db.session.get(CeHolder, uid)
    mine = {"user_id": uid}
    entries = list(db.session.scalars(_RECORD_ENTRIES, mine))
    activities = list(db.session.scalars(_RECORD_ACTIVITIES, mine))
    renewals = list(db.session.scalars(_RECORD_RENEWALS, mine))
    reminders = list(db.session.scalars(_RECORD_REMINDERS, mine))
    audits = list(db.session.scalars(_RECORD_AUDITS, mine))
    status = None
    if holder is not None:
        status = rules.status(programme, rules_holder(holder, renewals),
                              rule_entries(entries, activities), today)
    return CeRecord(user, holder, entries, activities, renewals, reminders, audits, status,
                    today, programme)


def status_summary(email: str, today: date) -> dict[str, object]:
    """What ``flask ce status EMAIL`` prints."""
    user = _user_by_email(email)
    record = load_record(user, today)
    if record.status is None:
        raise NotFound(f"{user.email} holds no credential, so has no CE cycle.")
    return {"email": user.email, **record.status.summary()}


def _user_by_email(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(f"No account for {email}.")
    return user


# --------------------------------------------------------------------------- holders


def start_holder(user: User, earned_on: date, credential_ref: str, now: datetime) -> CeHolder:
    """Start the holder's first CE cycle on the date earned (inside the caller's transaction;
    credentials call it when a credential is issued). A holder already started is left as is.
    """
    holder = db.session.get(CeHolder, user.id)
    if holder is None:
        holder = CeHolder(user_id=user.id, earned_on=earned_on, credential_ref=credential_ref,
                          state=rules.State.ACTIVE.value, state_cycle=0, created_at=now)
        db.session.add(holder)
        db.session.flush()
    return holder


# --------------------------------------------------------------------------- ledger


def _append(entry: LedgerEntry) -> LedgerEntry | None:
    """Add a ledger row in a savepoint: None when its (user, source) is already recorded."""
    exists = db.session.scalar(select(LedgerEntry.id).where(
        LedgerEntry.user_id == entry.user_id, LedgerEntry.source == entry.source))
    if exists is not None:
        return None
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:  # a concurrent transaction recorded it first
        return None
    return entry


def record_course_completion(enrolment, now: datetime) -> LedgerEntry | None:
    """Course completion → its ce_hours in its ce_category, once (inside the caller's unit of
    work: the `course_completed` signal). Courses without CE hours add nothing."""
    course = enrolment.course
    if not course.ce_hours or course.ce_hours <= 0 or not course.ce_category:
        return None
    completed = enrolment.completed_at or now
    return _append(LedgerEntry(
        user_id=enrolment.user_id, kind=KIND_COURSE, source=f"course:{course.id}",
        earned_on=completed.date(), hours=Decimal(course.ce_hours),
        category=course.ce_category, activity_type="course", title=course.title,
        provider="Just Communities", course_code=course.code, created_at=now))


def _on_course_completed(enrolment, now: datetime, **_):
    record_course_completion(enrolment, now)


def connect_signals() -> None:
    """Listen to courses' `course_completed` (courses never import credits)."""
    from lms.courses.signals import course_completed

    course_completed.connect(_on_course_completed, weak=False)


def _reversal(entry: LedgerEntry, by: User | None, reason: str, now: datetime) -> LedgerEntry:
    return LedgerEntry(user_id=entry.user_id, kind=KIND_REVERSAL, source=f"reversal:{entry.id}",
                       earned_on=entry.earned_on, hours=entry.hours, category=entry.category,
                       activity_type=entry.activity_type, title=f"Reversal: {entry.title}",
                       provider=entry.provider, course_code=entry.course_code,
                       reverses_id=entry.id, reason=reason,
                       created_at=now, created_by_id=by.id if by else None)


def reverse_entry(entry: LedgerEntry, by: User, reason: str, now: datetime) -> LedgerEntry:
    """Cancel an entry with a reversal row (who and why); the original stays in the ledger."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the entry is reversed.")
    if entry.kind == KIND_REVERSAL:
        raise ValidationError("A reversal cannot itself be reversed; add a new entry instead.")
    added = _append(_reversal(entry, by, reason, now))
    if added is None:
        raise Conflict("That entry is already reversed.")
    db.session.commit()
    return added


def correct_entry(entry: LedgerEntry, by: User, reason: str, now: datetime, *,
                  hours: object = None, category: str | None = None,
                  earned_on: date | None = None) -> LedgerEntry:
    """A correction: a reversal of the entry plus a replacement with the corrected values."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the entry is corrected.")
    programme = current_programme()
    new_hours = entry.hours if hours is None else _check_hours(hours)
    if new_hours == entry.hours and (category or entry.category) == entry.category \
            and (earned_on or entry.earned_on) == entry.earned_on:
        raise ValidationError("The correction changes nothing: give new hours, category or "
                              "date, or reverse the entry.")
    new_category = category or entry.category
    if new_category not in programme.categories:
        raise ValidationError(f"Unknown CE category {new_category!r}.")
    if entry.kind == KIND_REVERSAL:
        raise ValidationError("A reversal cannot be corrected.")
    if _append(_reversal(entry, by, reason, now)) is None:
        raise Conflict("That entry is already reversed.")
    replacement = LedgerEntry(
        user_id=entry.user_id, kind=KIND_CORRECTION, source=f"correction:{entry.id}",
        earned_on=earned_on or entry.earned_on, hours=new_hours, category=new_category,
        activity_type=entry.activity_type, title=entry.title, provider=entry.provider,
        course_code=entry.course_code, reason=reason, created_at=now, created_by_id=by.id)
    db.session.add(replacement)
    db.session.commit()
    return replacement


def _check_hours(value: object) -> Decimal:
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(f"Hours must be a number (got {value!r}).") from None
    if not hours.is_finite() or hours <= 0 or hours > MAX_HOURS:
        raise ValidationError(f"Hours must be more than 0 and at most {MAX_HOURS}.")
    if hours != hours.quantize(Decimal("0.01")):
        raise ValidationError("Hours may have at most two decimals (e.g. 1.25).")
    return hours


# --------------------------------------------------------------------------- activities


@dataclass
class ActivityInput:
    title: str
    provider: str
    completed_on: date | None
    hours: object
    category: str
    activity_type: str
    description: str = ""
    link: str = ""


def _check_evidence(stream: IO[bytes]) -> str:
    head = stream.read(8)
    stream.seek(0)
    for magic, content_type in EVIDENCE_TYPES:
        if head.startswith(magic):
            if content_type == "application/pdf":
                found = storage.pdf_active_content(stream, EVIDENCE_MAX_BYTES)
                if found:
                    raise ValidationError(f"The evidence PDF contains scripts, attached files "
                                          f"or actions ({found}); upload a plain PDF.")
            return content_type
    raise ValidationError("The evidence file must be a PDF, PNG or JPEG (its content is "
                          "checked, not only its name).")


def store_evidence(stream: IO[bytes], filename: str) -> tuple[str, str]:
    """Check and store an evidence file; (storage key, file name)."""
    content_type = _check_evidence(stream)
    name = (filename or "evidence").replace("\\", "/").rsplit("/", 1)[-1][:200] or "evidence"
    try:
        key = storage.put(stream, content_type, max_bytes=EVIDENCE_MAX_BYTES, filename=name)
    except storage.FileTooLarge:
        raise ValidationError(f"The evidence file is larger than "
                              f"{storage.human_size(EVIDENCE_MAX_BYTES)}.") from None
    return key, name


def _validate_activity(data: ActivityInput, today: date) -> Decimal:
    programme = current_programme()
    if not data.title.strip() or len(data.title) > 300:
        raise ValidationError("Give the activity a title (up to 300 characters).")
    if not data.provider.strip() or len(data.provider) > 200:
        raise ValidationError("Name the provider (up to 200 characters).")
    if data.completed_on is None:
        raise ValidationError("Give the date of the activity.")
    if data.completed_on > today:
        raise ValidationError("The activity date cannot be in the future.")
    if data.category not in programme.categories:
        raise ValidationError("Choose one of the programme's CE categories.")
    if not programme.is_self_reported(data.activity_type):
        raise ValidationError("Choose one of the activity types you can report.")
    link = data.link.strip()
    if link and (len(link) > 500 or not _URL_RE.match(link)):
        raise ValidationError("The evidence link must be a web address (http:// or https://).")
    return _check_hours(data.hours)


def report_activity(user: User, data: ActivityInput, evidence: IO[bytes] | None,
                    evidence_name: str, today: date, now: datetime) -> CeActivity:
    """A holder reports an external activity; it waits for a registrar."""
    if db.session.get(CeHolder, user.id) is None:
        raise PermissionDenied("Only credential holders report CE activities.")
    hours = _validate_activity(data, today)
    if evidence is None and not data.link.strip():
        raise ValidationError("Attach evidence (a PDF, PNG or JPEG) or give a link to it.")
    key = name = None
    if evidence is not None:
        key, name = store_evidence(evidence, evidence_name)
    activity = CeActivity(
        user_id=user.id, title=data.title.strip(), provider=data.provider.strip(),
        completed_on=data.completed_on, hours=hours, category=data.category,
        activity_type=data.activity_type, description=data.description.strip()[:5000],
        evidence_key=key, evidence_name=name, evidence_link=data.link.strip() or None,
        status=ACTIVITY_PENDING, submitted_at=now)
    db.session.add(activity)
    db.session.commit()
    return activity


def get_entry(entry_id: int) -> LedgerEntry:
    return get_or_not_found(LedgerEntry, entry_id, "No such ledger entry.")


def get_renewal(renewal_id: int) -> CeRenewal:
    return get_or_not_found(CeRenewal, renewal_id, "No such renewal.")


def get_activity(activity_id: int) -> CeActivity:
    return get_or_not_found(CeActivity, activity_id, "No such activity.")


def _decidable(activity: CeActivity) -> None:
    if activity.status != ACTIVITY_PENDING:
        raise Conflict("This activity is not waiting for a decision (it was decided, or is "
                       "waiting for the holder's answer).")


def approve_activity(activity: CeActivity, registrar: User, now: datetime) -> LedgerEntry:
    _decidable(activity)
    entry = _append(LedgerEntry(
        user_id=activity.user_id, kind=KIND_ACTIVITY, source=f"activity:{activity.id}",
        earned_on=activity.completed_on, hours=activity.hours, category=activity.category,
        activity_type=activity.activity_type, title=activity.title,
        provider=activity.provider, created_at=now, created_by_id=registrar.id))
    if entry is None:
        raise Conflict("This activity is already in the ledger.")
    activity.status = ACTIVITY_APPROVED
    activity.decided_at, activity.decided_by_id = now, registrar.id
    _notify(activity.user, "Your CE activity was approved",
            f"{registrar.name} approved \"{activity.title}\" "
            f"({rules.format_hours(activity.hours)} hours).", now)
    db.session.commit()
    return entry


def reject_activity(activity: CeActivity, registrar: User, reason: str,
                    now: datetime) -> CeActivity:
    _decidable(activity)
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give the holder the reason for the rejection.")
    activity.status, activity.registrar_note = ACTIVITY_REJECTED, reason[:5000]
    activity.decided_at, activity.decided_by_id = now, registrar.id
    _notify(activity.user, "Your CE activity was not accepted",
            f"\"{activity.title}\" was not accepted: {reason}", now)
    db.session.commit()
    return activity


def request_information(activity: CeActivity, registrar: User, question: str,
                        now: datetime) -> CeActivity:
    _decidable(activity)
    question = question.strip()
    if not question:
        raise ValidationError("Write what the holder should add.")
    activity.status, activity.registrar_note = ACTIVITY_INFO, question[:5000]
    activity.decided_by_id = registrar.id
    _notify(activity.user, "More information needed for your CE activity",
            f"About \"{activity.title}\": {question}", now)
    db.session.commit()
    return activity


def answer_activity(activity: CeActivity, user: User, answer: str, evidence: IO[bytes] | None,
                    evidence_name: str, now: datetime) -> CeActivity:
    """The holder answers a registrar's question; the activity goes back to the queue."""
    if activity.user_id != user.id:
        raise PermissionDenied("That is not your activity.")
    if activity.status != ACTIVITY_INFO:
        raise Conflict("No question is waiting for your answer on this activity.")
    answer = answer.strip()
    if not answer:
        raise ValidationError("Write your answer.")
    if evidence is not None:
        activity.evidence_key, activity.evidence_name = store_evidence(evidence, evidence_name)
    activity.holder_answer = answer[:5000]
    activity.status = ACTIVITY_PENDING
    db.session.commit()
    return activity


def _notify(user: User, subject: str, body: str, now: datetime) -> None:
    mail.queue(user.email, subject, f"Hello {user.name},\n\n{body}\n\nYour CE page: "
               f"{_ce_link()}\n", now)


def _ce_link() -> str:
    try:
        return mail.external_url("credits.my_ce")
    except RuntimeError:  # no request and no BASE_URL (the CLI sweep in development)
        return "/ce"


# --------------------------------------------------------------------------- roster import


@dataclass
class RosterResult:
    added: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def _roster_source(activity: str, provider: str, on: date) -> str:
    key = "\x1f".join((activity.strip().lower(), provider.strip().lower(), on.isoformat()))
    return "roster:" + hashlib.sha256(key.encode()).hexdigest()[:40]


def import_roster(text: str, by: User | None, today: date, now: datetime) -> RosterResult:
    """A provider's attendance roster (CSV): all lines valid → all added (already recorded ones
    skipped and counted); any bad line → nothing added, every bad line reported by number."""
    programme = current_programme()
    result = RosterResult()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ROSTER_COLUMNS if c not in header]
    unknown = [c for c in header if c not in (*ROSTER_COLUMNS, "type")]
    if missing or unknown:
        problems = []
        if missing:
            problems.append("missing " + ", ".join(missing))
        if unknown:
            problems.append("unknown " + ", ".join(unknown))
        result.errors.append(f"line 1: the header must be {','.join(ROSTER_COLUMNS)} "
                             f"(optional: type); {'; '.join(problems)}")
        return result
    reader.fieldnames = header
    rows: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        if None in row:
            result.errors.append(f"line {reader.line_num}: more values than columns")
            continue
        values = {k: (v or "").strip() for k, v in row.items()}
        if any(values.values()):
            rows.append((reader.line_num, values))
    emails = {normalise_email(v["email"]) for _, v in rows if v["email"]}
    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
    pending: list[LedgerEntry] = []
    seen: set[tuple[int, str]] = set()
    for line, v in rows:
        problems = []
        user = users.get(normalise_email(v["email"])) if v["email"] else None
        if user is None:
            problems.append(f"no account for {v['email']!r}" if v["email"] else "email is empty")
        if not v["activity"] or len(v["activity"]) > 300:
            problems.append("activity must be 1 to 300 characters")
        if not v["provider"] or len(v["provider"]) > 200:
            problems.append("provider must be 1 to 200 characters")
        try:
            hours = _check_hours(v["hours"])
        except ValidationError as err:
            problems.append(str(err)[0].lower() + str(err)[1:].rstrip("."))
            hours = Decimal(0)
        if v["category"] not in programme.categories:
            problems.append(f"unknown category {v['category']!r} (one of "
                            f"{', '.join(programme.categories)})")
        kind = v.get("type") or ROSTER_DEFAULT_TYPE
        if kind not in programme.activity_types:
            problems.append(f"unknown activity type {kind!r}")
        try:
            on = date.fromisoformat(v["completed_on"])
            if on > today:
                problems.append("completed_on is in the future")
        except ValueError:
            problems.append(f"completed_on must be a date YYYY-MM-DD (got {v['completed_on']!r})")
            on = today
        if problems:
            result.errors.append(f"line {line}: " + "; ".join(problems))
            continue
        assert user is not None
        source = _roster_source(v["activity"], v["provider"], on)
        if (user.id, source) in seen:
            result.skipped += 1
            continue
        seen.add((user.id, source))
        pending.append(LedgerEntry(
            user_id=user.id, kind=KIND_ROSTER, source=source, earned_on=on, hours=hours,
            category=v["category"], activity_type=kind, title=v["activity"],
            provider=v["provider"], reason="attendance roster", created_at=now,
            created_by_id=by.id if by else None))
    if not rows and not result.errors:
        result.errors.append("the file has no rows")
    if result.errors:
        return result
    existing = set()
    for user_id in {e.user_id for e in pending}:
        sources = [e.source for e in pending if e.user_id == user_id]
        existing |= {(user_id, s) for s in db.session.scalars(select(LedgerEntry.source).where(
            LedgerEntry.user_id == user_id, LedgerEntry.source.in_(sources)))}
    for entry in pending:
        if (entry.user_id, entry.source) in existing or _append(entry) is None:
            result.skipped += 1
        else:
            result.added += 1
    db.session.commit()
    return result


# --------------------------------------------------------------------------- renewal, audit


def renew(user: User, attested: bool, today: date, now: datetime) -> CeRenewal:
    """The holder renews, attesting that the hours are true. After grace it is a request for
    reinstatement that a registrar approves. A renewal may be drawn for audit."""
    if not attested:
        raise ValidationError("Tick the box to attest that your CE record is true.")
    record = load_record(user, today)
    if record.holder is None:
        raise PermissionDenied("Only credential holders renew.")
    if record.pending_reinstatement is not None:
        raise Conflict("Your reinstatement request is waiting for a registrar.")
    check = rules.renewal_check(record.programme, rules_holder(record.holder, record.renewals),
                                rule_entries(record.entries), today)
    if not check.eligible or check.renewal is None:
        raise ValidationError(f"You cannot renew yet: {check.reason}.")
    attestation = (f"{user.name} attested on {today.isoformat()} that the CE record for the "
                   f"cycle {check.cycle.start.isoformat()} to {check.cycle.last_day.isoformat()}"
                   f" is true and complete.")
    renewal = CeRenewal(user_id=user.id, cycle=check.renewal.cycle, renewed_on=today,
                        reinstated=check.reinstatement,
                        status=RENEWAL_PENDING if check.reinstatement else RENEWAL_APPROVED,
                        attestation=attestation, created_at=now)
    db.session.add(renewal)
    db.session.flush()
    if not check.reinstatement:
        _maybe_audit(renewal, record.programme, now)
        _resync(record.holder, record.programme, today, user, "Renewed: the CE requirements "
                f"of the cycle ending {rules.format_date(check.cycle.last_day)} were met", now)
        cycle_renewed.send(user, renewal=renewal, now=now)
    db.session.commit()
    return renewal


def _maybe_audit(renewal: CeRenewal, programme: Programme, now: datetime) -> None:
    seed = str(current_app.config["CE_AUDIT_SEED"])
    rate = current_app.config.get("CE_AUDIT_RATE")  # tests and drills; else program.yml's
    rate = programme.maintenance.audit_rate if rate is None else float(rate)
    if rules.drawn_for_audit(seed, f"{renewal.user_id}:{renewal.cycle}", rate):
        db.session.add(CeAudit(renewal_id=renewal.id, user_id=renewal.user_id,
                               status=AUDIT_OPEN, drawn_at=now))
        _notify(renewal.user, "Your CE renewal was selected for audit",
                "Your renewal was drawn at random for audit. Upload evidence for your "
                "self-reported activities on your CE page.", now)


def _resync(holder: CeHolder, programme: Programme, today: date, by: User | None,
            reason: str, now: datetime) -> None:
    """Bring the swept state up to date after a renewal (the programme view reads it); a
    change of state is announced with who and why (the credential's history keeps it)."""
    renewals = db.session.scalars(select(CeRenewal).where(CeRenewal.user_id == holder.user_id))
    state, cycle = rules.holder_state(programme, rules_holder(holder, renewals), today)
    before = holder.state
    holder.state, holder.state_cycle = state.value, cycle.index
    if state.value != before:
        ce_state_changed.send(db.session.get_one(User, holder.user_id), from_state=before,
                              to_state=state.value, reason=reason, by=by, now=now)


def decide_reinstatement(renewal: CeRenewal, registrar: User, approve: bool, note: str,
                         today: date, now: datetime) -> CeRenewal:
    if renewal.status != RENEWAL_PENDING:
        raise Conflict("This reinstatement is not waiting for a decision.")
    note = note.strip()
    if not approve and not note:
        raise ValidationError("Give the holder the reason for refusing the reinstatement.")
    renewal.status = RENEWAL_APPROVED if approve else RENEWAL_REJECTED
    renewal.decided_at, renewal.decided_by_id, renewal.note = now, registrar.id, note[:5000]
    db.session.flush()
    holder = _holder_of(renewal.user_id)
    programme = current_programme()
    if approve:
        _maybe_audit(renewal, programme, now)
    _resync(holder, programme, today, registrar,
            ("Reinstatement approved" if approve else "Reinstatement refused")
            + (f": {note}" if note else ""), now)
    if approve:
        cycle_renewed.send(renewal.user, renewal=renewal, now=now)
    _notify(renewal.user, "Your reinstatement was " + ("approved" if approve else "refused"),
            note or "Your credential is reinstated.", now)
    db.session.commit()
    return renewal


def get_audit(audit_id: int) -> CeAudit:
    return get_or_not_found(CeAudit, audit_id, "No such audit.")


def submit_audit_evidence(audit: CeAudit, user: User, evidence: IO[bytes] | None,
                          filename: str, note: str, now: datetime) -> CeAudit:
    if audit.user_id != user.id:
        raise PermissionDenied("That is not your audit.")
    if audit.status not in (AUDIT_OPEN, AUDIT_SUBMITTED):
        raise Conflict("This audit is closed.")
    if evidence is None:
        raise ValidationError("Attach the evidence (a PDF, PNG or JPEG).")
    audit.evidence_key, audit.evidence_name = store_evidence(evidence, filename)
    audit.holder_note = note.strip()[:5000]
    audit.status = AUDIT_SUBMITTED
    db.session.commit()
    return audit


def decide_audit(audit: CeAudit, registrar: User, passed: bool, note: str, today: date,
                 now: datetime) -> CeAudit:
    """Pass, or fail: the renewed cycle's self-reported hours are reversed in the ledger (the
    history stays) and the renewal is revoked, which can return the holder to unmet."""
    if audit.status not in (AUDIT_OPEN, AUDIT_SUBMITTED):
        raise Conflict("This audit is already decided.")
    note = note.strip()
    if not passed and not note:
        raise ValidationError("Give the reason the audit failed.")
    audit.status = AUDIT_PASSED if passed else AUDIT_FAILED
    audit.decided_at, audit.decided_by_id, audit.registrar_note = now, registrar.id, note[:5000]
    if not passed:
        programme = current_programme()
        renewal = audit.renewal
        holder = _holder_of(audit.user_id)
        renewals = list(db.session.scalars(select(CeRenewal).where(
            CeRenewal.user_id == audit.user_id)))
        entries = list(db.session.scalars(select(LedgerEntry).where(
            LedgerEntry.user_id == audit.user_id)))
        result = rules.progress(programme, rules_holder(holder, renewals),
                                rule_entries(entries), today, renewal.cycle)
        by_id = {str(e.id): e for e in entries}
        for counted in result.entries:
            entry = by_id.get(counted.entry.key)
            if (entry is not None and not counted.carried
                    and programme.is_self_reported(entry.activity_type)):
                _append(_reversal(entry, registrar, f"failed audit: {note}", now))
        renewal.status = RENEWAL_REVOKED
        db.session.flush()
        _resync(holder, programme, today, registrar, f"CE audit failed: {note}", now)
        _notify(audit.user, "Your CE audit did not pass",
                f"The self-reported hours of your renewed cycle were reversed: {note}", now)
    db.session.commit()
    return audit


# --------------------------------------------------------------------------- sweep


@dataclass
class SweepReport:
    holders: int = 0
    changed: int = 0
    reminders_sent: int = 0
    reminders_skipped: int = 0

    def as_text(self) -> str:
        return (f"{self.holders} holders swept: {self.changed} changed state, "
                f"{self.reminders_sent} reminders sent, {self.reminders_skipped} skipped")


#: Why the daily sweep moved a holder (the credential's history says it).
_SWEEP_REASON = {
    rules.State.ACTIVE: "CE sweep: the cycle's requirements are met",
    rules.State.GRACE: "CE sweep: the cycle ended before its requirements were met (grace "
                       "period)",
    rules.State.REINSTATABLE: "CE sweep: the grace period ended without a renewal (a "
                              "registrar may reinstate)",
    rules.State.EXPIRED: "CE sweep: expired; the credential must be earned again",
}

_STATE_MAIL = {
    rules.State.GRACE: ("Your CE cycle ended: you are in the grace period",
                        "Your CE cycle ended before its requirements were met. You can still "
                        "earn, report and renew until {deadline}: still missing {missing}."),
    rules.State.REINSTATABLE: ("Your credential has expired",
                               "The grace period ended. You may still be reinstated until "
                               "{deadline} by meeting the requirements and a registrar's "
                               "approval."),
    rules.State.EXPIRED: ("Your credential has expired",
                          "The credential has expired and must be earned again."),
}


def _batches(batch: int) -> Iterator[list[CeHolder]]:
    after = 0
    while True:
        rows = list(db.session.scalars(select(CeHolder).where(CeHolder.user_id > after)
                                       .order_by(CeHolder.user_id).limit(batch)))
        if not rows:
            return
        yield rows
        after = rows[-1].user_id


def sweep(today: date, now: datetime, batch: int = SWEEP_BATCH) -> SweepReport:
    """Move holders between states and send each due reminder once. Idempotent: a second run
    the same day changes nothing and sends nothing. Streams holders in batches (one commit
    each), loading ledger rows only for holders with a reminder due."""
    programme = current_programme()
    report = SweepReport()
    for holders in _batches(batch):
        ids = [h.user_id for h in holders]
        renewals: dict[int, list[CeRenewal]] = defaultdict(list)
        for r in db.session.scalars(select(CeRenewal).where(CeRenewal.user_id.in_(ids),
                                                            CeRenewal.status ==
                                                            RENEWAL_APPROVED)):
            renewals[r.user_id].append(r)
        sent: dict[int, set[tuple[int, int]]] = defaultdict(set)
        for uid, cycle, days in db.session.execute(
                select(CeReminder.user_id, CeReminder.cycle, CeReminder.days)
                .where(CeReminder.user_id.in_(ids))):
            sent[uid].add((cycle, days))
        plain = {h.user_id: rules_holder(h, renewals[h.user_id]) for h in holders}
        # Ledger rows only where a reminder is due or the holder enters grace (the mail says
        # what is missing): the rules tell both without entries.
        need = [h.user_id for h in holders
                if rules.due_reminders(programme, plain[h.user_id], (), today, sent[h.user_id])
                or (h.state != rules.State.GRACE.value and rules.holder_state(
                    programme, plain[h.user_id], today)[0] is rules.State.GRACE)]
        entries: dict[int, list[LedgerEntry]] = defaultdict(list)
        if need:
            for e in db.session.scalars(select(LedgerEntry)
                                        .where(LedgerEntry.user_id.in_(need))):
                entries[e.user_id].append(e)
        users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
        for h in holders:
            report.holders += 1
            record = rules.SweepRecord(rules.State(h.state), h.state_cycle,
                                       frozenset(sent[h.user_id]))
            result = rules.sweep(programme, plain[h.user_id], rule_entries(entries[h.user_id]),
                                 today, record)
            state, cycle = result.record.state, result.record.cycle
            if state.value != h.state or cycle != h.state_cycle:
                if state.value != h.state:
                    report.changed += 1
                    _state_mail(programme, users[h.user_id], plain[h.user_id], state, today,
                                entries[h.user_id], now)
                    ce_state_changed.send(users[h.user_id], from_state=h.state,
                                          to_state=state.value, by=None, now=now,
                                          reason=_SWEEP_REASON.get(state, "CE sweep"))
                h.state, h.state_cycle = state.value, cycle
            for due in result.reminders:
                db.session.add(CeReminder(user_id=h.user_id, cycle=due.cycle, days=due.days,
                                          on=today, sent=due.send))
                if due.send:
                    report.reminders_sent += 1
                    _notify(users[h.user_id], f"CE reminder: {due.days} days left",
                            f"Your CE cycle ends on {rules.format_date(due.deadline)}. "
                            f"Still missing: {due.missing}.", now)
                else:
                    report.reminders_skipped += 1
            h.swept_on = today
        db.session.commit()
    return report


def _state_mail(programme: Programme, user: User, holder: rules.Holder, state: rules.State,
                today: date, entries: list[LedgerEntry], now: datetime) -> None:
    template = _STATE_MAIL.get(state)
    if template is None:
        return
    status = rules.status(programme, holder, rule_entries(entries), today)
    subject, body = template
    _notify(user, subject, body.format(deadline=rules.format_date(status.deadline),
                                       missing=status.missing or "nothing"), now)


# --------------------------------------------------------------------------- programme view


@dataclass
class HolderRow:
    user: User
    holder: CeHolder


def holders(state: str | None = None, query: str = "") -> list[HolderRow]:
    stmt = (select(CeHolder, User).join(User, User.id == CeHolder.user_id)
            .order_by(User.name, User.id))
    if state:
        stmt = stmt.where(CeHolder.state == state)
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where((User.email.like(like)) | (User.name.ilike(like)))
    return [HolderRow(u, h) for h, u in db.session.execute(stmt)]


def state_counts() -> dict[str, int]:
    from sqlalchemy import func

    return dict(db.session.execute(select(CeHolder.state, func.count())
                                   .group_by(CeHolder.state)).all())


@dataclass
class DueRow:
    user: User
    status: rules.HolderStatus


def due_soon(today: date, days: int = DUE_SOON_DAYS, query: str = "") -> list[DueRow]:
    """Active holders whose cycle ends within `days` and who are still short."""
    programme = current_programme()
    rows = holders(rules.State.ACTIVE.value, query)
    ids = [r.user.id for r in rows]
    renewals: dict[int, list[CeRenewal]] = defaultdict(list)
    entries: dict[int, list[LedgerEntry]] = defaultdict(list)
    if ids:
        for r in db.session.scalars(select(CeRenewal).where(CeRenewal.user_id.in_(ids))):
            renewals[r.user_id].append(r)
    out = []
    soon: list[tuple[HolderRow, rules.Holder]] = []
    for row in rows:
        plain = rules_holder(row.holder, renewals[row.user.id])
        state, cycle = rules.holder_state(programme, plain, today)
        if state is rules.State.ACTIVE and cycle.days_left(today) <= days:
            soon.append((row, plain))
    if soon:
        for e in db.session.scalars(select(LedgerEntry).where(
                LedgerEntry.user_id.in_([r.user.id for r, _ in soon]))):
            entries[e.user_id].append(e)
    for row, plain in soon:
        status = rules.status(programme, plain, rule_entries(entries[row.user.id]), today)
        if not status.progress.met:
            out.append(DueRow(row.user, status))
    out.sort(key=lambda r: r.status.cycle.end)
    return out


def approval_queue(query: str = "") -> list[CeActivity]:
    stmt = (select(CeActivity).join(User, User.id == CeActivity.user_id)
            .where(CeActivity.status == ACTIVITY_PENDING).order_by(CeActivity.submitted_at))
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where((User.email.like(like)) | (CeActivity.title.ilike(like)))
    return list(db.session.scalars(stmt))


def reinstatement_queue() -> list[CeRenewal]:
    return list(db.session.scalars(select(CeRenewal).where(CeRenewal.status == RENEWAL_PENDING)
                                   .order_by(CeRenewal.created_at)))


def audit_queue(query: str = "") -> list[CeAudit]:
    stmt = (select(CeAudit).join(User, User.id == CeAudit.user_id)
            .where(CeAudit.status.in_((AUDIT_OPEN, AUDIT_SUBMITTED)))
            .order_by(CeAudit.status.desc(), CeAudit.drawn_at))
    if query:
        stmt = stmt.where(User.email.like(f"%{query.strip().lower()}%"))
    return list(db.session.scalars(stmt))
