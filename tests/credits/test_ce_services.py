"""CE services on a real database (SQLite, and PostgreSQL when configured)."""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from lms.courses import services as courses
from lms.courses.models import Enrolment
from lms.courses.signals import course_completed
from lms.credentials import services as credentials
from lms.credentials.ids import is_valid_id
from lms.credentials.models import Credential
from lms.credits import rules
from lms.credits import services as ce
from lms.credits.models import (
    CeActivity,
    CeAudit,
    CeHolder,
    CeReminder,
    CeRenewal,
    LedgerEntry,
)
from lms.errors import Conflict, PermissionDenied, ValidationError
from lms.extensions import db
from lms.mail import OutboxMessage
from tests.builders import basic_course, count, course, write_tree
from tests.credits.conftest import TODAY, activity, at, evidence


def _add(user, on: date, hours, category="racial-equity", kind="roster", source=None,
         activity_type="convening"):
    entry = LedgerEntry(user_id=user.id, kind=kind, source=source or f"t:{on}:{hours}:{category}",
                        earned_on=on, hours=Decimal(str(hours)), category=category,
                        activity_type=activity_type, title="Test", created_at=at(on))
    db.session.add(entry)
    db.session.commit()
    return entry


# --------------------------------------------------------------------------- the ledger


def test_ledger_refuses_update_and_delete_in_the_database(holder):
    user = holder()
    entry = _add(user, date(2025, 6, 1), 3)
    with pytest.raises((DBAPIError, IntegrityError), match="append-only"):
        db.session.execute(update(LedgerEntry).where(LedgerEntry.id == entry.id)
                           .values(hours=Decimal(30)))
    db.session.rollback()
    with pytest.raises((DBAPIError, IntegrityError), match="append-only"):
        db.session.execute(delete(LedgerEntry).where(LedgerEntry.id == entry.id))
    db.session.rollback()
    with pytest.raises((DBAPIError, IntegrityError), match="append-only"):
        db.session.execute(text("UPDATE ce_ledger_entries SET title = 'x'"))
    db.session.rollback()
    assert db.session.get(LedgerEntry, entry.id).hours == 3


def test_reversal_and_correction_keep_history(holder, make_user):
    user, registrar = holder(), make_user("registrar")
    entry = _add(user, date(2025, 6, 1), 3)
    fixed = ce.correct_entry(entry, registrar, "roster said 3, attendance was 2", at(TODAY),
                             hours=Decimal(2))
    rows = list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.user_id == user.id)
                                   .order_by(LedgerEntry.id)))
    assert [r.kind for r in rows] == ["roster", "reversal", "correction"]
    assert rows[1].reverses_id == entry.id and rows[1].created_by_id == registrar.id
    assert [e.id for e in ce.effective(rows)] == [fixed.id]
    with pytest.raises(Conflict):
        ce.reverse_entry(entry, registrar, "again", at(TODAY))
    with pytest.raises(ValidationError):
        ce.reverse_entry(fixed, registrar, "  ", at(TODAY))


# --------------------------------------------------------------------------- courses


def test_course_completion_adds_hours_exactly_once(app, make_user, tmp_path, now):
    root = write_tree(tmp_path / "courses", {"c1": basic_course("C-1", ce_hours=2.5)})
    app.config["COURSES_DIR"] = str(root)
    courses.import_courses(root, now)
    user = make_user()
    enrolment = courses.enrol(user, course("C-1"), now)
    enrolment.completed_at = now
    for _ in range(3):  # re-completion, a second worker: never twice
        course_completed.send(enrolment, now=now)
    db.session.commit()
    rows = list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.user_id == user.id)))
    assert [(r.kind, r.hours, r.category, r.course_code) for r in rows] == [
        ("course", Decimal("2.5"), "equity", "C-1")]
    duplicate = LedgerEntry(user_id=user.id, kind="course", source=rows[0].source,
                            earned_on=now.date(), hours=1, category="equity",
                            activity_type="course", title="x", created_at=now)
    db.session.add(duplicate)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert count(Enrolment) == 1


# --------------------------------------------------------------------------- credentials


def test_issue_allocates_serials_and_starts_the_cycle(holder):
    first, second = holder(date(2025, 3, 15)), holder(date(2025, 4, 1))
    ids = list(db.session.scalars(select(Credential.credential_id).order_by(Credential.id)))
    assert ids[0].startswith("JCAP-2025-000001-") and ids[1].startswith("JCAP-2025-000002-")
    assert all(is_valid_id(i) for i in ids)
    assert db.session.get(CeHolder, first.id).earned_on == date(2025, 3, 15)
    with pytest.raises(Conflict):
        credentials.issue(second, date(2025, 5, 1), "again", None, at(TODAY))


