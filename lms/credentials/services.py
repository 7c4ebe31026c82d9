"""Credentials: granting (automatic and by hand), the lifecycle, certificates, cohort ZIPs.

- **Automatic grant**: courses, quizzes and assignments tell us (blinker signals, inside their
  unit of work) that a learner finished an item or a course; :func:`grant_if_earned` locks the
  learner's row, re-reads every requirement of ``program.yml``'s ``earn:`` and grants when all
  are met. The row lock makes two app servers meeting the last two requirements at once
  serialise: the second sees the first's work and grants; the partial unique index on live
  credentials makes a second grant impossible even so.
- **Lifecycle**: a registrar suspends, reinstates or revokes with a reason; each change appends
  a row to the append-only ``credential_events``. Grace and expiry are the CE engine's.
- **Certificates**: made after the commit that calls for them (issue, renewal, legal-name
  change) by a background task, stored through ``lms.storage``; the previous one is kept,
  marked superseded.
"""
from __future__ import annotations

import hashlib
import io
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms import mail, storage, tasks
from lms.auth.models import User
from lms.cohorts.models import Cohort, CohortMember
from lms.courses.models import Course, Enrolment, Item
from lms.credentials.certificates import (
    HOLDER_PATH,
    CertificateContent,
    sign_certificate,
    site_url,
    verify_url,
)
from lms.credentials.ids import format_id
from lms.credentials.models import (
    CREDENTIAL_ACTIVE,
    CREDENTIAL_REVOKED,
    CREDENTIAL_SUSPENDED,
    EVENT_ISSUED,
    Certificate,
    CertificateBundle,
    Credential,
    CredentialEvent,
    CredentialSerial,
)
from lms.credentials.public import status_of, statuses_for
from lms.credentials.signing import SigningUnavailable
from lms.credits import rules as ce_rules
from lms.credits import services as credits
from lms.credits.models import CeHolder, CeRenewal
from lms.dbtypes import get_or_not_found, rows_changed
from lms.errors import Conflict, NotFound, ValidationError
from lms.extensions import db
from lms.programme import Programme

#: A certificate PDF is a few tens of KB; this bounds what storage accepts.
CERTIFICATE_MAX_BYTES = 5 * 1024 * 1024
BUNDLE_MAX_BYTES = 2 * 1024 * 1024 * 1024
REASON_MAX = 2000
_PENDING = "credentials_pending_certificates"

# Why a certificate was made (shown in the history).
MADE_ISSUED = "issued"
MADE_RENEWAL = "renewal"
MADE_NAME = "legal name changed"
MADE_REISSUE = "re-issued"


# --------------------------------------------------------------------------- reading


def get_credential(credential_id: str) -> Credential:
    """The credential with this ID (as typed: case and dashes forgiven); NotFound."""
    from lms.credentials.ids import parse_id

    parsed = parse_id(credential_id)
    credential = None
    if parsed is not None:
        credential = db.session.scalar(select(Credential).where(
            Credential.credential_id == str(parsed)))
    if credential is None:
        raise NotFound(f"No credential {str(credential_id)[:64]!r}.")
    return credential


def get_credential_by_pk(pk: int) -> Credential:
    return get_or_not_found(Credential, pk, "No such credential.")


def current_credential(user: User) -> Credential | None:
    """The holder's live credential (active or suspended), else their latest (revoked)."""
    return db.session.scalar(select(Credential).where(Credential.user_id == user.id)
                             .order_by((Credential.state == CREDENTIAL_REVOKED).asc(),
                                       Credential.id.desc()).limit(1))


def _ce_state(holder: CeHolder | None, renewals: Iterable[CeRenewal], programme: Programme,
              today: date) -> tuple[ce_rules.State, ce_rules.Cycle] | None:
    if holder is None:
        return None
    return ce_rules.holder_state(programme, credits.rules_holder(holder, renewals), today)


@dataclass(frozen=True)
class Standing:
    """A credential's status and dates, as its holder, a registrar and the certificate see."""

    status: str
    valid_until: date | None


def standing(credential: Credential, today: date) -> Standing:
    """Status and valid-until (the last day of the CE cycle to meet); three queries."""
    holder = db.session.get(CeHolder, credential.user_id)
    renewals = db.session.scalars(select(CeRenewal).where(
        CeRenewal.user_id == credential.user_id))
    found = _ce_state(holder, renewals, credits.current_programme(), today)
    return Standing(status_of(credential, found),
                    found[1].last_day if found else None)


