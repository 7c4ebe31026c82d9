"""Demo data for the case-study assignment of JC-201 (called by `flask --app wsgi demo`).

Found generically (course JC-201, its item of kind assignment), so it follows whatever the
course's rubric says. Every state of a submission is shown, through the real services:

- Grace Liu: passed (and so JC-201 complete);
- Kwame Mensah: double-marked (the instructor held a grade, the admin marked blind): waits for
  someone to choose the final mark;
- Aisha Khan: returned for revision, then resubmitted (two versions);
- Priya Raman: graded and held, to be released with the others;
- Daniel Reyes: flagged as copied from Grace's memo, returned;
- Sofia Martins: late, in peer review; Naledi Dlamini: late, reviews all in, waiting for a
  grade;
- Hannah Cohen: a draft.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from lms.assignments import rules, services
from lms.assignments.models import Assignment, Submission
from lms.auth import services as accounts
from lms.courses import services as courses
from lms.courses.models import Course, Enrolment, Item
from lms.errors import DomainError
from lms.extensions import db

MEMOS = {
    "Grace Liu": (
        "# Riverside Flats: a five-year roadmap\n\n"
        "**To:** the Riverside Flats Partnership Council\n\n"
        "Residents told the listening sessions three things: keep people in their homes, keep "
        "them cool, and keep the river out of the ground floors. The first two years should "
        "put a community land trust on the two vacant lots by the new station, open the "
        "library as a cooling centre with extended summer hours, and let the youth heat study "
        "team choose where the first 300 street trees go.\n\n"
        "Years three to five turn those pilots into rules: an anti-displacement overlay, a "
        "stormwater fee credit for green roofs, and a resident seat with a vote on every "
        "capital decision over $250,000. We will report each spring against five indicators "
        "residents picked, in English and Spanish."),
    "Kwame Mensah": (
        "Memo to the Partnership Council on the first five years.\n\n"
        "Start with decision rights. Before any money moves, the council should adopt a "
        "charter that gives the resident caucus a veto over land disposition near the transit "
        "line. Then fund three things the assembly ranked highest: flood-proofing grants for "
        "owner-occupied homes on the low streets, a shaded walking route from the senior "
        "housing to the clinic, and paid stipends for resident researchers. Measure heat-"
        "related emergency visits, rent burden and the share of decisions residents made."),
    "Aisha Khan": (
        "Roadmap memo: Riverside Flats.\n\n"
        "Phase one builds trust: monthly open meetings held in the evening at the community "
        "centre with childcare and interpretation. Phase two delivers visible wins, such as "
        "cool roofs on the elementary school and bus shelters with shade. Phase three "
        "locks in affordability with a land trust and right of first refusal for tenants."),
    "Priya Raman": (
        "Dear Council members,\n\nThis memo proposes a roadmap that treats heat and "
        "displacement as one problem. Cooling investments raise land values; without tenant "
        "protections they push out the people they were meant to protect. Pair every green "
        "investment with a protection: tree planting with a rent stabilisation pilot, the "
        "river park with a community benefits agreement, the station with inclusionary "
        "zoning. Residents will co-own the indicators and publish a plain-language report."),
    "Sofia Martins": (
        "A roadmap for Riverside Flats, written for residents first.\n\n"
        "We heard that people are tired of being asked and never answered. So year one is "
        "about closing the loop: every suggestion logged, every answer published. Then a "
        "participatory budget of $2 million over four years, decided by residents, for "
        "flood, heat and housing projects, with the Office of Planning as a partner."),
    "Naledi Dlamini": (
        "Memo: five years, four commitments.\n\n"
        "Mobility, wellbeing, belonging and prosperity frame this roadmap. The council should "
        "measure each with one number residents chose: minutes to the clinic on foot, "
        "summer nights above 25 degrees indoors, tenure of households, and local hiring on "
        "the transit build. Each has a named owner and a yearly target."),
}
RETURNED_NOTE = "Say who decides, and how residents hold the partners to account."


def _user(name: str):
    return accounts.get_user_by_email(name.lower().replace(" ", ".") + "@example.org")


def _jc201_assignment() -> Assignment | None:
    item = db.session.scalar(
        select(Item).join(Course, Course.id == Item.course_id)
        .where(Course.code == "JC-201", Item.kind == "assignment", Item.active.is_(True))
        .order_by(Item.position).limit(1))
    if item is None:
        return None
    try:
        return services.assignment_for_item(item)
    except Exception:  # noqa: BLE001 - not imported: nothing to seed
        return None


def _levels(assignment: Assignment, best: bool) -> list[int]:
    """The top level for each criterion (best) or the one below the middle."""
    return [0 if best else min(len(c["levels"]) - 1, len(c["levels"]) // 2)
            for c in assignment.rubric]


def _submit(assignment: Assignment, user, text: str, when: datetime) -> Submission:
    submission = services.save_draft(assignment, user, text, when)
    return services.submit(assignment, user, submission.version_count, when)


def _review_all(assignment: Assignment, reviewer, when: datetime) -> None:
    for review in services.reviews_to_do(assignment, reviewer):
        if review.completed_at is None:
            services.submit_review(review.id, reviewer, _levels(assignment, True),
                                   "The memo speaks to residents, not about them.",
                                   "Add one number residents can check each year.", when)


def _decide(assignment: Assignment, levels: list[int]) -> str:
    return "pass" if rules.percent(assignment.rubric, levels) >= \
        services.passing_score(assignment) else "return"


def seed_assignments(now: datetime,
                     finish_other_items: Callable[[Any, Course, Enrolment, datetime], None],
                     ) -> None:
    """`finish_other_items(user, course, enrolment, when)` completes a course's lessons and
    quizzes (lms.demo's, which may use every feature: this package may not use quizzes)."""
    """Submissions in every state on JC-201's case study (once)."""
    assignment = _jc201_assignment()
    if assignment is None or db.session.scalar(select(Submission.id).where(
            Submission.assignment_id == assignment.id).limit(1)) is not None:
        return
    course = assignment.item.course
    instructor = accounts.get_user_by_email("instructor@example.org")
    admin = accounts.get_user_by_email("admin@example.org")
    for name in ("Sofia Martins", "Naledi Dlamini", "Hannah Cohen"):
        user = _user(name)
        if user is not None and courses.get_enrolment(user, course) is None:
            try:  # enrolled long ago, so their memos come in after the due date
                courses.enrol(user, course, now - timedelta(days=40))
            except DomainError:  # prerequisites not met in this data: leave them out
                continue
    grace = _user("Grace Liu")
    if grace is not None and (grace_enrolment := courses.get_enrolment(grace, course)) is not None:
        # Grace finishes the rest of the course first, so passing the case study completes it.
        finish_other_items(grace, course, grace_enrolment, now - timedelta(days=16))
    enrolled = {name: _user(name) for name in MEMOS | {"Daniel Reyes": ""}}
    enrolled = {name: user for name, user in enrolled.items()
                if user is not None and courses.get_enrolment(user, course) is not None}
    order = ["Grace Liu", "Kwame Mensah", "Aisha Khan", "Priya Raman", "Naledi Dlamini",
             "Daniel Reyes"]
    start = now - timedelta(days=12)
    for index, name in enumerate(order):
        if name in enrolled:
            text = MEMOS.get(name) or (MEMOS["Grace Liu"]
                                       + "\n\nI agree with this plan for the council.")
            _submit(assignment, enrolled[name], text, start + timedelta(hours=7 * index))
    for name in order:
        if name in enrolled:
            _review_all(assignment, enrolled[name], now - timedelta(days=3))
    if "Sofia Martins" in enrolled:  # her reviewers have not sent theirs yet
        _submit(assignment, enrolled["Sofia Martins"], MEMOS["Sofia Martins"],
                now - timedelta(days=2))
    marked = now - timedelta(hours=20)
    top, middle = _levels(assignment, True), _levels(assignment, False)

    def sub(name: str) -> Submission | None:
        return services.submission_of(assignment, enrolled[name]) if name in enrolled else None

    if (grace_sub := sub("Grace Liu")) is not None:
        services.save_grade(grace_sub, instructor, top, ["Residents' words carry the memo."],
                            "A clear, fundable roadmap. Passed.", "pass", False, marked)
    if (kwame := sub("Kwame Mensah")) is not None:
        services.save_grade(kwame, instructor, top, [], "Strong on decision rights.", "pass",
                            True, marked)
        second = top[:-1] + middle[-1:]
        services.save_grade(kwame, admin, second, [], "Good; measurement could be sharper.",
                            _decide(assignment, second), False, marked)
    if (aisha := sub("Aisha Khan")) is not None:
        services.save_grade(aisha, instructor, middle, [], RETURNED_NOTE, "return", False,
                            marked - timedelta(days=3))
        services.save_draft(assignment, enrolled["Aisha Khan"], MEMOS["Aisha Khan"]
                            + "\n\nDecisions: the resident caucus approves the annual "
                              "budget; partners report to the assembly every quarter.", marked)
        services.submit(assignment, enrolled["Aisha Khan"], 1, marked + timedelta(hours=2))
    if (priya := sub("Priya Raman")) is not None:
        services.save_grade(priya, instructor, top, [],
                            "Excellent pairing of investments and protections.", "pass", True,
                            marked)
    if (daniel := sub("Daniel Reyes")) is not None:
        services.save_grade(daniel, instructor, middle, [],
                            "This repeats another learner's memo almost word for word. "
                            "Write your own roadmap.", "return", False, now - timedelta(hours=2))
    if (hannah := _user("Hannah Cohen")) is not None and \
            courses.get_enrolment(hannah, course) is not None:
        services.save_draft(assignment, hannah, "# My roadmap\n\nFirst, listen. Then ...",
                            now - timedelta(hours=5))
        if "pdf" in (assignment.settings.get("attachments") or []):
            services.add_attachment(assignment, hannah, io.BytesIO(
                b"%PDF-1.4\n% Riverside Flats site notes\n"), "site-notes.pdf",
                now - timedelta(hours=5))
