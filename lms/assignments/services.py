"""Assignment rules on the database: drafts, attachments, submission, peer review, grading,
release, the grading queue, agreement, similarity and exports.

Every public function that changes state commits once (or raises a DomainError having changed
nothing); `now` is an argument. Authorisation lives here: `can_grade` (the course's instructors
and admins) and the author / reviewer checks of each function.
"""
from __future__ import annotations

import csv
import io
import random
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import IO, Any, TypeVar

from celery import shared_task
from flask import current_app
from sqlalchemy import and_, func, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, defer, selectinload

from lms import mail, storage, tasks
from lms.assignments import rules, uploads
from lms.assignments.models import (
    STATUS_LABELS,
    Assignment,
    Attachment,
    CommentBankEntry,
    Grade,
    PeerReview,
    Submission,
    SubmissionExport,
    SubmissionVersion,
)
from lms.auth.models import User
from lms.cohorts.models import CohortMember
from lms.courses import services as courses
from lms.courses.models import Course, Enrolment, Item
from lms.courses.signals import item_synced
from lms.dbtypes import rows_changed
from lms.errors import Conflict, NotFound, PermissionDenied, ValidationError
from lms.extensions import db
from lms.spreadsheet import safe_cell

MAX_BODY_CHARS = 100_000
MAX_ATTACHMENTS = 10
MAX_COMMENT_CHARS = 5_000
QUEUE_PAGE_SIZE = 50
EDITABLE = ("draft", "returned")
AWAITING_GRADE = ("submitted", "in_review", "resubmitted", "graded")



# ====================================================================== the item's settings


def _on_item_synced(item: Item, parsed=None, now=None, **_):
    if item.kind != "assignment" or parsed is None or parsed.content is None:
        return
    content = parsed.content
    assignment = db.session.scalar(select(Assignment).where(Assignment.item_id == item.id))
    if assignment is None:
        assignment = Assignment(item_id=item.id)
        db.session.add(assignment)
    assignment.prompt = content.prompt
    assignment.rubric = list(content.rubric)
    assignment.settings = {
        "due_days": content.due_days, "due": content.due, "peer_reviews": content.peer_reviews,
        "attachments": list(content.attachments), "max_upload_mb": content.max_upload_mb,
        "passing_score": content.passing_score}
    db.session.flush()


item_synced.connect(_on_item_synced)


def assignment_for_item(item: Item) -> Assignment:
    assignment = db.session.scalar(select(Assignment).where(Assignment.item_id == item.id))
    if assignment is None:
        raise NotFound("This assignment has not been imported.")
    return assignment


def get_assignment(assignment_id: int) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not assignment.item.active:
        raise NotFound("No such assignment.")
    return assignment


def course_of(assignment: Assignment) -> Course:
    return assignment.item.course


def can_grade(user, assignment: Assignment) -> bool:
    """The course's instructors and admins grade, see every submission and export."""
    return courses.can_edit(user, course_of(assignment))


def require_grader(user, assignment: Assignment) -> None:
    if not can_grade(user, assignment):
        raise PermissionDenied("Only this course's instructors grade its assignments.")


def passing_score(assignment: Assignment) -> float:
    return float(assignment.settings.get("passing_score") or 0)


def review_days() -> int:
    return int(current_app.config.get("ASSIGNMENT_REVIEW_DAYS", 7))


def similarity_threshold() -> float:
    return float(current_app.config.get("ASSIGNMENT_SIMILARITY_THRESHOLD", 0.5))


def due_at(assignment: Assignment, enrolment: Enrolment | None) -> datetime | None:
    """When work is due: the end (UTC) of the `due` date, or `due_days` after enrolment."""
    settings = assignment.settings
    if settings.get("due"):
        day = datetime.fromisoformat(settings["due"]).date()
        return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
    if settings.get("due_days") is not None and enrolment is not None:
        return enrolment.enrolled_at + timedelta(days=int(settings["due_days"]))
    return None


def late_text(seconds: int) -> str:
    """'3 days 4 hours late' style wording for a lateness in seconds ('' when on time)."""
    if seconds <= 0:
        return ""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if not days and minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return (" ".join(parts) or "under a minute") + " late"


def _link(item: Item) -> str:
    try:
        return mail.external_url("courses.item", code=item.course.code, slug=item.slug)
    except RuntimeError:  # no request and no BASE_URL (the demo command): a path will do
        return f"/courses/{item.course.code}/items/{item.slug}"


# ====================================================================== the learner's work


def submission_of(assignment: Assignment, user) -> Submission | None:
    return db.session.scalar(select(Submission).where(Submission.assignment_id == assignment.id,
                                                      Submission.user_id == user.id))


def _enrolment_or_refuse(assignment: Assignment, user) -> Enrolment:
    enrolment = courses.get_enrolment(user, course_of(assignment))
    if enrolment is None:
        raise PermissionDenied("You are not enrolled in this course, so you cannot submit work "
                               "for it.")
    return enrolment


def _editable_submission(assignment: Assignment, user, now: datetime) -> Submission:
    _enrolment_or_refuse(assignment, user)
    submission = submission_of(assignment, user)
    if submission is None:
        submission = Submission(assignment_id=assignment.id, user_id=user.id, status="draft",
                                draft_body="", created_at=now, version_count=0)
        db.session.add(submission)
        db.session.flush()
    elif submission.status not in EDITABLE:
        raise Conflict("Your work is submitted; you can revise it if it is returned to you.")
    return submission