@dataclass(frozen=True)
class Card:
    credential: Credential
    status: str
    valid_until: date | None


def dashboard_card(user: User, today: date) -> Card | None:
    """The dashboard's credential card (four queries; one when the user holds none)."""
    credential = current_credential(user)
    if credential is None:
        return None
    found = standing(credential, today)
    return Card(credential, found.status, found.valid_until)


def certificate_content(credential: Credential, today: date) -> CertificateContent:
    programme = credits.current_programme()
    user = db.session.get_one(User, credential.user_id)
    return CertificateContent(
        holder_name=user.certificate_name, credential_name=programme.credential.name,
        abbreviation=programme.credential.abbreviation,
        credential_id=credential.credential_id, issued_on=credential.issued_on,
        valid_until=standing(credential, today).valid_until,
        verify_url=verify_url(credential.credential_id))


def events(credential: Credential) -> list[CredentialEvent]:
    return list(db.session.scalars(select(CredentialEvent)
                                   .where(CredentialEvent.credential_id == credential.id)
                                   .order_by(CredentialEvent.at, CredentialEvent.id)))


def certificates(credential: Credential) -> list[Certificate]:
    """Newest first: the current one, then the superseded ones."""
    return list(db.session.scalars(select(Certificate)
                                   .where(Certificate.credential_id == credential.id)
                                   .order_by(Certificate.created_at.desc(),
                                             Certificate.id.desc())))


def current_certificate(credential: Credential) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(
        Certificate.credential_id == credential.id, Certificate.superseded_at.is_(None)))


def get_certificate(credential: Credential, certificate_pk: int) -> Certificate:
    found = db.session.get(Certificate, certificate_pk)
    if found is None or found.credential_id != credential.id:
        raise NotFound("No such certificate.")
    return found


@dataclass
class HolderPage:
    credential: Credential
    standing: Standing
    ce: credits.CeRecord
    certificates: list[Certificate]


def holder_page(user: User, today: date) -> HolderPage | None:
    credential = current_credential(user)
    if credential is None:
        return None
    record = credits.load_record(user, today)
    found = (record.status.state, record.status.cycle) if record.status else None
    status = Standing(status_of(credential, found),
                      found[1].last_day if found else None)
    return HolderPage(credential, status, record, certificates(credential))


def registrar_list(today: date, limit: int = 200) -> list[tuple[Credential, User, str]]:
    """Credentials, newest first, with holder and public status (constant queries)."""
    rows = list(db.session.execute(select(Credential, User).join(User, User.id ==
                                                                 Credential.user_id)
                                   .order_by(Credential.id.desc()).limit(limit)))
    status = statuses_for([c for c, _ in rows], today)
    return [(c, u, status[c.id]) for c, u in rows]


# --------------------------------------------------------------------------- requirements


@dataclass(frozen=True)
class Requirement:
    label: str
    met: bool


def requirements(user: User, programme: Programme | None = None) -> list[Requirement]:
    """Each requirement of ``earn:`` and whether the learner has met it (a fixed number of
    queries)."""
    from lms.assignments.models import Assignment, Submission
    from lms.quizzes import services as quizzes
    from lms.quizzes.models import Quiz

    programme = programme or credits.current_programme()
    earn = programme.earn
    out: list[Requirement] = []
    if earn.courses:
        done = set(db.session.scalars(select(Course.code).join(
            Enrolment, Enrolment.course_id == Course.id).where(
            Enrolment.user_id == user.id, Enrolment.completed_at.is_not(None),
            Course.code.in_(earn.courses))))
        out += [Requirement(f"Complete the course {code}", code in done)
                for code in earn.courses]
    if earn.exam is not None:
        quiz = db.session.scalar(select(Quiz).join(Item, Item.id == Quiz.item_id).join(
            Course, Course.id == Item.course_id).where(Course.code == earn.exam.course,
                                                       Item.slug == earn.exam.item))
        passed = quiz is not None and quizzes.exam_passed_at(user, quiz) is not None
        out.append(Requirement(f"Pass the exam ({earn.exam.course})", passed))
    if earn.case_study is not None:
        passed_id = db.session.scalar(
            select(Submission.id).join(Assignment, Assignment.id == Submission.assignment_id)
            .join(Item, Item.id == Assignment.item_id).join(Course, Course.id == Item.course_id)
            .where(Course.code == earn.case_study.course, Item.slug == earn.case_study.item,
                   Submission.user_id == user.id, Submission.status == "passed"))
        out.append(Requirement(f"Pass the case study ({earn.case_study.course})",
                               passed_id is not None))
    return out


