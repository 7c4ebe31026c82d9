"""Assignment pages through the test client: the learner's page, uploads, peer review,
the queue and grade page, release, CSV and ZIP downloads, who may download what."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.assignments import services
from lms.assignments.models import Attachment, Grade, PeerReview, Submission
from lms.courses.models import CourseInstructor
from lms.extensions import db
from tests.assignments.helpers import PDF, enrol_all, install_case, submit_text
from tests.builders import client_for, count, text_of

MEMO = "Riverside Flats needs shade, cooling rooms and a council where residents decide. " * 3


@pytest.fixture
def case(app, tmp_path, now, make_user):
    app.config["FROZEN_NOW"] = now
    assignment = install_case(tmp_path, now)
    teacher = make_user("instructor", email="teach@example.org", name="Tess Teacher")
    learners = [make_user(name=f"Learner {n}") for n in range(4)]
    enrol_all(assignment, learners, now)
    return assignment, teacher, learners


def url(assignment) -> str:
    return f"/courses/{assignment.item.course.code}/items/{assignment.item.slug}"


def test_learner_writes_previews_attaches_and_submits(case, sign_in, app):
    assignment, _t, (ana, *_) = case
    c = client_for(app, sign_in, ana)
    page = text_of(c.get(url(assignment)))
    assert "Centres community voice" in page and 'id="draft-form"' in page
    preview = c.post("/assignments/preview", data={"body": "**bold** <script>x</script>"})
    assert preview.json["html"].count("<strong>bold</strong>") == 1
    assert "<script>" not in preview.json["html"]
    saved = c.post(f"/assignments/{assignment.id}/draft", data={"body": MEMO, "versions": "0"},
                   headers={"Accept": "application/json"})
    assert saved.json == {"saved": True}
    assert MEMO.strip() in text_of(c.get(url(assignment)))  # survives a reload
    up = c.post(f"/assignments/{assignment.id}/files",
                data={"file": (io.BytesIO(PDF), "memo.pdf")}, content_type="multipart/form-data",
                follow_redirects=True)
    assert "Attached memo.pdf" in text_of(up)
    bad = c.post(f"/assignments/{assignment.id}/files",
                 data={"file": (io.BytesIO(b"GIF89a"), "fake.pdf")},
                 content_type="multipart/form-data", follow_redirects=True)
    assert "is not a PDF" in text_of(bad) and count(Attachment) == 1
    done = c.post(f"/assignments/{assignment.id}/draft",
                  data={"body": MEMO, "versions": "0", "submit": "Submit"},
                  follow_redirects=True)
    assert "Submitted." in text_of(done) and "In peer review" in text_of(done)
    again = c.post(f"/assignments/{assignment.id}/draft",
                   data={"body": MEMO, "versions": "0", "submit": "Submit"},
                   follow_redirects=True)
    assert "already submitted" in text_of(again) or "is submitted" in text_of(again)
    assert db.session.scalar(select(Submission.version_count)) == 1


def test_downloads_go_to_the_author_reviewers_and_instructors_only(case, sign_in, app, now):
    assignment, teacher, (ana, ben, cat, dan) = case
    services.add_attachment(assignment, ana, io.BytesIO(PDF), "ana-smith-memo.pdf", now)
    for n, learner in enumerate((ana, ben, cat)):
        submit_text(assignment, learner, f"{MEMO} {n}", now)
    attachment = db.session.scalar(select(Attachment))
    reviewer_ids = {r.reviewer_id for r in db.session.scalars(select(PeerReview).where(
        PeerReview.submission_id == attachment.submission_id))}
    reviewer = next(u for u in (ben, cat) if u.id in reviewer_ids)
    for user, expected in ((ana, "ana-smith-memo.pdf"), (teacher, "ana-smith-memo.pdf"),
                           (reviewer, "peer-submission-file-1.pdf")):
        c = client_for(app, sign_in, user)
        hop = c.get(f"/assignments/files/{attachment.id}")
        assert hop.status_code == 302
        final = c.get(hop.headers["Location"])
        assert final.status_code == 200 and final.data == PDF
        assert final.headers["Content-Disposition"].startswith("attachment;")
        assert expected in final.headers["Content-Disposition"]
        assert final.headers["X-Content-Type-Options"] == "nosniff"
    c = client_for(app, sign_in, dan)
    assert c.get(f"/assignments/files/{attachment.id}").status_code == 404


def test_peer_review_page_is_anonymous_and_refuses_others(case, sign_in, app, now):
    assignment, _t, (ana, ben, cat, dan) = case
    for n, learner in enumerate((ana, ben, cat)):
        submit_text(assignment, learner, f"{MEMO} {n}", now)
    review = services.reviews_to_do(assignment, cat)[0]
    author = db.session.get(Submission, review.submission_id).user
    c = client_for(app, sign_in, cat)
    page = text_of(c.get(f"/assignments/reviews/{review.id}"))
    assert "Peer review" in page and author.name not in page and author.email not in page
    missing = c.post(f"/assignments/reviews/{review.id}",
                     data={"level-0": "0", "strength": "Clear", "suggestion": "Cite"})
    assert missing.status_code == 400 and "Uses evidence" in text_of(missing)
    sent = c.post(f"/assignments/reviews/{review.id}",
                  data={"level-0": "0", "level-1": "1", "strength": "Clear ask",
                        "suggestion": "Cite the study"}, follow_redirects=True)
    assert "Review sent" in text_of(sent)
    other = client_for(app, sign_in, dan)
    assert other.get(f"/assignments/reviews/{review.id}").status_code == 404
    assert other.post(f"/assignments/reviews/{review.id}",
                      data={"level-0": "0", "level-1": "0", "strength": "x",
                            "suggestion": "y"}).status_code == 404


def test_queue_grade_return_and_feedback(case, sign_in, app, now):
    assignment, teacher, (ana, ben, *_) = case
    submit_text(assignment, ana, MEMO, now)
    submit_text(assignment, ben, "Ben's memo about flood walls and bus lanes.",
                now + timedelta(days=20))
    c = client_for(app, sign_in, teacher)
    queue = text_of(c.get("/assignments/grading"))
    assert "Learner 0" in queue and "Learner 1" in queue and "late" in queue
    late_only = text_of(c.get("/assignments/grading?late=1"))
    assert "Learner 1" in late_only and "Learner 0" not in late_only
    sub = services.submission_of(assignment, ana)
    page = c.get(f"/assignments/grading/{sub.id}?late=0")
    assert page.status_code == 200 and "Next in queue" in text_of(page)
    missing = c.post(f"/assignments/grading/{sub.id}",
                     data={"level-0": "1", "decision": "return", "overall": "Revise"})
    assert missing.status_code == 400 and "Uses evidence" in text_of(missing)
    assert count(Grade) == 0
    saved = c.post(f"/assignments/grading/{sub.id}",
                   data={"level-0": "2", "level-1": "2", "comment-0": "More voices",
                         "comment-1": "", "decision": "return", "overall": "Add evidence.",
                         "bank": "Add evidence from the heat study."}, follow_redirects=True)
    assert "Grade saved" in text_of(saved)
    assert [e.text for e in services.comment_bank(teacher)] == [
        "Add evidence from the heat study."]
    entry = services.comment_bank(teacher)[0]
    assert "Manage my comment bank" in text_of(c.get(f"/assignments/grading/{sub.id}"))
    c.post(f"/assignments/grading/bank/{entry.id}/remove")
    assert services.comment_bank(teacher) == []
    learner = client_for(app, sign_in, ana)
    mine = text_of(learner.get(url(assignment)))
    assert "Returned for revision" in mine and "More voices" in mine and "Add evidence." in mine
    assert 'id="draft-form"' in mine


def test_learners_cannot_open_the_queue_and_outsiders_cannot_grade(case, sign_in, app, now,
                                                                   make_user):
    assignment, _t, (ana, *_) = case
    submit_text(assignment, ana, MEMO, now)
    sub = services.submission_of(assignment, ana)
    assert client_for(app, sign_in, ana).get("/assignments/grading").status_code == 403
    stranger = client_for(app, sign_in, make_user("instructor"))
    assert stranger.get(f"/assignments/grading/{sub.id}").status_code == 403
    assert stranger.get(f"/assignments/grading/assignment/{assignment.id}/grades.csv"
                        ).status_code == 403


def test_blind_second_marking_release_and_kappa_page(case, sign_in, app, now, make_user):
    assignment, teacher, (ana, *_) = case
    second = make_user("instructor", email="second@example.org", name="Sam Second")
    db.session.add(CourseInstructor(course_id=assignment.item.course.id,
                                    email="second@example.org"))
    db.session.commit()
    submit_text(assignment, ana, MEMO, now)
    sub = services.submission_of(assignment, ana)
    first = client_for(app, sign_in, teacher)
    first.post(f"/assignments/grading/{sub.id}", data={
        "level-0": "0", "level-1": "0", "decision": "pass", "overall": "", "hold": "1"})
    two = client_for(app, sign_in, second)
    blind = text_of(two.get(f"/assignments/grading/{sub.id}"))
    assert "You grade blind" in blind and "Tess Teacher" not in blind
    two.post(f"/assignments/grading/{sub.id}", data={
        "level-0": "1", "level-1": "0", "decision": "pass", "overall": ""})
    both = text_of(two.get(f"/assignments/grading/{sub.id}"))
    assert "Tess Teacher" in both and "Release this grade as final" in both
    grade = db.session.scalar(select(Grade).where(Grade.marker_id == teacher.id))
    two.post(f"/assignments/grading/{sub.id}/release/{grade.id}")
    assert services.submission_of(assignment, ana).status == "passed"
    overview = text_of(two.get(f"/assignments/grading/assignment/{assignment.id}"))
    assert "over 1 double-marked version" in overview


def test_csv_and_zip_downloads(case, sign_in, app, now, store):
    assignment, teacher, (ana, *_) = case
    services.add_attachment(assignment, ana, io.BytesIO(PDF), "memo.pdf", now)
    submit_text(assignment, ana, MEMO, now)
    c = client_for(app, sign_in, teacher)
    got = c.get(f"/assignments/grading/assignment/{assignment.id}/grades.csv")
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert "Learner 0" in text_of(got)
    made = c.post(f"/assignments/grading/assignment/{assignment.id}/export",
                  follow_redirects=True)
    assert "The ZIP is ready" in text_of(made)
    export = services.exports(assignment)[0]
    hop = c.get(f"/assignments/grading/exports/{export.id}")
    assert hop.status_code == 302
    learner = client_for(app, sign_in, ana)
    assert learner.get(f"/assignments/grading/exports/{export.id}").status_code == 403


def test_queue_page_queries_do_not_grow_with_submissions(case, sign_in, app, now,
                                                        count_queries, make_user):
    assignment, teacher, learners = case
    for n, learner in enumerate(learners):
        submit_text(assignment, learner, f"{MEMO} {n}", now)
    c = client_for(app, sign_in, teacher)
    c.get("/assignments/grading")
    with count_queries() as few:
        assert c.get("/assignments/grading").status_code == 200
    extra = [make_user() for _ in range(6)]
    enrol_all(assignment, extra, now)
    for n, learner in enumerate(extra):
        submit_text(assignment, learner, f"{MEMO} extra {n}", now)
    with count_queries() as more:
        assert c.get("/assignments/grading").status_code == 200
    assert more.count == few.count