# --------------------------------------------------------------------------- activities


def test_report_queue_more_information_answer_approve(holder, make_user):
    user, registrar = holder(), make_user("registrar")
    item = ce.report_activity(user, activity(), evidence(), "cert.pdf", TODAY, at(TODAY))
    assert ce.approval_queue() == [item]
    record = ce.load_record(user, TODAY)
    assert record.status.progress.pending == 3 and record.status.progress.total == 0
    ce.request_information(item, registrar, "Which session did you attend?", at(TODAY))
    assert ce.approval_queue() == [] and item.status == "info_requested"
    with pytest.raises(Conflict):
        ce.approve_activity(item, registrar, at(TODAY))
    ce.answer_activity(item, user, "The October circle.", None, "", at(TODAY))
    assert ce.approval_queue() == [item]
    entry = ce.approve_activity(item, registrar, at(TODAY))
    assert entry.hours == 3 and entry.kind == "activity"
    assert ce.load_record(user, TODAY).status.progress.total == 3
    with pytest.raises(Conflict):
        ce.approve_activity(item, registrar, at(TODAY))
    subjects = set(db.session.scalars(select(OutboxMessage.subject)))
    assert "Your CE activity was approved" in subjects


def test_reject_needs_a_reason_and_bad_input_changes_nothing(holder, make_user):
    user, registrar = holder(), make_user("registrar")
    cases = [(activity(hours="-1"), "Hours"), (activity(hours="abc"), "number"),
             (activity(category="nope"), "categories"),
             (activity(activity_type="course"), "activity types"),
             (activity(completed_on=TODAY + timedelta(days=1)), "future"),
             (activity(link="javascript:alert(1)"), "web address")]
    for data, message in cases:
        with pytest.raises(ValidationError, match=message):
            ce.report_activity(user, data, evidence(), "e.pdf", TODAY, at(TODAY))
    with pytest.raises(ValidationError, match="PDF, PNG or JPEG"):
        ce.report_activity(user, activity(), evidence(b"MZ\x90\x00 exe"), "e.pdf", TODAY,
                           at(TODAY))
    with pytest.raises(ValidationError, match="Attach evidence"):
        ce.report_activity(user, activity(), None, "", TODAY, at(TODAY))
    assert count(CeActivity) == 0
    item = ce.report_activity(user, activity(link="https://example.org/cert"), None, "", TODAY,
                              at(TODAY))
    with pytest.raises(ValidationError):
        ce.reject_activity(item, registrar, " ", at(TODAY))
    ce.reject_activity(item, registrar, "Not on a Just Communities topic.", at(TODAY))
    assert item.status == "rejected" and count(LedgerEntry) == 0


def test_non_holder_cannot_report(programme_dir, make_user):
    with pytest.raises(PermissionDenied):
        ce.report_activity(make_user(), activity(), evidence(), "e.pdf", TODAY, at(TODAY))


def test_caps_are_shown_with_the_reason(holder):
    user = holder(date(2025, 3, 15))
    for n, hours in enumerate((6, 4)):
        db.session.add(LedgerEntry(user_id=user.id, kind="roster", source=f"v{n}",
                                   earned_on=date(2025, 5, 1 + n), hours=hours,
                                   category="practice", activity_type="volunteering",
                                   title="Garden build", created_at=at(TODAY)))
    db.session.commit()
    counted = ce.load_record(user, TODAY).counted()
    trimmed = [c for c in counted.values() if c.trimmed]
    assert len(trimmed) == 1 and trimmed[0].trimmed == 2
    assert "at most 8 hours in a cycle year" in trimmed[0].reasons[0]


# --------------------------------------------------------------------------- roster


ROSTER = """email,activity,provider,hours,category,completed_on
{a},Equity academy,PSE,6,racial-equity,2026-09-10
{b},Equity academy,PSE,6,racial-equity,2026-09-10
"""