def _requirement_courses(programme: Programme) -> set[str]:
    earn = programme.earn
    codes = set(earn.courses)
    for ref in (earn.exam, earn.case_study):
        if ref is not None:
            codes.add(ref.course)
    return codes


# --------------------------------------------------------------------------- issuing


def next_serial(year: int) -> int:
    """The next serial of the year: one conditional UPDATE ... RETURNING on the year's row
    (the row lock serialises concurrent issues); the row is made on the year's first issue."""
    for _ in range(3):
        serial = db.session.scalar(update(CredentialSerial).where(CredentialSerial.year == year)
                                   .values(last=CredentialSerial.last + 1)
                                   .returning(CredentialSerial.last))
        if serial is not None:
            return serial
        try:
            with db.session.begin_nested():
                db.session.add(CredentialSerial(year=year, last=0))
        except IntegrityError:  # another transaction made it first: take the next one
            pass
    raise Conflict("Could not allocate a credential serial; try again.")


def _live_credential(user_id: int) -> Credential | None:
    return db.session.scalar(select(Credential).where(
        Credential.user_id == user_id, Credential.state != CREDENTIAL_REVOKED))


def _create(user: User, issued_on: date, reason: str, by: User | None, now: datetime,
            automatic: bool) -> Credential:
    """The credential, its first event, the CE cycle and the welcome e-mail (no commit).
    Raises IntegrityError (inside a savepoint) when a live credential appeared meanwhile."""
    programme = credits.current_programme()
    credential_id = format_id(programme.credential.id_prefix, issued_on.year,
                              next_serial(issued_on.year))
    with db.session.begin_nested():
        credential = Credential(user_id=user.id, credential_id=credential_id,
                                issued_on=issued_on, reason=reason, automatic=automatic,
                                issued_by_id=by.id if by else None, state=CREDENTIAL_ACTIVE,
                                state_reason="", state_changed_at=now, created_at=now)
        db.session.add(credential)
        db.session.flush()
    db.session.add(CredentialEvent(credential_id=credential.id, at=now,
                                   by_id=by.id if by else None, from_state=None,
                                   to_state=CREDENTIAL_ACTIVE,
                                   reason=reason or EVENT_ISSUED))
    credits.start_holder(user, issued_on, credential_id, now)
    mail.queue(user.email, f"You are now a {programme.credential.name}",
               f"Hello {user.name},\n\nCongratulations: you hold the "
               f"{programme.credential.name} ({programme.credential.abbreviation}), credential "
               f"ID {credential_id}, issued on {ce_rules.format_date(issued_on)}.\n\n"
               f"Your signed certificate and your continuing-education cycle are on your "
               f"credential page: {site_url(HOLDER_PATH)}\n\n"
               f"Anyone can check it at {verify_url(credential_id)}\n", now)
    _want_certificate(credential, MADE_ISSUED)
    return credential


def issue(user: User, issued_on: date, reason: str, by: User | None,
          now: datetime) -> Credential:
    """A registrar issues the credential by hand (CLI or web page), with a reason."""
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ValidationError(f"The reason is too long (at most {REASON_MAX} characters).")
    if issued_on > now.date():
        raise ValidationError("The issue date cannot be in the future.")
    _lock_user(user)
    existing = _live_credential(user.id)
    if existing is not None:
        db.session.rollback()
        raise Conflict(f"{user.email} already holds {existing.credential_id} "
                       f"({existing.state}).")
    try:
        credential = _create(user, issued_on, reason or "Issued by a registrar", by, now,
                             automatic=False)
    except IntegrityError:
        db.session.rollback()
        raise Conflict(f"{user.email} was just granted the credential by another "
                       f"request.") from None
    db.session.commit()
    return credential


def _lock_user(user: User) -> None:
    """Serialise credential decisions for one learner: a row lock on PostgreSQL (SQLite
    serialises writers anyway). FOR NO KEY UPDATE, so that foreign-key checks of rows that
    point at the user (KEY SHARE) neither wait for it nor deadlock with it."""
    db.session.execute(select(User.id).where(User.id == user.id)
                       .with_for_update(key_share=True))


