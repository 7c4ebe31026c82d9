"""One populated platform for the route walks: every route parameter gets a real row.

`build_world` makes the courses (a quiz course, a case-study course, another instructor's
course), the people in every role (see `PEOPLE`), and the rows the routes point at: a quiz
attempt, a submission with an attachment, a peer review, a released grade, a comment-bank
entry, an export, a cohort, a CE holder's reported activity, an audit, a renewal and a ledger
entry. The hostile walk (tests/test_hostile_routes.py) and the security suites (tests/security/)
share it.

A new route parameter gets its value in `World.values` below (or any `<..._id>` walks with 1).
A new kind of row a route needs: make it here and put its id in `values`.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from flask import g
from flask.testing import FlaskClient
from sqlalchemy import select

from lms.assignments import services as assignments
from lms.assignments.models import Attachment, PeerReview
from lms.cohorts import services as cohorts
from lms.courses import services as courses
from lms.credentials import services as credentials
from lms.credits import services as ce
from lms.credits.models import LedgerEntry
from lms.extensions import db, limiter
from lms.quizzes.models import Attempt
from tests.assignments.helpers import PDF, PNG_BYTES, case_course
from tests.builders import course_md, item, lesson, quiz_md, quiz_of, write_course, write_tree

REPO = Path(__file__).resolve().parents[1]
CE_TODAY = date(2026, 11, 24)

#: Who walks the routes: key -> (role, what makes them that person).
PEOPLE: dict[str, tuple[str | None, str]] = {
    "anon": (None, "not signed in (a browser)"),
    "learner": ("learner", "enrolled in every course; owns the attempt, the submission and its "
                           "file, holds the credential and owns the CE activity and audit"),
    "other": ("learner", "another learner: enrolled nowhere, owns nothing"),
    "peer": ("learner", "a classmate who submitted too and peer-reviews the learner"),
    "xinst": ("instructor", "an instructor of another course only (Z-1)"),
    "inst": ("instructor", "instructor of the quiz and case-study courses (teach@example.org)"),
    "facil": ("learner", "facilitator of the world's cohort (CohortMember role 'facilitator'): "
                         "a learner account, no staff role"),
    "registrar": ("registrar", "registrar"),
    "admin": ("admin", "administrator"),
    "api": (None, "employer calling the API: anonymous, Accept: application/json"),
}


@dataclass
class World:
    clients: dict[str, FlaskClient]
    users: dict[str, object]
    values: dict[str, str]
    cohort_slug: str
    #: values that differ by route: {endpoint: {parameter: value}}
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    #: signed_in(key) -> a fresh client signed in as that person (after a sign-out)
    signed_in: Callable[[str], FlaskClient] | None = None
    #: {endpoint: put back what a request to it removed}
    after: dict[str, Callable[[], None]] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)

    def values_for(self, rule) -> dict[str, str]:
        values = dict(self.values)
        if rule.endpoint.startswith("cohorts."):
            values["slug"] = self.cohort_slug
        values.update(self.overrides.get(rule.endpoint, {}))
        return values


def client_as(app, sign_in, user=None, *, json: bool = False) -> FlaskClient:
    g.pop("_login_user", None)
    client = app.test_client()
    if json:
        client.environ_base["HTTP_ACCEPT"] = "application/json"
    if user is not None:
        sign_in(client, user)
    return client


def build_world(app, tmp_path: Path, now: datetime, make_user, sign_in,
                people: dict[str, tuple[str | None, str]] | None = None) -> World:
    people = PEOPLE if people is None else people
    app.config["FROZEN_NOW"] = now
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 to collect, as in production
    app.config["COURSES_DIR"] = str(REPO / "courses")  # the real programme, for CE
    app.config["CE_AUDIT_RATE"] = 1.0  # the renewal below is drawn for audit

    users: dict[str, object] = {}
    named = {"inst": "teach@example.org", "xinst": "other-teach@example.org"}
    for key, (role, _why) in people.items():
        if role:
            users[key] = make_user(role, email=named.get(key))
    if "inst" not in users:
        users["inst"] = make_user("instructor", email="teach@example.org")
    learner = users.get("learner") or make_user()
    peer = users.get("peer") or make_user()
    classmate = make_user(name="Classmate")

    root = tmp_path / "world-courses"
    write_course(root, quiz_md(), "Q-1")
    case = case_course("CS-1")
    case["assets/img.png"] = PNG_BYTES
    case["01-intro.md"] = lesson("Introduction", "![Shade map](assets/img.png)")
    write_tree(root, {"cs-1": case,
                      "z-1": {"course.md": course_md("Z-1", instructors=[
                          "other-teach@example.org"]),
                              "01-welcome.md": lesson("Welcome")}})
    courses.import_courses(root, now)
    quiz = quiz_of("Q-1")
    case_item = item("CS-1", "case")
    assignment = assignments.assignment_for_item(case_item)
    teacher = users["inst"]

    # a revision beyond the imported one, and an unpublished draft (history, draft pages)
    intro = item("CS-1", "intro")
    courses.publish_source(intro, lesson("Introduction", "![Shade map](assets/img.png) Again."),
                           teacher, now)
    courses.save_draft(intro, lesson("Introduction", "Draft text."), teacher, now)

    for who in (learner, peer, classmate):
        for code in ("Q-1", "CS-1", "Z-1"):
            courses.enrol(who, _course(code), now)
    c = client_as(app, sign_in, learner)
    c.post(f"/quiz/{quiz.id}/start")
    attempt_id = db.session.scalar(select(Attempt.id).where(Attempt.user_id == learner.id))

    assignments.add_attachment(assignment, learner, io.BytesIO(PDF), "memo.pdf", now)
    for n, who in enumerate((learner, peer, classmate)):
        assignments.save_draft(assignment, who, f"Memo number {n} about shade and buses. " * 4,
                               now)
        sub = assignments.submission_of(assignment, who)
        assignments.submit(assignment, who, sub.version_count, now)
    submission = assignments.submission_of(assignment, learner)
    attachment_id = db.session.scalar(select(Attachment.id).where(
        Attachment.submission_id == submission.id))
    reviews = db.session.scalars(select(PeerReview).where(
        PeerReview.submission_id == submission.id)).all()
    review = next((r for r in reviews if r.reviewer_id == peer.id), reviews[0])
    if review.reviewer_id != peer.id:  # the peer is whoever reviews the learner
        users["peer"] = peer = db.session.get(type(learner), review.reviewer_id)
    grade = assignments.save_grade(submission, teacher, [0, 0], ["Good", "Cite"],
                                   "Well done.", "pass", True, now)
    entry = assignments.add_to_bank(teacher, "Cite your sources.", now)
    export = assignments.request_export(assignment, teacher, now)

    cohort = cohorts.create_cohort("Spring intake", "", actor=None, now=now)
    victim = make_user()  # the account admin actions in the walks act on
    cohorts.add_members(cohort, f"{learner.email}\n{victim.email}", now=now)
    if "facil" in users:
        cohorts.add_members(cohort, users["facil"].email, now=now, role="facilitator")
    spare = cohorts.create_cohort("Autumn intake", "", actor=None, now=now)  # walks delete it
    invite = cohorts.create_invite(cohort, actor=None, now=now)
    spent = cohorts.create_invite(cohort, actor=None, now=now)  # walks revoke this one
    # the cohort's board: a thread opened by the learner, a reply by the facilitator, and a
    # notification for the learner
    from lms.community import services as boards
    board_key = f"cohort:{cohort.id}"
    thread = boards.create_thread(learner, board_key, kind="question", title="Shade on Elm St",
                                  body="Where do the buses wait in the sun?", anonymous=False,
                                  now=now)
    replier = users.get("facil", learner)
    post = boards.reply(replier, thread, body="At the Elm stop; see the map.", anonymous=False,
                        quote_of_id=None, now=now)
    from lms.community import notifications
    notifications.notify([learner.id], "reply", "A reply on Shade on Elm St",
                         f"/community/threads/{thread.id}", board_key, f"world-{thread.id}", now)
    db.session.commit()
    from lms.community.notifications import Notification
    notification_id = db.session.scalar(select(Notification.id).where(
        Notification.recipient_id == learner.id))

    # CE: the learner holds the credential, reports an activity, renews and is audited
    credential = credentials.issue(learner, date(2025, 3, 15), "passed the AP exam", None, now)
    from lms.credentials.models import Certificate
    certificate_id = db.session.scalar(select(Certificate.id).where(
        Certificate.credential_id == credential.id))
    activity = ce.report_activity(learner, ce.ActivityInput(
        title="Neighbourhood equity circle", provider="PSE", completed_on=date(2026, 10, 1),
        hours="3", category="racial-equity", activity_type="convening", link=""),
        io.BytesIO(PDF), "circle.pdf", CE_TODAY, now)
    for n, (hours, category) in enumerate(((28, "practice"), (2, "racial-equity"))):
        db.session.add(LedgerEntry(user_id=learner.id, kind="roster", source=f"w{n}",
                                   earned_on=date(2025, 6, 1 + n), hours=Decimal(hours),
                                   category=category, activity_type="convening",
                                   title=f"Session {n}", created_at=now))
    db.session.commit()
    ledger_id = db.session.scalar(select(LedgerEntry.id).order_by(LedgerEntry.id))
    renewal = ce.renew(learner, True, CE_TODAY, now)
    audit = next((a for a in ce.audit_queue() if a.renewal_id == renewal.id), None)

    def signed_in(key: str) -> FlaskClient:
        limiter.reset()  # walks sign in again and again from one address
        return client_as(app, sign_in, users.get(key), json=(key == "api"))

    clients = {key: signed_in(key) for key in people}
    values = {
        "user_id": str(victim.id), "quiz_id": str(quiz.id), "attempt_id": str(attempt_id),
        "number": "1", "code": "CS-1", "slug": "intro", "path": "img.png",
        "token": "not-a-token", "filename": "css/site.css",
        "credential_pk": "1", "purpose": "revocation",
        "kind": "network", "ref": "introductions", "action": "follow",
        "assignment_id": str(assignment.id), "attachment_id": str(attachment_id),
        "submission_id": str(submission.id), "grade_id": str(grade.id),
        "entry_id": str(entry.id), "export_id": str(export.id), "review_id": str(review.id),
        "activity_id": str(activity.id), "audit_id": str(audit.id if audit else 1),
        "renewal_id": str(renewal.id),
        "credential_id": credential.credential_id,
        "list_id": credential.credential_id.rsplit("-", 2)[0],
        "invite_id": str(invite.id), "thread_id": str(thread.id), "post_id": str(post.id),
        "notification_id": str(notification_id or 1),
        "certificate_id": str(certificate_id or 1),
    }
    values["credential_pk"] = str(credential.id)
    # Other features' ids walk with ids of no real row (404s): every <..._id> gets a
    # well-formed value; any other new parameter must be given one above.
    for rule in app.url_map.iter_rules():
        for name in rule.arguments:
            if name.endswith("_id"):
                values.setdefault(name, "1")
    g.pop("_login_user", None)
    overrides = {"credits.correct": {"entry_id": str(ledger_id)},
                 "credits.holder_detail": {"user_id": str(learner.id)},
                 "courses.item": {"slug": "case"},
                 "cohorts.delete": {"slug": spare.slug},
                 "cohorts.join": {"token": invite.token},
                 "cohorts.join_post": {"token": invite.token},
                 "cohorts.revoke_invite": {"invite_id": str(spent.id)},
                 "community.moderate": {"action": "dismiss"}}
    for rule in app.url_map.iter_rules():  # the boards' pages walk the cohort's board
        if rule.endpoint.startswith("community.") and "kind" in rule.arguments:
            overrides.setdefault(rule.endpoint, {}).update(kind="cohort", ref=str(cohort.id))
    slug = cohort.slug

    spare_slug = spare.slug

    def restore_cohort() -> None:
        from lms.cohorts.models import Cohort
        again = db.session.scalar(select(Cohort).where(Cohort.slug == slug))
        if again is None:
            again = cohorts.create_cohort("Spring intake", "", actor=None, now=now)
        cohorts.add_members(again, f"{learner.email}\n{victim.email}", now=now)
        if db.session.scalar(select(Cohort).where(Cohort.slug == spare_slug)) is None:
            cohorts.create_cohort("Autumn intake", "", actor=None, now=now)

    members = {learner.id, victim.id} | ({users["facil"].id} if "facil" in users else set())

    def unjoin() -> None:  # a walk joined the cohort by its invitation: leave it again
        again = cohorts.get_cohort(slug)
        for member in cohorts.members(again):
            if member.user_id not in members:
                db.session.delete(member)
        db.session.commit()
        db.session.expire_all()

    # After a request that deletes what the next person needs: put it back.
    after = {"cohorts.delete": restore_cohort, "cohorts.remove_member": restore_cohort,
             "cohorts.join_post": unjoin}
    return World(clients=clients, after=after, users=users, values=values, cohort_slug=slug,
                 overrides=overrides, signed_in=signed_in,
                 extra={"ledger_id": ledger_id, "victim": victim, "quiz": quiz, "now": now,
                        "assignment": assignment, "cohort": cohort, "thread": thread,
                        "post": post, "credential": credential, "invite": invite})


def _course(code: str):
    from lms.courses.models import Course
    return db.session.scalar(select(Course).where(Course.code == code))