def test_roster_import_all_or_nothing(holder, make_user):
    registrar = make_user("registrar")
    a, b = holder(email="a@example.org"), holder(email="b@example.org")
    bad = ROSTER.format(a=a.email, b=b.email) + (
        "nobody@example.org,Circle,PSE,2,racial-equity,2026-09-11\n"
        f"{a.email},Circle,PSE,-2,unknown,2026-13-01\n")
    result = ce.import_roster(bad, registrar, TODAY, at(TODAY))
    assert result.added == 0 and count(LedgerEntry) == 0
    assert [e.split(":")[0] for e in result.errors] == ["line 4", "line 5"]
    assert "unknown category" in result.errors[1] and "completed_on" in result.errors[1]
    good = ROSTER.format(a=a.email, b=b.email) + f"{a.email},Equity academy,PSE,6," \
                                                 f"racial-equity,2026-09-10\n"
    result = ce.import_roster(good, registrar, TODAY, at(TODAY))
    assert (result.added, result.skipped, result.errors) == (2, 1, [])
    again = ce.import_roster(good, registrar, TODAY, at(TODAY))
    assert (again.added, again.skipped) == (0, 3) and count(LedgerEntry) == 2
    header = ce.import_roster("email,hours\nx,1\n", registrar, TODAY, at(TODAY))
    assert header.errors and header.errors[0].startswith("line 1:")


# --------------------------------------------------------------------------- renewal, audit


def _meet(user, start: date):
    _add(user, start + timedelta(days=30), 28, "practice", source="p")
    _add(user, start + timedelta(days=40), 2, "racial-equity", source="r")


def test_renewal_starts_the_next_cycle_at_the_old_end(holder):
    user = holder(date(2025, 3, 15))
    with pytest.raises(ValidationError, match="cannot renew yet"):
        ce.renew(user, True, TODAY, at(TODAY))
    _meet(user, date(2025, 3, 15))
    with pytest.raises(ValidationError, match="attest"):
        ce.renew(user, False, TODAY, at(TODAY))
    ce.renew(user, True, TODAY, at(TODAY))
    status = ce.load_record(user, TODAY).status
    assert status.cycle.index == 1 and status.cycle.start == date(2027, 3, 15)
    assert status.state is rules.State.ACTIVE
    with pytest.raises(ValidationError):
        ce.renew(user, True, TODAY, at(TODAY))


def test_reinstatement_needs_a_registrar(holder, make_user):
    registrar = make_user("registrar")
    user = holder(date(2023, 6, 10))  # cycle ended 2025-06-10, grace ended 2025-12-10
    _meet(user, date(2023, 6, 10))
    renewal = ce.renew(user, True, TODAY, at(TODAY))
    assert renewal.status == "pending" and renewal.reinstated
    assert ce.load_record(user, TODAY).status.state is rules.State.REINSTATABLE
    assert ce.reinstatement_queue() == [renewal]
    ce.decide_reinstatement(renewal, registrar, True, "", TODAY, at(TODAY))
    status = ce.load_record(user, TODAY).status
    assert status.state is rules.State.ACTIVE and status.cycle.start == date(2025, 6, 10)
    assert db.session.get(CeHolder, user.id).state == "active"


def test_failed_audit_reverses_self_reported_hours(holder, make_user):
    registrar = make_user("registrar")
    user = holder(date(2025, 3, 15))
    _add(user, date(2025, 5, 1), 20, "practice", source="course", kind="course",
         activity_type="course")
    report = ce.report_activity(user, activity(hours="10", completed_on=date(2025, 6, 1)),
                                evidence(), "c.pdf", TODAY, at(TODAY))
    ce.approve_activity(report, registrar, at(TODAY))
    ce.current_app.config["CE_AUDIT_RATE"] = 1.0  # draw every renewal
    renewal = ce.renew(user, True, TODAY, at(TODAY))
    audit = db.session.scalar(select(CeAudit).where(CeAudit.renewal_id == renewal.id))
    assert ce.audit_queue() == [audit]
    ce.submit_audit_evidence(audit, user, evidence(), "proof.pdf", "All certificates",
                             at(TODAY))
    ce.decide_audit(audit, registrar, False, "The certificates do not match.", TODAY,
                    at(TODAY))
    rows = list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.user_id == user.id)))
    assert [r.kind for r in rows].count("reversal") == 1
    status = ce.load_record(user, TODAY).status
    assert status.cycle.index == 0 and status.progress.total == 20 and not status.progress.met
    assert db.session.get(CeRenewal, renewal.id).status == "revoked"