def grant_if_earned(user: User, now: datetime) -> Credential | None:
    """Grant the credential when every requirement is met (inside the caller's transaction;
    the caller commits). Once per learner: never after one was granted or issued."""
    programme = credits.current_programme()
    if not programme.earn.courses and programme.earn.exam is None \
            and programme.earn.case_study is None:
        return None  # nothing earns it automatically
    if db.session.scalar(select(Credential.id).where(Credential.user_id == user.id)
                         .limit(1)) is not None:
        return None
    _lock_user(user)
    # Re-read after the lock: another server may have committed meanwhile.
    if db.session.scalar(select(Credential.id).where(Credential.user_id == user.id)
                         .limit(1)) is not None:
        return None
    if not all(r.met for r in requirements(user, programme)):
        return None
    try:
        return _create(user, now.date(), "Met every requirement", None, now, automatic=True)
    except IntegrityError:  # granted by a concurrent transaction after all
        return None


def _on_item_done(enrolment: Enrolment, item: Item | None = None, now: datetime | None = None,
                  **_: object) -> None:
    if now is None:
        return
    programme = credits.current_programme()
    course = db.session.get(Course, enrolment.course_id)
    if course is None or course.code not in _requirement_courses(programme):
        return
    user = db.session.get(User, enrolment.user_id)
    if user is not None:
        grant_if_earned(user, now)


def _on_renewed(user: User, now: datetime | None = None, **_: object) -> None:
    credential = _live_credential(user.id)
    if credential is not None:
        _want_certificate(credential, MADE_RENEWAL)


def _on_legal_name_changed(user: User, now: datetime | None = None, **_: object) -> None:
    credential = _live_credential(user.id)
    if credential is not None:
        _want_certificate(credential, MADE_NAME)


def _on_ce_state_changed(user: User, from_state: str = "", to_state: str = "",
                         reason: str = "", by: User | None = None,
                         now: datetime | None = None, **_: object) -> None:
    """The CE engine moved the holder (grace, expiry, renewal, reinstatement): the
    credential's history keeps it, with who (None: the daily sweep), when and why."""
    credential = _live_credential(user.id)
    if credential is None or now is None:
        return
    db.session.add(CredentialEvent(credential_id=credential.id, at=now,
                                   by_id=by.id if by else None,
                                   from_state=f"CE {from_state}"[:20],
                                   to_state=f"CE {to_state}"[:20], reason=reason))


def connect_signals() -> None:
    """Listen to the features below (they never import credentials)."""
    from lms.auth.signals import legal_name_changed
    from lms.courses.signals import item_done
    from lms.credits.signals import ce_state_changed, cycle_renewed

    item_done.connect(_on_item_done, weak=False)  # also sent for the item that completes a course
    cycle_renewed.connect(_on_renewed, weak=False)
    legal_name_changed.connect(_on_legal_name_changed, weak=False)
    ce_state_changed.connect(_on_ce_state_changed, weak=False)


# --------------------------------------------------------------------------- lifecycle

_TRANSITIONS = {
    "suspend": ({CREDENTIAL_ACTIVE}, CREDENTIAL_SUSPENDED),
    "reinstate": ({CREDENTIAL_SUSPENDED}, CREDENTIAL_ACTIVE),
    "revoke": ({CREDENTIAL_ACTIVE, CREDENTIAL_SUSPENDED}, CREDENTIAL_REVOKED),
}
ACTIONS = tuple(_TRANSITIONS)