def save_draft(assignment: Assignment, user, body: str, now: datetime) -> Submission:
    """Keep the learner's draft (autosave and the Save draft button)."""
    body = (body or "").replace("\r\n", "\n")
    if len(body) > MAX_BODY_CHARS:
        raise ValidationError(f"Your response is longer than {MAX_BODY_CHARS:,} characters.")
    try:
        submission = _editable_submission(assignment, user, now)
        submission.draft_body = body
        submission.draft_saved_at = now
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return submission


def _spool(stream: IO[bytes], max_bytes: int) -> IO[bytes]:
    """The upload copied to a temporary file (in memory while small), refused once it passes
    max_bytes: nothing of an oversize file is kept."""
    spool = tempfile.SpooledTemporaryFile(max_size=2 * 2**20)  # noqa: SIM115 - returned
    for chunk in storage._chunks(stream, max_bytes):
        spool.write(chunk)
    spool.seek(0)
    return spool


def max_upload_bytes(assignment: Assignment) -> int:
    return int(float(assignment.settings.get("max_upload_mb") or 10) * 2**20)


def add_attachment(assignment: Assignment, user, stream: IO[bytes], filename: str,
                   now: datetime) -> Attachment:
    """Attach a file to the learner's draft: allowed extension, content matching it, within
    the size limit, not empty. Refused files leave nothing behind."""
    allowed = list(assignment.settings.get("attachments") or [])
    if not allowed:
        raise ValidationError("This assignment takes no attachments.")
    submission = _editable_submission(assignment, user, now)
    drafts = db.session.execute(select(func.count()).select_from(Attachment).where(
        Attachment.submission_id == submission.id, Attachment.version_id.is_(None))).scalar_one()
    if drafts >= MAX_ATTACHMENTS:
        db.session.rollback()
        raise ValidationError(f"A submission has at most {MAX_ATTACHMENTS} files.")
    try:
        spool = _spool(stream, max_upload_bytes(assignment))
    except ValidationError:
        db.session.rollback()
        raise
    key = None
    try:
        content_type = uploads.check(spool, filename, allowed)
        name = uploads.safe_filename(filename)
        spool.seek(0, io.SEEK_END)
        size = spool.tell()
        spool.seek(0)
        key = storage.put(spool, content_type, max_bytes=max_upload_bytes(assignment),
                          filename=name)
        attachment = Attachment(submission_id=submission.id, version_id=None, storage_key=key,
                                filename=name, content_type=content_type, size=size,
                                created_at=now)
        db.session.add(attachment)
        submission.draft_saved_at = now
        db.session.commit()
    except Exception:
        db.session.rollback()
        if key is not None:
            storage.delete(key)
        raise
    finally:
        spool.close()
    return attachment


def remove_attachment(assignment: Assignment, user, attachment_id: int, now: datetime) -> None:
    submission = _editable_submission(assignment, user, now)
    attachment = db.session.scalar(select(Attachment).where(
        Attachment.id == attachment_id, Attachment.submission_id == submission.id,
        Attachment.version_id.is_(None)))
    if attachment is None:
        db.session.rollback()
        raise NotFound("No such file on your draft.")
    key = attachment.storage_key
    db.session.delete(attachment)
    shared = db.session.scalar(select(func.count()).select_from(Attachment).where(
        Attachment.storage_key == key, Attachment.id != attachment_id))
    db.session.commit()
    if not shared:
        storage.delete(key)


def draft_attachments(submission: Submission | None) -> list[Attachment]:
    if submission is None:
        return []
    return list(db.session.scalars(select(Attachment).where(
        Attachment.submission_id == submission.id, Attachment.version_id.is_(None))
        .order_by(Attachment.id)))


def submit(assignment: Assignment, user, expected_versions: int, now: datetime) -> Submission:
    """Submit the draft as a new version. `expected_versions` is the version count the page
    showed: a second tab submitting the same draft is refused (one submission)."""
    enrolment = _enrolment_or_refuse(assignment, user)
    submission = submission_of(assignment, user)
    if submission is None or submission.version_count != expected_versions:
        raise Conflict("This work was already submitted (perhaps from another tab); the page "
                       "now shows where it stands.")
    if submission.status not in EDITABLE:
        raise Conflict("Your work is submitted; you can revise it if it is returned to you.")
    files = draft_attachments(submission)
    if not submission.draft_body.strip() and not files:
        raise ValidationError("Write your response (or attach a file) before submitting.")
    first = submission.version_count == 0
    due = due_at(assignment, enrolment)
    late = max(0, int((now - due).total_seconds())) if due is not None else 0
    new_status = ("in_review" if first and assignment.settings.get("peer_reviews") else
                  "submitted" if first else "resubmitted")
    try:
        claimed = rows_changed(db.session.execute(
            update(Submission).where(Submission.id == submission.id,
                                     Submission.version_count == expected_versions,
                                     Submission.status.in_(EDITABLE))
            .values(version_count=expected_versions + 1, status=new_status, submitted_at=now,
                    late_seconds=late)
            .execution_options(synchronize_session=False)))
        if claimed != 1:
            raise Conflict("This work was already submitted (perhaps from another tab).")
        mine = rules.shingles(submission.draft_body)
        version = SubmissionVersion(submission_id=submission.id, number=expected_versions + 1,
                                    body=submission.draft_body, submitted_at=now,
                                    late_seconds=late, shingles=sorted(mine))
        db.session.add(version)
        db.session.flush()
        for attachment in files:
            attachment.version_id = version.id
        db.session.refresh(submission)
        _update_similarity(submission, mine)
        if first and assignment.settings.get("peer_reviews"):
            _assign_reviews(assignment, submission, version, now)
        db.session.commit()
    except IntegrityError as err:
        db.session.rollback()
        raise Conflict("This work was already submitted (perhaps from another tab).") from err
    except Exception:
        db.session.rollback()
        raise
    return submission