def test_audit_draw_is_reproducible(holder, programme_dir):
    programme_dir.config["CE_AUDIT_SEED"] = "seed-2026"
    drawn = [rules.drawn_for_audit("seed-2026", f"{n}:0", 0.05) for n in range(2000)]
    assert 50 < sum(drawn) < 150
    assert drawn == [rules.drawn_for_audit("seed-2026", f"{n}:0", 0.05) for n in range(2000)]


# --------------------------------------------------------------------------- sweep


def test_sweep_is_idempotent_and_reminds_once(holder):
    user = holder(date(2025, 3, 15))
    day = date(2027, 3, 15) - timedelta(days=90)
    first = ce.sweep(day, at(day))
    assert first.reminders_sent == 1
    again = ce.sweep(day, at(day))
    assert (again.changed, again.reminders_sent, again.reminders_skipped) == (0, 0, 0)
    assert count(CeReminder) == 1
    mails = list(db.session.scalars(select(OutboxMessage.body).where(
        OutboxMessage.recipient == user.email, OutboxMessage.subject.like("CE reminder%"))))
    assert len(mails) == 1 and "30 more hours, 2 of them Racial Equity" in mails[0]


def test_two_simulated_years_of_daily_sweeps(holder, programme_dir):
    """A few hundred holders, two years of daily sweeps: every reminder exactly once, every
    state equal to the pure computation."""
    rng = random.Random(11)
    start = date(2024, 6, 1)
    programme = ce.current_programme()
    users = []
    for n in range(200):
        earned = start - timedelta(days=rng.randrange(0, 900))
        user = holder(earned, email=f"h{n}@example.org")
        users.append(user)
        for k in range(rng.randrange(0, 6)):
            on = earned + timedelta(days=rng.randrange(0, 800))
            if on <= TODAY:
                _add(user, on, rng.choice([2, 4, 8]), rng.choice(["racial-equity", "practice"]),
                     source=f"s{k}")
    day, end = start, start + timedelta(days=730)
    while day < end:
        ce.sweep(day, at(day))
        day += timedelta(days=1)
    last = end - timedelta(days=1)
    reminders = list(db.session.execute(select(CeReminder.user_id, CeReminder.cycle,
                                               CeReminder.days)))
    assert max(Counter(reminders).values()) == 1
    for user in users:
        h = db.session.get(CeHolder, user.id)
        plain = ce.rules_holder(h, [])
        state, cycle = rules.holder_state(programme, plain, last)
        assert (h.state, h.state_cycle) == (state.value, cycle.index)
        # every reminder sent or skipped was due by the pure rules, replayed day by day
        entries = ce.rule_entries(db.session.scalars(select(LedgerEntry).where(
            LedgerEntry.user_id == user.id)))
        expected, sent = set(), frozenset()
        d = start
        while d < end:
            due = rules.due_reminders(programme, plain, entries, d, sent)
            sent = sent | {r.key for r in due}
            d += timedelta(days=1)
        expected = set(sent)
        assert {(c, days) for uid, c, days in reminders if uid == user.id} == expected


def test_sweep_mails_the_move_to_grace_with_what_is_missing(holder):
    user = holder(date(2025, 3, 15))
    _add(user, date(2025, 6, 1), 20, "practice")
    report = ce.sweep(date(2027, 3, 15), at(date(2027, 3, 15)))
    assert report.changed == 1
    assert db.session.get(CeHolder, user.id).state == "grace"
    body = db.session.scalar(select(OutboxMessage.body).where(
        OutboxMessage.subject.like("%grace period%")))
    assert "still missing 10 more hours, 2 of them Racial Equity, by 14 September 2027" in body


def test_concurrent_issues_take_different_serials(holder, make_user, app):
    """Eight threads, each its own session, issue at once: eight distinct serials."""
    import threading

    users = [make_user(email=f"c{n}@example.org") for n in range(8)]
    holder(date(2025, 1, 2))  # the year's counter row exists
    barrier = threading.Barrier(len(users))
    errors: list[BaseException] = []

    def issue(user_id: int) -> None:
        with app.app_context():
            try:
                from lms.auth.models import User

                barrier.wait()
                credentials.issue(db.session.get(User, user_id), date(2025, 5, 1), "exam",
                                  None, at(TODAY))
            except BaseException as err:  # noqa: BLE001 - reported below
                errors.append(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue, args=(u.id,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    retried = [e for e in errors if "locked" in str(e)]  # SQLite: one writer at a time
    assert len(errors) == len(retried)
    serials = list(db.session.scalars(select(Credential.credential_id)))
    assert len(serials) == len(set(serials)) == 1 + len(users) - len(retried)
