"""Assignment services on a real database: drafts, uploads (both storage backends),
submission, peer review, grading and release, completion, similarity, CSV and ZIP."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms import storage
from lms.assignments import services
from lms.assignments.models import Attachment, Grade, PeerReview, Submission, SubmissionVersion
from lms.courses.models import Enrolment
from lms.errors import Conflict, NotFound, PermissionDenied, ValidationError
from lms.extensions import db
from lms.mail import OutboxMessage
from tests.assignments.helpers import (
    PDF,
    PNG_BYTES,
    cohort_of,
    docx_bytes,
    enrol_all,
    install_case,
    submit_text,
    zip_bomb,
)
from tests.builders import count

MEMO = ("Riverside Flats needs a cooling network before the transit line opens, and the "
        "council should let residents decide where the first shade trees go. ")


@pytest.fixture
def setup(app, tmp_path, now, make_user):
    assignment = install_case(tmp_path, now)
    teacher = make_user("instructor", email="teach@example.org")
    learners = [make_user() for _ in range(4)]
    enrol_all(assignment, learners, now)
    return assignment, teacher, learners


def test_draft_survives_and_submit_makes_version_one(setup, now):
    assignment, _t, (ana, *_) = setup
    services.save_draft(assignment, ana, "first words", now)
    services.save_draft(assignment, ana, "first words, more", now + timedelta(minutes=1))
    sub = services.submission_of(assignment, ana)
    assert sub.status == "draft" and sub.draft_body == "first words, more"
    services.submit(assignment, ana, 0, now + timedelta(minutes=2))
    sub = services.submission_of(assignment, ana)
    assert sub.status == "in_review" and sub.version_count == 1 and sub.late_seconds == 0
    with pytest.raises(Conflict):
        services.save_draft(assignment, ana, "changed after submitting", now)
    assert services.latest_version(sub).body == "first words, more"


def test_two_tabs_submitting_make_one_submission(setup, now):
    assignment, _t, (ana, *_) = setup
    services.save_draft(assignment, ana, MEMO, now)
    services.submit(assignment, ana, 0, now)
    with pytest.raises(Conflict, match="already submitted"):
        services.submit(assignment, ana, 0, now)
    assert count(SubmissionVersion) == 1


def test_late_work_is_accepted_and_marked(setup, now):
    assignment, _t, (ana, *_) = setup
    services.save_draft(assignment, ana, MEMO, now)
    sub = services.submit(assignment, ana, 0, now + timedelta(days=16, hours=3))
    assert sub.late_seconds == (2 * 86400 + 3 * 3600)
    assert services.late_text(sub.late_seconds) == "2 days 3 hours late"


def test_an_unenrolled_learner_cannot_submit(setup, now):
    assignment, _t, (ana, *_) = setup
    services.save_draft(assignment, ana, MEMO, now)
    db.session.execute(Enrolment.__table__.delete().where(Enrolment.user_id == ana.id))
    db.session.commit()
    with pytest.raises(PermissionDenied, match="not enrolled"):
        services.submit(assignment, ana, 0, now)
    assert count(SubmissionVersion) == 0


def test_empty_work_is_refused(setup, now):
    assignment, _t, (ana, *_) = setup
    services.save_draft(assignment, ana, "   ", now)
    with pytest.raises(ValidationError, match="Write your response"):
        services.submit(assignment, ana, 0, now)


# ---------------------------------------------------------------- uploads, both backends


def test_allowed_files_are_stored_and_kept_with_the_version(setup, now, store):
    assignment, _t, (ana, *_) = setup
    services.add_attachment(assignment, ana, io.BytesIO(PDF), "../../etc/memo.pdf", now)
    services.add_attachment(assignment, ana, io.BytesIO(docx_bytes()), "memo.docx", now)
    services.add_attachment(assignment, ana, io.BytesIO(PNG_BYTES), "map.PNG", now)
    files = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [f.filename for f in files] == ["memo.pdf", "memo.docx", "map.PNG"]
    assert [f.content_type for f in files][0] == "application/pdf"
    with storage.open(files[0].storage_key) as f:
        assert f.read() == PDF
    assert len(store()) >= 3
    services.save_draft(assignment, ana, MEMO, now)
    sub = services.submit(assignment, ana, 0, now)
    version = services.latest_version(sub)
    assert [a.filename for a in version.attachments] == ["memo.pdf", "memo.docx", "map.PNG"]


@pytest.mark.parametrize("name,data,message", [
    ("memo.pdf", b"MZ\x90\x00 an exe renamed", "is not a PDF"),
    ("memo.docx", b"PK\x03\x04 not really a zip", "is not a Word document"),
    ("memo.docx", None, "ZIP bomb"),
    ("memo.pdf", b"", "is empty"),
    ("memo.exe", b"MZ\x90\x00", "not one of the allowed"),
    ("memo.pdf", b"%PDF-" + b"0" * (2 * 2**20), "larger than"),
])
def test_refused_uploads_store_nothing(setup, now, store, name, data, message):
    assignment, _t, (ana, *_) = setup
    before = store()
    payload = zip_bomb() if data is None else data
    with pytest.raises(ValidationError, match=message):
        services.add_attachment(assignment, ana, io.BytesIO(payload), name, now)
    assert store() == before
    assert count(Attachment) == 0


def test_removing_a_draft_file_deletes_it(setup, now, store):
    assignment, _t, (ana, *_) = setup
    attachment = services.add_attachment(assignment, ana, io.BytesIO(PDF), "memo.pdf", now)
    services.remove_attachment(assignment, ana, attachment.id, now)
    assert count(Attachment) == 0
    with pytest.raises(NotFound):
        storage.open(attachment.storage_key)


# ---------------------------------------------------------------- peer review


def test_peer_reviews_come_from_the_cohort_first(setup, now, make_user):
    assignment, _t, learners = setup
    cohort_of("Spring", learners, now)
    for n, learner in enumerate(learners):
        submit_text(assignment, learner, f"{MEMO} version {n}", now + timedelta(hours=n))
    reviews = db.session.scalars(select(PeerReview)).all()
    assert reviews and not any(r.fallback for r in reviews)
    for review in reviews:
        assert review.reviewer_id != review.submission.user_id
    given = {}
    for review in reviews:
        given[review.reviewer_id] = given.get(review.reviewer_id, 0) + 1
    assert max(given.values()) <= 3
    # The last to submit is given two to review at once.
    assert given[learners[-1].id] == 2
    mails = db.session.scalars(select(OutboxMessage.subject)).all()
    assert any(s.startswith("Peer review assigned") for s in mails)


def test_a_small_cohort_falls_back_to_other_learners(setup, now):
    assignment, _t, (ana, ben, cat, dan) = setup
    cohort_of("Tiny", [ana, ben], now)
    cohort_of("Others", [cat, dan], now)
    for n, learner in enumerate((cat, dan, ben, ana)):
        submit_text(assignment, learner, f"{MEMO} {n}", now + timedelta(hours=n))
    ana_reviews = services.reviews_to_do(assignment, ana)
    assert len(ana_reviews) == 2
    assert [r.fallback for r in ana_reviews].count(True) == 1  # ben in-cohort, one outside


def test_reviews_refuse_strangers_and_missing_levels(setup, now):
    assignment, _t, (ana, ben, cat, _dan) = setup
    for n, learner in enumerate((ana, ben, cat)):
        submit_text(assignment, learner, f"{MEMO} {n}", now)
    review = services.reviews_to_do(assignment, cat)[0]
    stranger = next(u for u in (ana, ben) if u.id != review.reviewer_id
                    and u.id != review.submission.user_id)
    with pytest.raises(NotFound):
        services.submit_review(review.id, stranger, [0, 0], "good", "more", now)
    with pytest.raises(ValidationError, match="Uses evidence"):
        services.submit_review(review.id, cat, [0, None], "good", "more", now)
    with pytest.raises(ValidationError, match="strength"):
        services.submit_review(review.id, cat, [0, 1], "", "more", now)
    assert db.session.get(PeerReview, review.id).completed_at is None
    services.submit_review(review.id, cat, [0, 1], "Clear ask", "Cite the heat study", now)
    with pytest.raises(Conflict):
        services.submit_review(review.id, cat, [0, 1], "again", "again", now)


def test_authors_see_reviews_when_all_are_in_or_the_window_closes(setup, now):
    assignment, _t, (ana, ben, cat, _dan) = setup
    for n, learner in enumerate((ana, ben, cat)):
        submit_text(assignment, learner, f"{MEMO} {n}", now)
    sub = services.submission_of(assignment, cat)
    reviews = services.reviews_of(sub)
    assert len(reviews) == 2
    assert not services.reviews_visible(sub, reviews, now)
    assert services.reviews_visible(sub, reviews, now + timedelta(days=8))
    for review in reviews:
        reviewer = db.session.get(type(ana), review.reviewer_id)
        services.submit_review(review.id, reviewer, [1, 1], "Good", "Shorter", now)
    assert services.reviews_visible(sub, services.reviews_of(sub), now)
    db.session.expire_all()
    assert services.submission_of(assignment, cat).status == "submitted"  # awaits its grade


# ---------------------------------------------------------------- grading


def test_return_resubmit_pass_completes_the_course(setup, now, make_user):
    assignment, teacher, (ana, *_) = setup
    from lms.courses import services as courses
    from tests.builders import item

    enrolment = courses.get_enrolment(ana, assignment.item.course)
    courses.complete_lesson(enrolment, item("CS-1", "intro"), now)
    sub = submit_text(assignment, ana, MEMO, now)
    with pytest.raises(ValidationError, match="Choose a level"):
        services.save_grade(sub, teacher, [0, None], [], "x", "return", False, now)
    with pytest.raises(ValidationError, match="under the 70%"):
        services.save_grade(sub, teacher, [3, 3], [], "weak", "pass", False, now)
    with pytest.raises(PermissionDenied):
        services.save_grade(sub, ana, [0, 0], [], "", "pass", False, now)
    assert count(Grade) == 0
    services.save_grade(sub, teacher, [2, 2], ["More voices", "Cite data"],
                        "Revise the evidence.", "return", False, now)
    sub = services.submission_of(assignment, ana)
    assert sub.status == "returned" and sub.score == 50.0
    assert count(OutboxMessage, OutboxMessage.subject.like("Returned%")) == 1
    services.save_draft(assignment, ana, MEMO + " With the heat study's figures.", now)
    services.submit(assignment, ana, 1, now + timedelta(days=1))
    sub = services.submission_of(assignment, ana)
    assert sub.status == "resubmitted" and len(services.versions(sub)) == 2
    services.save_grade(sub, teacher, [0, 1], ["", ""], "Well done.", "pass", False, now)
    sub = services.submission_of(assignment, ana)
    assert sub.status == "passed"
    assert courses.get_enrolment(ana, assignment.item.course).completed_at is not None
    steps = [s.status for s in services.timeline(sub, assignment)]
    # Nobody else submitted, so there was no peer review step.
    assert steps == ["draft", "submitted", "graded", "returned", "resubmitted", "graded",
                     "passed"]


def test_held_grades_release_together_and_double_marks_wait(setup, now, make_user):
    assignment, teacher, (ana, ben, *_) = setup
    second = make_user("instructor", email="second@example.org")
    from lms.courses.models import CourseInstructor

    db.session.add(CourseInstructor(course_id=assignment.item.course.id,
                                    email="second@example.org"))
    db.session.commit()
    a = submit_text(assignment, ana, MEMO, now)
    b = submit_text(assignment, ben, "Different words entirely about flood walls.", now)
    services.save_grade(a, teacher, [0, 0], [], "", "pass", True, now)
    services.save_grade(b, teacher, [1, 1], [], "", "pass", True, now)
    services.save_grade(b, second, [0, 2], [], "", "pass", False, now)
    assert db.session.scalar(select(Grade).where(Grade.marker_id == second.id)).second
    assert services.submission_of(assignment, ben).status == "graded"
    report = services.release_held(assignment, teacher, now)
    assert (report.released, report.needs_choice) == (1, 1)
    assert services.submission_of(assignment, ana).status == "passed"
    chosen = db.session.scalar(select(Grade).where(Grade.marker_id == second.id))
    services.release(services.submission_of(assignment, ben), chosen.id, teacher, now)
    assert services.submission_of(assignment, ben).score == chosen.percent
    kappa = services.kappa(assignment)
    assert [k[2] for k in kappa] == [1, 1]
    assert kappa[0][1] == 1.0 or kappa[0][1] is not None


def test_queue_filters_and_neighbours(setup, now, make_user):
    assignment, teacher, learners = setup
    for n, learner in enumerate(learners):
        submit_text(assignment, learner, f"{MEMO} {n}", now + timedelta(days=15 * (n % 2)))
    everything = services.grading_queue(teacher, services.QueueFilter())
    assert everything.total == 4
    late = services.grading_queue(teacher, services.QueueFilter(late=True))
    assert late.total == 2
    services.save_grade(everything.rows[0].submission, teacher, [0, 0], [], "", "pass",
                        False, now)
    mine = services.grading_queue(teacher, services.QueueFilter(mine=True))
    assert mine.total == 3
    f = services.QueueFilter()
    middle = everything.rows[1].submission
    assert services.queue_neighbours(teacher, f, middle) == (everything.rows[0].submission.id,
                                                           everything.rows[2].submission.id)
    outsider = make_user("instructor")
    assert services.grading_queue(outsider, f).total == 0


def test_queue_page_query_count_is_constant(setup, now, count_queries):
    assignment, teacher, learners = setup
    for n, learner in enumerate(learners[:2]):
        submit_text(assignment, learner, f"{MEMO} {n}", now)
    with count_queries() as few:
        services.grading_queue(teacher, services.QueueFilter())
    for n, learner in enumerate(learners[2:]):
        submit_text(assignment, learner, f"{MEMO} more {n}", now)
    db.session.expire_all()
    with count_queries() as more:
        services.grading_queue(teacher, services.QueueFilter())
    assert few.count == more.count


# ---------------------------------------------------------------- similarity and downloads


def test_copied_work_is_flagged(setup, now):
    assignment, _t, (ana, ben, cat, _dan) = setup
    submit_text(assignment, ana, MEMO * 2, now)
    submit_text(assignment, ben, "My own memo on flood walls and the library's cooling room.",
                now)
    submit_text(assignment, cat, MEMO * 2 + " I added a sentence at the end.", now)
    a = services.submission_of(assignment, ana)
    c = services.submission_of(assignment, cat)
    assert services.flagged(c) and c.similar_to_id == a.id
    assert services.flagged(a) and a.similar_to_id == c.id
    assert not services.flagged(services.submission_of(assignment, ben))


def test_grades_csv_is_safe_from_formulas(setup, now, make_user):
    assignment, teacher, learners = setup
    evil = make_user(name="=HYPERLINK(\"http://x\")")
    enrol_all(assignment, [evil], now)
    sub = submit_text(assignment, evil, MEMO, now)
    services.save_grade(sub, teacher, [0, 1], [], "", "pass", False, now)
    rows = list(csv.reader(io.StringIO("".join(services.grades_csv(assignment)))))
    assert rows[0][-2:] == ["Centres community voice", "Uses evidence"]
    assert rows[1][0].startswith("'=")
    assert rows[1][-2:] == ["4", "3"]


def test_zip_export_has_latest_versions_and_attachments(setup, now, store):
    assignment, teacher, (ana, ben, *_) = setup
    services.add_attachment(assignment, ana, io.BytesIO(PDF), "memo.pdf", now)
    submit_text(assignment, ana, MEMO, now)
    submit_text(assignment, ben, "Ben's memo.", now)
    export = services.request_export(assignment, teacher, now)
    assert export.status == "ready"
    with storage.open(export.storage_key) as f:
        archive = zipfile.ZipFile(io.BytesIO(f.read()))
    names = archive.namelist()
    assert any(n.endswith("response-v1.md") for n in names)
    pdf = next(n for n in names if n.endswith("memo.pdf"))
    assert archive.read(pdf) == PDF
    with pytest.raises(PermissionDenied):
        services.request_export(assignment, ana, now)


def test_download_permissions(setup, now):
    assignment, teacher, (ana, ben, cat, dan) = setup
    services.add_attachment(assignment, ana, io.BytesIO(PDF), "memo.pdf", now)
    for n, learner in enumerate((ana, ben, cat)):
        submit_text(assignment, learner, f"{MEMO} {n}", now)
    attachment = db.session.scalar(select(Attachment))
    reviewer_ids = {r.reviewer_id for r in services.reviews_of(
        db.session.get(Submission, attachment.submission_id))}
    assert services.may_download(ana, attachment) == "author"
    assert services.may_download(teacher, attachment) == "grader"
    for learner in (ben, cat):
        expected = "reviewer" if learner.id in reviewer_ids else None
        assert services.may_download(learner, attachment) == expected
    assert services.may_download(dan, attachment) is None