def latest_version(submission: Submission) -> SubmissionVersion | None:
    if not submission.version_count:
        return None
    return db.session.scalar(select(SubmissionVersion).where(
        SubmissionVersion.submission_id == submission.id,
        SubmissionVersion.number == submission.version_count))


def submitted_version(submission: Submission) -> SubmissionVersion:
    """The latest submitted version of work past its draft; NotFound for one never submitted."""
    version = latest_version(submission)
    if version is None:
        raise NotFound("This submission has no submitted version.")
    return version


def versions(submission: Submission) -> list[SubmissionVersion]:
    return list(db.session.scalars(
        select(SubmissionVersion).where(SubmissionVersion.submission_id == submission.id)
        .order_by(SubmissionVersion.number).options(selectinload(SubmissionVersion.attachments))))


# ====================================================================== similarity


def _latest_versions_query(assignment_id: int, *, exclude_submission: int | None = None):
    stmt = (select(SubmissionVersion.submission_id, SubmissionVersion.shingles,
                   Submission.similarity)
            .join(Submission, and_(Submission.id == SubmissionVersion.submission_id,
                                   Submission.version_count == SubmissionVersion.number))
            .where(Submission.assignment_id == assignment_id))
    if exclude_submission is not None:
        stmt = stmt.where(Submission.id != exclude_submission)
    return stmt


def _update_similarity(submission: Submission, mine: set[int]) -> None:
    """On submit (inside the caller's transaction): this submission's most similar other one,
    and the others' figures where this newcomer is now their closest match."""
    rows = db.session.execute(_latest_versions_query(
        submission.assignment_id, exclude_submission=submission.id)).all()
    others = [(sid, set(sh or [])) for sid, sh, _ in rows]
    best_id, best = rules.most_similar(mine, others)
    submission.similarity, submission.similar_to_id = round(best, 4), best_id
    current = {sid: similarity for sid, _, similarity in rows}
    for sid, theirs in others:
        score = round(rules.similarity(theirs, mine), 4)
        if score > current[sid]:  # only those the newcomer is now closest to
            db.session.execute(update(Submission).where(Submission.id == sid,
                                                        Submission.similarity < score)
                               .values(similarity=score, similar_to_id=submission.id)
                               .execution_options(synchronize_session=False))


def flagged(submission: Submission) -> bool:
    return submission.similarity >= similarity_threshold() and submission.similar_to_id is not None


# ====================================================================== peer review


def _cohort_peers(user_id: int):
    """SQL: user ids sharing a cohort with user_id."""
    mine = select(CohortMember.cohort_id).where(CohortMember.user_id == user_id)
    return select(CohortMember.user_id).where(CohortMember.cohort_id.in_(mine))


def _assign_reviews(assignment: Assignment, submission: Submission,
                    version: SubmissionVersion, now: datetime) -> None:
    """Give the newcomer N earlier submissions to review and N earlier submitters as reviewers
    (inside the caller's transaction); see :func:`lms.assignments.rules.choose`."""
    n = int(assignment.settings.get("peer_reviews") or 0)
    author = submission.user_id
    course_id = course_of(assignment).id
    enrolled = select(Enrolment.user_id).where(Enrolment.course_id == course_id)
    received = dict(db.session.execute(
        select(PeerReview.submission_id, func.count())
        .join(Submission, Submission.id == PeerReview.submission_id)
        .where(Submission.assignment_id == assignment.id)
        .group_by(PeerReview.submission_id)).all())
    rows = db.session.execute(
        select(Submission.id, Submission.user_id)
        .where(Submission.assignment_id == assignment.id, Submission.id != submission.id,
               Submission.version_count > 0, Submission.user_id.in_(enrolled)))
    others = [(sid, uid, received.get(sid, 0)) for sid, uid in rows]
    if not others:
        return
    peers = set(db.session.scalars(_cohort_peers(author)))
    in_cohort = bool(peers - {author})
    key = "mine" if in_cohort else None
    given_counts = dict(db.session.execute(
        select(PeerReview.reviewer_id, func.count()).join(Submission,
                                                          Submission.id == PeerReview.submission_id)
        .where(Submission.assignment_id == assignment.id).group_by(PeerReview.reviewer_id)).all())
    rng = random.Random(f"{assignment.id}:{submission.id}")
    by_user = {uid: sid for sid, uid, _ in others}
    reviewees = rules.choose(author, key, [
        rules.Candidate(uid, "mine" if uid in peers else None, recv)
        for _sid, uid, recv in others], n, rng)
    reviewers = rules.choose(author, key, [
        rules.Candidate(uid, "mine" if uid in peers else None, given_counts.get(uid, 0))
        for _sid, uid, _ in others], n, rng, max_load=n)
    first_versions = dict(db.session.execute(
        select(SubmissionVersion.submission_id, SubmissionVersion.id)
        .where(SubmissionVersion.submission_id.in_([by_user[p.person] for p in reviewees]),
               SubmissionVersion.number == 1)).all()) if reviewees else {}
    for pick in reviewees:
        sid = by_user[pick.person]
        db.session.add(PeerReview(submission_id=sid, version_id=first_versions[sid],
                                  reviewer_id=author, fallback=pick.fallback, assigned_at=now))
    for pick in reviewers:
        db.session.add(PeerReview(submission_id=submission.id, version_id=version.id,
                                  reviewer_id=pick.person, fallback=pick.fallback,
                                  assigned_at=now))
    db.session.flush()
    link = _link(assignment.item)
    recipients = {author: len(reviewees)} if reviewees else {}
    for pick in reviewers:
        recipients[pick.person] = recipients.get(pick.person, 0) + 1
    for person in db.session.scalars(select(User).where(User.id.in_(recipients))):
        mail.queue(person.email, f"Peer review assigned: {assignment.item.title}",
                   f"Hello {person.name},\n\nYou have been given {recipients[person.id]} "
                   f"peer submission(s) of “{assignment.item.title}” to review. The authors "
                   f"stay anonymous to you, and you to them.\n\nReview them here: {link}\n",
                   now)