def change_state(credential: Credential, action: str, reason: str, by: User | None,
                 now: datetime) -> Credential:
    """Suspend, reinstate or revoke, with a reason (public for suspend and revoke)."""
    if action not in _TRANSITIONS:
        raise ValidationError(f"Unknown action {action!r}; choose one of {', '.join(ACTIONS)}.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give a reason: it is kept in the credential's history"
                              + (" and shown on the public verification page."
                                 if action != "reinstate" else "."))
    if len(reason) > REASON_MAX:
        raise ValidationError(f"The reason is too long (at most {REASON_MAX} characters).")
    allowed, target = _TRANSITIONS[action]
    before = credential.state
    # A conditional UPDATE: two registrars acting at once cannot both succeed.
    done = db.session.execute(
        update(Credential).where(Credential.id == credential.id,
                                 Credential.state.in_(allowed))
        .values(state=target, state_reason="" if target == CREDENTIAL_ACTIVE else reason,
                state_changed_at=now).execution_options(synchronize_session=False))
    if rows_changed(done) != 1:
        db.session.rollback()
        raise Conflict(f"{credential.credential_id} is {credential.state}: it cannot be "
                       f"{_PAST[action]}.")
    db.session.add(CredentialEvent(credential_id=credential.id, at=now,
                                   by_id=by.id if by else None, from_state=before,
                                   to_state=target, reason=reason))
    db.session.flush()
    db.session.refresh(credential)
    user = db.session.get_one(User, credential.user_id)
    programme = credits.current_programme()
    mail.queue(user.email, f"Your {programme.credential.abbreviation} credential was "
                           f"{_PAST[action]}",
               f"Hello {user.name},\n\nYour credential {credential.credential_id} was "
               f"{_PAST[action]} on {ce_rules.format_date(now.date())}.\n\nReason: {reason}\n"
               f"\nQuestions? Reply to this e-mail to reach the registrar.\n", now)
    db.session.commit()
    return credential


_PAST = {"suspend": "suspended", "reinstate": "reinstated", "revoke": "revoked"}


# --------------------------------------------------------------------------- certificates


def _want_certificate(credential: Credential, why: str) -> None:
    """Make a new certificate after this transaction commits (a background task)."""
    db.session.flush()
    db.session.info.setdefault(_PENDING, {})[credential.id] = why


@event.listens_for(Session, "after_commit")
def _make_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        from lms.credentials import tasks as credential_tasks

        for pk, why in pending.items():
            tasks.enqueue(credential_tasks.make_certificate_task, pk, why)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def make_certificate(credential: Credential, why: str, now: datetime) -> Certificate:
    """Draw, sign and store a new certificate; the previous one becomes superseded.

    Raises SigningUnavailable (nothing stored) when the signing key is missing or unreadable.
    """
    content = certificate_content(credential, now.date())
    pdf = sign_certificate(content)
    key = storage.put(io.BytesIO(pdf), "application/pdf", max_bytes=CERTIFICATE_MAX_BYTES,
                      filename=certificate_filename(credential))
    try:
        db.session.execute(update(Certificate).where(
            Certificate.credential_id == credential.id, Certificate.superseded_at.is_(None))
            .values(superseded_at=now))
        made = Certificate(credential_id=credential.id, storage_key=key,
                           holder_name=content.holder_name, valid_until=content.valid_until,
                           reason=why[:60], sha256=hashlib.sha256(pdf).hexdigest(),
                           size=len(pdf), created_at=now)
        db.session.add(made)
        db.session.commit()
    except Exception:
        db.session.rollback()
        storage.delete(key)
        raise
    return made


def reissue(credential: Credential, now: datetime) -> Certificate:
    """A registrar makes a fresh certificate now (e.g. after rotating the signing key)."""
    return make_certificate(credential, MADE_REISSUE, now)


def certificate_filename(credential: Credential) -> str:
    return f"{credential.credential_id}.pdf"


def ensure_certificate(credential: Credential, now: datetime) -> Certificate:
    """The current certificate, made now if there is none yet (CLI, demo)."""
    return current_certificate(credential) or make_certificate(credential, MADE_ISSUED, now)


def certificate_bytes(certificate: Certificate) -> bytes:
    with storage.open(certificate.storage_key) as stored:
        return stored.read()


def resend_certificate(credential: Credential, by: User, now: datetime) -> None:
    """E-mail the holder the link to their certificate again."""
    if credential.state == CREDENTIAL_REVOKED:
        raise Conflict(f"{credential.credential_id} is revoked: there is no certificate "
                       f"to send.")
    user = db.session.get_one(User, credential.user_id)
    programme = credits.current_programme()
    mail.queue(user.email, f"Your {programme.credential.abbreviation} certificate",
               f"Hello {user.name},\n\nYour signed certificate for credential "
               f"{credential.credential_id} is on your credential page: "
               f"{site_url(HOLDER_PATH)}\n\nAnyone can check the credential "
               f"at {verify_url(credential.credential_id)}\n", now)
    db.session.add(CredentialEvent(credential_id=credential.id, at=now, by_id=by.id,
                                   from_state=credential.state, to_state=credential.state,
                                   reason="Certificate e-mail sent again"))
    db.session.commit()