def reviews_to_do(assignment: Assignment, user) -> list[PeerReview]:
    """The peer reviews assigned to the user on this assignment, open ones first."""
    return list(db.session.scalars(
        select(PeerReview).join(Submission, Submission.id == PeerReview.submission_id)
        .where(Submission.assignment_id == assignment.id, PeerReview.reviewer_id == user.id)
        .order_by(PeerReview.completed_at.is_not(None), PeerReview.id)))


def review_for(user, review_id: int) -> PeerReview:
    """The review if it is assigned to the user; NotFound otherwise (no hint whose it is)."""
    review = db.session.get(PeerReview, review_id)
    if review is None or review.reviewer_id != user.id:
        raise NotFound("No such review is assigned to you.")
    return review


def submit_review(review_id: int, user, levels: Sequence[int | None], strength: str,
                  suggestion: str, now: datetime) -> PeerReview:
    review = review_for(user, review_id)
    if review.completed_at is not None:
        raise Conflict("You have already sent this review.")
    rubric = review.submission.assignment.rubric
    try:
        marks = rules.check_marks(rubric, levels)
    except rules.MarksError as err:
        raise ValidationError(str(err)) from err
    strength, suggestion = (strength or "").strip(), (suggestion or "").strip()
    if not strength or not suggestion:
        raise ValidationError("Write one strength and one suggestion.")
    if len(strength) > MAX_COMMENT_CHARS or len(suggestion) > MAX_COMMENT_CHARS:
        raise ValidationError(f"Keep each comment under {MAX_COMMENT_CHARS:,} characters.")
    done = rows_changed(db.session.execute(
        update(PeerReview).where(PeerReview.id == review.id, PeerReview.completed_at.is_(None))
        .values(completed_at=now, levels=marks, strength=strength, suggestion=suggestion)
        .execution_options(synchronize_session=False)))
    if done != 1:
        db.session.rollback()
        raise Conflict("You have already sent this review.")
    open_reviews = db.session.scalar(select(func.count()).select_from(PeerReview).where(
        PeerReview.submission_id == review.submission_id, PeerReview.completed_at.is_(None)))
    if not open_reviews:  # every review is in: the work waits for its grade
        db.session.execute(update(Submission).where(Submission.id == review.submission_id,
                                                    Submission.status == "in_review")
                           .values(status="submitted")
                           .execution_options(synchronize_session=False))
    db.session.commit()
    db.session.refresh(review)
    return review


def reviews_of(submission: Submission) -> list[PeerReview]:
    return list(db.session.scalars(select(PeerReview).where(
        PeerReview.submission_id == submission.id).order_by(PeerReview.id)))


def reviews_visible(submission: Submission, reviews: list[PeerReview], now: datetime) -> bool:
    """Authors see their reviews when all are in or the review window has closed."""
    if not reviews:
        return False
    if all(r.completed_at is not None for r in reviews):
        return True
    first = min(r.assigned_at for r in reviews)
    return now >= first + timedelta(days=review_days())


# ====================================================================== grading


def grades_for_version(version: SubmissionVersion) -> list[Grade]:
    return list(db.session.scalars(select(Grade).where(Grade.version_id == version.id)
                                   .order_by(Grade.id)))


def save_grade(submission: Submission, marker, levels: Sequence[int | None],
               criterion_comments: list[str], overall: str, decision: str, hold: bool,
               now: datetime) -> Grade:
    """Record (or revise, until released) the marker's grade of the latest version.

    The first marker's grade is released at once unless held. A second instructor grading the
    same version marks blind and their grade is held: whoever releases picks the final one.
    """
    assignment = submission.assignment
    require_grader(marker, assignment)
    if submission.status not in AWAITING_GRADE:
        raise Conflict("This submission is not waiting for a grade.")
    rubric = assignment.rubric
    try:
        marks = rules.check_marks(rubric, levels)
    except rules.MarksError as err:
        raise ValidationError(str(err)) from err
    if decision not in ("pass", "return"):
        raise ValidationError("Choose to pass the work or return it for revision.")
    comments = [(c or "").strip() for c in (criterion_comments or [])][:len(rubric)]
    comments += [""] * (len(rubric) - len(comments))
    overall = (overall or "").strip()
    if any(len(c) > MAX_COMMENT_CHARS for c in [*comments, overall]):
        raise ValidationError(f"Keep each comment under {MAX_COMMENT_CHARS:,} characters.")
    score = rules.percent(rubric, marks)
    if decision == "pass" and score < passing_score(assignment):
        raise ValidationError(f"The rubric total is {score:g}%, under the "
                              f"{passing_score(assignment):g}% needed to pass: return it for "
                              "revision, or change the levels.")
    if decision == "return" and not overall:
        raise ValidationError("Say in the overall comment what to revise.")
    version = submitted_version(submission)
    existing = grades_for_version(version)
    mine = next((g for g in existing if g.marker_id == marker.id), None)
    if any(g.released_at is not None for g in existing):
        raise Conflict("This version's grade has been released.")
    others = [g for g in existing if g.marker_id != marker.id]
    try:
        if mine is None:
            mine = Grade(submission_id=submission.id, version_id=version.id,
                         marker_id=marker.id, created_at=now, second=bool(others))
            db.session.add(mine)
        mine.levels, mine.criterion_comments, mine.overall_comment = marks, comments, overall
        mine.total = rules.total(rubric, marks)
        mine.percent, mine.decision = score, decision
        mine.held = bool(hold or others or mine.second)
        submission.status = "graded"
        db.session.flush()
        if not mine.held:
            _release(submission, mine, marker, now)
        db.session.commit()
    except IntegrityError as err:
        db.session.rollback()
        raise Conflict("You graded this submission in another tab; reload it.") from err
    except Exception:
        db.session.rollback()
        raise
    return mine


def _release(submission: Submission, grade: Grade, actor, now: datetime) -> None:
    """Make `grade` the final one and tell the learner (inside the caller's transaction)."""
    grade.released_at, grade.released_by_id, grade.held = now, actor.id, False
    submission.score = grade.percent
    assignment = submission.assignment
    item = assignment.item
    learner = db.session.get(User, submission.user_id)
    if learner is None:  # submissions.user_id is a NOT NULL foreign key (cascade on delete)
        raise NotFound("No such learner.")
    if grade.decision == "pass":
        submission.status, submission.passed_at = "passed", now
        enrolment = courses.get_enrolment(learner, item.course)
        if enrolment is not None:
            courses.mark_item_done(enrolment, item, now)
        subject, verb = f"Passed: {item.title}", "passed"
    else:
        submission.status = "returned"
        _carry_attachments_to_draft(submission, grade.version_id, now)
        subject, verb = f"Returned for revision: {item.title}", "returned for revision"
    mail.queue(learner.email, subject,
               f"Hello {learner.name},\n\nYour work on “{item.title}” has been graded and "
               f"{verb} ({grade.percent:g}%). Read the feedback here: {_link(item)}\n", now)


def _carry_attachments_to_draft(submission: Submission, version_id: int, now: datetime) -> None:
    """A returned submission's draft starts from the returned version's files (same stored
    bytes; the version keeps its own rows)."""
    for old in db.session.scalars(select(Attachment).where(Attachment.version_id == version_id)):
        db.session.add(Attachment(submission_id=submission.id, version_id=None,
                                  storage_key=old.storage_key, filename=old.filename,
                                  content_type=old.content_type, size=old.size, created_at=now))