# --------------------------------------------------------------------------- cohort ZIP


def request_bundle(cohort: Cohort, by: User, now: datetime) -> CertificateBundle:
    bundle = CertificateBundle(cohort_id=cohort.id, requested_by_id=by.id, status="pending",
                               created_at=now)
    db.session.add(bundle)
    db.session.commit()
    from lms.credentials import tasks as credential_tasks

    tasks.enqueue(credential_tasks.build_bundle_task, bundle.id)
    return bundle


def bundles_of(user: User, limit: int = 20) -> list[CertificateBundle]:
    return list(db.session.scalars(select(CertificateBundle)
                                   .where(CertificateBundle.requested_by_id == user.id)
                                   .order_by(CertificateBundle.id.desc()).limit(limit)))


def get_bundle(pk: int, user: User) -> CertificateBundle:
    bundle = db.session.get(CertificateBundle, pk)
    if bundle is None or bundle.requested_by_id != user.id:
        raise NotFound("No such download.")
    return bundle


def _cohort_credentials(cohort_id: int) -> list[Credential]:
    return list(db.session.scalars(
        select(Credential).join(CohortMember, CohortMember.user_id == Credential.user_id)
        .where(CohortMember.cohort_id == cohort_id, Credential.state != CREDENTIAL_REVOKED)
        .order_by(Credential.credential_id)))


def write_bundle(credentials: Iterable[Credential], now: datetime,
                 out: io.BufferedIOBase | tempfile.SpooledTemporaryFile) -> int:  # type: ignore[type-arg]
    """Write a ZIP of the current certificates to `out`, one PDF at a time (never all in
    memory); a credential without a certificate gets one made now. Returns the count."""
    count = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for credential in credentials:
            certificate = ensure_certificate(credential, now)
            with storage.open(certificate.storage_key) as stored, \
                    archive.open(certificate_filename(credential), "w") as entry:
                while chunk := stored.read(storage.CHUNK):
                    entry.write(chunk)
            count += 1
    return count


def build_bundle(bundle_id: int, now: datetime) -> CertificateBundle:
    """The background task's work: the ZIP streamed to a temporary file, then to storage."""
    bundle = db.session.get(CertificateBundle, bundle_id)
    if bundle is None:
        raise NotFound("No such download.")
    if bundle.status != "pending":
        return bundle
    try:
        with tempfile.TemporaryFile() as spool:
            count = write_bundle(_cohort_credentials(bundle.cohort_id), now, spool)
            spool.seek(0)
            cohort = db.session.get_one(Cohort, bundle.cohort_id)
            key = storage.put(spool, "application/zip", max_bytes=BUNDLE_MAX_BYTES,
                              filename=bundle_filename(cohort))
        bundle = db.session.get_one(CertificateBundle, bundle_id)
        bundle.status, bundle.storage_key, bundle.count = "ready", key, count
        bundle.finished_at = now
    except SigningUnavailable as err:
        db.session.rollback()
        bundle = db.session.get_one(CertificateBundle, bundle_id)
        bundle.status, bundle.message, bundle.finished_at = "failed", str(err), now
    db.session.commit()
    return bundle


def bundle_filename(cohort: Cohort) -> str:
    from lms.text import slugify

    return f"certificates-{slugify(cohort.name) or cohort.id}.zip"


def issued_count() -> int:
    return db.session.scalar(select(func.count(Credential.id))) or 0


def signing_problem() -> str | None:
    """None when certificates can be signed; else the reason, in plain words."""
    from lms.credentials.signing import setup

    try:
        setup(current_app._get_current_object())  # type: ignore[attr-defined]
    except SigningUnavailable as err:
        return str(err)
    return None


def make_missing_certificates(now: datetime, limit: int = 500) -> int:
    """Make the certificate of every live credential that has none (idempotent)."""
    missing = list(db.session.scalars(
        select(Credential).where(Credential.state != CREDENTIAL_REVOKED,
                                 ~select(Certificate.id).where(
                                     Certificate.credential_id == Credential.id).exists())
        .limit(limit)))
    for credential in missing:
        make_certificate(credential, MADE_ISSUED, now)
    return len(missing)