def release(submission: Submission, grade_id: int, actor, now: datetime) -> Grade:
    """Release the chosen grade of the latest version (a held or double-marked one)."""
    require_grader(actor, submission.assignment)
    version = latest_version(submission)
    grades = grades_for_version(version) if version is not None else []
    grade = next((g for g in grades if g.id == grade_id), None)
    if grade is None:
        raise NotFound("No such grade on the latest version.")
    if any(g.released_at is not None for g in grades):
        raise Conflict("This version's grade has already been released.")
    try:
        _release(submission, grade, actor, now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return grade


@dataclass
class ReleaseReport:
    released: int = 0
    needs_choice: int = 0


def release_held(assignment: Assignment, actor, now: datetime) -> ReleaseReport:
    """Release every held single-marked grade of the assignment together. Double-marked ones
    wait: someone has to choose which mark is final."""
    require_grader(actor, assignment)
    report = ReleaseReport()
    held = list(db.session.scalars(select(Submission).where(
        Submission.assignment_id == assignment.id, Submission.status == "graded")))
    latest = _latest_grades([s for s in held])
    try:
        for submission in held:
            grades = latest.get(submission.id, [])
            if len(grades) == 1:
                _release(submission, grades[0], actor, now)
                report.released += 1
            elif len(grades) > 1:
                report.needs_choice += 1
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report


def _latest_grades(submissions: list[Submission]) -> dict[int, list[Grade]]:
    """Grades of each submission's latest version (one query)."""
    if not submissions:
        return {}
    rows = db.session.scalars(
        select(Grade).join(SubmissionVersion, SubmissionVersion.id == Grade.version_id)
        .join(Submission, and_(Submission.id == SubmissionVersion.submission_id,
                               Submission.version_count == SubmissionVersion.number))
        .where(Submission.id.in_([s.id for s in submissions]))
        .order_by(Grade.id).options(selectinload(Grade.marker)))
    out: dict[int, list[Grade]] = {}
    for grade in rows:
        out.setdefault(grade.submission_id, []).append(grade)
    return out


def released_grade(submission: Submission) -> Grade | None:
    """The latest released grade (the feedback the learner sees)."""
    return db.session.scalar(select(Grade).where(Grade.submission_id == submission.id,
                                                 Grade.released_at.is_not(None))
                             .order_by(Grade.released_at.desc(), Grade.id.desc()).limit(1))


def released_grades(submission: Submission) -> dict[int, Grade]:
    """Released grade per version id."""
    return {g.version_id: g for g in db.session.scalars(select(Grade).where(
        Grade.submission_id == submission.id, Grade.released_at.is_not(None)))}


def kappa(assignment: Assignment) -> list[tuple[str, float | None, int]]:
    """Per criterion: (name, quadratic-weighted kappa between first and second markers, number
    of double-marked versions)."""
    first = aliased(Grade)
    second = aliased(Grade)
    pairs = [(a, b) for a, b in db.session.execute(
        select(first.levels, second.levels)
        .join(second, and_(second.version_id == first.version_id, second.second.is_(True)))
        .join(Submission, Submission.id == first.submission_id)
        .where(Submission.assignment_id == assignment.id, first.second.is_(False)))]
    values = rules.kappa_per_criterion(assignment.rubric, pairs)
    return [(c["criterion"], k, len(pairs)) for c, k in zip(assignment.rubric, values,
                                                            strict=True)]


# ====================================================================== comment bank


def comment_bank(user) -> list[CommentBankEntry]:
    return list(db.session.scalars(select(CommentBankEntry).where(
        CommentBankEntry.user_id == user.id).order_by(CommentBankEntry.text)))


def add_to_bank(user, text: str, now: datetime) -> CommentBankEntry:
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError("Write the comment to keep.")
    if len(text) > 500:
        raise ValidationError("Comments in the bank are at most 500 characters.")
    found = db.session.scalar(select(CommentBankEntry).where(
        CommentBankEntry.user_id == user.id, CommentBankEntry.text == text))
    if found is not None:
        return found
    entry = CommentBankEntry(user_id=user.id, text=text, created_at=now)
    db.session.add(entry)
    try:
        db.session.commit()
    except IntegrityError:  # saved from another tab meanwhile: keep theirs
        db.session.rollback()
        found = db.session.scalar(select(CommentBankEntry).where(
            CommentBankEntry.user_id == user.id, CommentBankEntry.text == text))
        if found is None:  # and removed again since
            raise Conflict("Your comment bank changed while saving; try again.") from None
        return found
    return entry


def remove_from_bank(user, entry_id: int) -> None:
    entry = db.session.get(CommentBankEntry, entry_id)
    if entry is None or entry.user_id != user.id:
        raise NotFound("No such comment in your bank.")
    db.session.delete(entry)
    db.session.commit()


# ====================================================================== the grading queue


@dataclass
class QueueFilter:
    course_id: int | None = None
    assignment_id: int | None = None
    cohort_id: int | None = None
    status: str | None = None
    late: bool = False
    mine: bool = False  # needs my grade
    newest_first: bool = False

    def args(self) -> dict[str, Any]:
        """The filter as query-string arguments (for links that keep it)."""
        out: dict[str, Any] = {}
        for key in ("course_id", "assignment_id", "cohort_id", "status"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.late:
            out["late"] = 1
        if self.mine:
            out["mine"] = 1
        if self.newest_first:
            out["sort"] = "newest"
        return out


@dataclass
class QueueRow:
    submission: Submission
    learner_name: str
    item_title: str
    course_code: str
    marks: list[Grade] = field(default_factory=list)  # the grades the viewer may see
    graded_by_me: bool = False
    double_marked: bool = False


@dataclass
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int


def _gradable_courses(user):
    from lms.courses.models import CourseInstructor

    stmt = select(Course.id)
    if not user.has_role("admin"):
        stmt = stmt.join(CourseInstructor, CourseInstructor.course_id == Course.id).where(
            CourseInstructor.email == user.email)
    return stmt


def _queue_assignment_ids(user, f: QueueFilter) -> list[int]:
    """The active assignments the user grades that the filter keeps (a short list)."""
    stmt = (select(Assignment.id).join(Item, Item.id == Assignment.item_id)
            .where(Item.active.is_(True), Item.course_id.in_(_gradable_courses(user))))
    if f.course_id:
        stmt = stmt.where(Item.course_id == f.course_id)
    if f.assignment_id:
        stmt = stmt.where(Assignment.id == f.assignment_id)
    return list(db.session.scalars(stmt))


def _queue_statement(user, f: QueueFilter, assignment_ids: list[int]):
    """SELECT submission ids in the filtered queue: only the submissions table (and the
    filters' own subqueries), so counting and paging use its indexes."""
    latest = aliased(SubmissionVersion)
    stmt = select(Submission.id).where(Submission.assignment_id.in_(assignment_ids),
                                       Submission.status != "draft")
    if f.cohort_id:
        stmt = stmt.where(Submission.user_id.in_(select(CohortMember.user_id).where(
            CohortMember.cohort_id == f.cohort_id)))
    if f.status:
        stmt = stmt.where(Submission.status == f.status)
    if f.late:
        stmt = stmt.where(Submission.late_seconds > 0)
    if f.mine:  # not yet graded by me in its latest version (one hashed subquery)
        mine = aliased(Submission)
        graded = (select(Grade.submission_id).join(latest, latest.id == Grade.version_id)
                  .join(mine, and_(mine.id == latest.submission_id,
                                   mine.version_count == latest.number))
                  .where(Grade.marker_id == user.id))
        stmt = stmt.where(Submission.status.in_(AWAITING_GRADE), Submission.id.not_in(graded))
    return stmt


def _order(stmt, f: QueueFilter):
    if f.newest_first:
        return stmt.order_by(Submission.submitted_at.desc(), Submission.id.desc())
    return stmt.order_by(Submission.submitted_at, Submission.id)


def grading_queue(user, f: QueueFilter, page: int = 1) -> QueuePage:
    """One page of the instructor's queue: five queries whatever the number of submissions
    (the assignments graded, the count, the page's ids, its rows, its grades)."""
    assignment_ids = _queue_assignment_ids(user, f)
    stmt = _queue_statement(user, f, assignment_ids)
    total = db.session.scalar(stmt.with_only_columns(func.count(Submission.id))) \
        if assignment_ids else 0
    pages = max(1, -(-total // QUEUE_PAGE_SIZE))
    page = min(max(1, page), pages)
    ids = list(db.session.scalars(_order(stmt, f).limit(QUEUE_PAGE_SIZE)
                                  .offset((page - 1) * QUEUE_PAGE_SIZE))) if total else []
    found = {row[0].id: row for row in db.session.execute(
        select(Submission, User.name, Item.title, Course.code)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .join(Item, Item.id == Assignment.item_id)
        .join(Course, Course.id == Item.course_id)
        .join(User, User.id == Submission.user_id)
        .where(Submission.id.in_(ids)).options(defer(Submission.draft_body)))} if ids else {}
    rows = [found[i] for i in ids if i in found]
    grades = _latest_grades([r[0] for r in rows])
    out = []
    for submission, name, title, code in rows:
        marks = grades.get(submission.id, [])
        by_me = any(g.marker_id == user.id for g in marks)
        released = any(g.released_at is not None for g in marks)
        visible = marks if (by_me or released) else []
        out.append(QueueRow(submission, name, title, code, visible, by_me, len(marks) > 1))
    return QueuePage(out, total, page, pages)


def queue_neighbours(user, f: QueueFilter, submission: Submission
                     ) -> tuple[int | None, int | None]:
    """The ids before and after `submission` in the filtered, sorted queue."""
    stmt = _queue_statement(user, f, _queue_assignment_ids(user, f))
    key = tuple_(Submission.submitted_at, Submission.id)
    here = tuple_(submission.submitted_at, submission.id)
    before = stmt.where(key < here).order_by(Submission.submitted_at.desc(),
                                             Submission.id.desc()).limit(1)
    after = stmt.where(key > here).order_by(Submission.submitted_at, Submission.id).limit(1)
    prev_id, next_id = db.session.scalar(before), db.session.scalar(after)
    return (next_id, prev_id) if f.newest_first else (prev_id, next_id)


def submission_for_grader(user, submission_id: int) -> Submission:
    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.status == "draft":
        raise NotFound("No such submission.")
    require_grader(user, submission.assignment)
    return submission


def gradable_assignments(user) -> list[tuple[Assignment, Item, Course]]:
    return [(assignment, item, course) for assignment, item, course in db.session.execute(
        select(Assignment, Item, Course).join(Item, Item.id == Assignment.item_id)
        .join(Course, Course.id == Item.course_id)
        .where(Item.active.is_(True), Course.id.in_(_gradable_courses(user)))
        .order_by(Course.code, Item.position))]


# ====================================================================== the learner's timeline


@dataclass
class TimelineStep:
    status: str
    label: str
    at: datetime | None
    note: str = ""


def timeline(submission: Submission | None, assignment: Assignment) -> list[TimelineStep]:
    """What happened to the learner's work, in order (released grades only)."""
    if submission is None:
        return []
    steps = [TimelineStep("draft", STATUS_LABELS["draft"], submission.created_at)]
    released = released_grades(submission)
    reviews = reviews_of(submission)
    for version in versions(submission):
        status = "submitted" if version.number == 1 else "resubmitted"
        steps.append(TimelineStep(status, f"{STATUS_LABELS[status]} (version {version.number})",
                                  version.submitted_at, late_text(version.late_seconds)))
        if version.number == 1 and reviews:
            done = sum(1 for r in reviews if r.completed_at is not None)
            steps.append(TimelineStep("in_review", STATUS_LABELS["in_review"],
                                      version.submitted_at, f"{done} of {len(reviews)} reviews in"))
        grade = released.get(version.id)
        if grade is not None:
            steps.append(TimelineStep("graded", "Graded", grade.released_at,
                                      f"{grade.percent:g}%"))
            outcome = "passed" if grade.decision == "pass" else "returned"
            steps.append(TimelineStep(outcome, STATUS_LABELS[outcome], grade.released_at))
    return steps


# ====================================================================== downloads


def may_download(user, attachment: Attachment) -> str | None:
    """How the user may download the file: 'author', 'reviewer' (shown without the author's
    name), 'grader'; None when they may not."""
    submission = db.session.get(Submission, attachment.submission_id)
    if submission is None:
        return None
    if submission.user_id == user.id:
        return "author"
    if can_grade(user, submission.assignment):
        return "grader"
    if attachment.version_id is not None and db.session.scalar(select(PeerReview.id).where(
            PeerReview.submission_id == submission.id, PeerReview.reviewer_id == user.id,
            PeerReview.version_id == attachment.version_id)):
        return "reviewer"
    return None


def attachment_for(user, attachment_id: int) -> tuple[Attachment, str]:
    """The attachment and how the user may download it; NotFound when they may not."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or (how := may_download(user, attachment)) is None:
        raise NotFound("No such file.")
    return attachment, how


def anonymous_name(attachment: Attachment, index: int) -> str:
    ext = uploads.extension_of(attachment.filename)
    return f"peer-submission-file-{index}" + (f".{ext}" if ext else "")


CSV_FIXED = ["Learner", "E-mail", "Status", "Version", "Submitted", "Late", "Total",
             "Percent", "Decision", "Marker", "Released", "Similarity"]


def grades_csv(assignment: Assignment) -> Iterator[str]:
    """The assignment's grades as CSV lines: one row per submitted learner, their final (or
    latest) grade with each criterion's points. Cells are safe from formula injection."""
    rubric = assignment.rubric
    header = CSV_FIXED + [c["criterion"] for c in rubric]
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(row: list[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(v) for v in row])
        return buffer.getvalue()

    yield line(header)
    stmt = (select(Submission, User).join(User, User.id == Submission.user_id)
            .where(Submission.assignment_id == assignment.id, Submission.version_count > 0)
            .order_by(User.name, Submission.id))
    for chunk in _batched(db.session.execute(stmt).all(), 500):
        grades = _latest_grades([s for s, _ in chunk])
        for submission, learner in chunk:
            marks = grades.get(submission.id, [])
            final = next((g for g in marks if g.released_at), marks[0] if marks else None)
            points = rules.points_for(rubric, final.levels) if final and \
                len(final.levels) == len(rubric) else [""] * len(rubric)
            yield line([learner.name, learner.email, STATUS_LABELS[submission.status],
                        submission.version_count, submission.submitted_at.isoformat()
                        if submission.submitted_at else "", late_text(submission.late_seconds),
                        final.total if final else "", final.percent if final else "",
                        final.decision if final else "",
                        final.marker.name if final and final.marker else "",
                        "yes" if final and final.released_at else "no",
                        f"{submission.similarity:.2f}", *points])


_Row = TypeVar("_Row")


def _batched(rows: Sequence[_Row], size: int) -> Iterator[Sequence[_Row]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def request_export(assignment: Assignment, actor, now: datetime) -> SubmissionExport:
    """Queue the ZIP of the assignment's latest submissions (built by a background task)."""
    require_grader(actor, assignment)
    export = SubmissionExport(assignment_id=assignment.id, requested_by_id=actor.id,
                              status="queued", created_at=now)
    db.session.add(export)
    db.session.commit()
    export_id = export.id
    tasks.enqueue(build_export_task, export_id)
    db.session.expire_all()
    made = db.session.get(SubmissionExport, export_id)
    if made is None:  # the assignment was deleted meanwhile (its exports go with it)
        raise NotFound("No such export.")
    return made


def exports(assignment: Assignment) -> list[SubmissionExport]:
    return list(db.session.scalars(select(SubmissionExport).where(
        SubmissionExport.assignment_id == assignment.id)
        .order_by(SubmissionExport.id.desc()).limit(5)))


def _zip_name(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text).strip("-") or "x"


def build_export(export_id: int, now: datetime) -> str:
    """Write the ZIP to a temporary file (one member at a time, attachments copied in chunks:
    never the whole archive in memory), store it and mark the export ready. Idempotent."""
    export = db.session.get(SubmissionExport, export_id)
    if export is None or export.status != "queued":
        return "skipped"
    assignment = db.session.get(Assignment, export.assignment_id)
    if assignment is None:  # deleted since (its exports go with it)
        return "skipped"
    with tempfile.TemporaryFile() as out:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            rows = db.session.execute(
                select(Submission, User, SubmissionVersion)
                .join(User, User.id == Submission.user_id)
                .join(SubmissionVersion, and_(
                    SubmissionVersion.submission_id == Submission.id,
                    SubmissionVersion.number == Submission.version_count))
                .where(Submission.assignment_id == assignment.id)
                .order_by(User.name, Submission.id)).all()
            for submission, learner, version in rows:
                folder = f"{_zip_name(learner.name)}-{submission.id}/"
                archive.writestr(folder + f"response-v{version.number}.md", version.body)
                files = db.session.scalars(select(Attachment).where(
                    Attachment.version_id == version.id).order_by(Attachment.id))
                for n, attachment in enumerate(files, start=1):
                    target = folder + f"{n}-{_zip_name(attachment.filename)}"
                    with storage.open(attachment.storage_key) as src, \
                            archive.open(target, "w", force_zip64=True) as dst:
                        while chunk := src.read(storage.CHUNK):
                            dst.write(chunk)
        size = out.tell()
        out.seek(0)
        key = storage.put(out, "application/zip", max_bytes=size + 1,
                          filename=f"{_zip_name(assignment.item.title)}.zip")
    claimed = rows_changed(db.session.execute(
        update(SubmissionExport).where(SubmissionExport.id == export_id,
                                       SubmissionExport.status == "queued")
        .values(status="ready", storage_key=key, size=size, finished_at=now)
        .execution_options(synchronize_session=False)))
    if claimed != 1:
        db.session.rollback()
        storage.delete(key)
        return "skipped"
    db.session.commit()
    return "ready"


@shared_task(name="lms.assignments.build_export")
def build_export_task(export_id: int) -> str:
    from lms import clock

    return build_export(export_id, clock.now())


def export_for(user, export_id: int) -> tuple[SubmissionExport, str]:
    """A ready export and the storage key of its ZIP; NotFound until it is built."""
    export = db.session.get(SubmissionExport, export_id)
    if export is None or export.status != "ready" or export.storage_key is None:
        raise NotFound("No such export.")
    assignment = db.session.get(Assignment, export.assignment_id)
    if assignment is None:
        raise NotFound("No such export.")
    require_grader(user, assignment)
    return export, export.storage_key

