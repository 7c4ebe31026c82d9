"""Demo CE holders, one in every state, with believable ledgers (called by `flask demo`).

- Amara Holt: active and on track (a volunteering entry trimmed by its cap; an activity in the
  approval queue).
- Ben Carter: due in 30 days and short (90- and 60-day reminders already sent; a registrar has
  asked him for more information about an activity).
- Chioma Eze: in grace (her cycle ended unmet last month).
- Diego Alvarez: expired but still reinstatable; he met the hours and asked for reinstatement
  (in the registrar's queue).
- Elena Petrova: expired beyond the reinstatement window (must earn the credential again).
- Farah Haddad: reinstated two months ago by the registrar; her renewal is in the audit queue.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from lms.auth import services as accounts
from lms.courses.models import Course
from lms.credits import rules
from lms.credits import services as ce
from lms.credits.models import AUDIT_SUBMITTED, CeAudit, CeHolder, CeReminder, LedgerEntry
from lms.extensions import db

EVIDENCE_PDF = b"%PDF-1.4\n% Demo certificate of attendance\n%%EOF\n"

HOLDERS = [
    # email, name, organisation
    ("amara.holt@example.org", "Amara Holt", "Southside Land Trust"),
    ("ben.carter@example.org", "Ben Carter", "City of Marlow Bay Planning"),
    ("chioma.eze@example.org", "Chioma Eze", "Riverbend Community Development Corp."),
    ("diego.alvarez@example.org", "Diego Alvarez", "Alvarez Urban Design"),
    ("elena.petrova@example.org", "Elena Petrova", "Eastbrook Housing Authority"),
    ("farah.haddad@example.org", "Farah Haddad", "Greenway Community Trust"),
]


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 15, tzinfo=UTC)


def _course_entry(user, code: str, on: date) -> None:
    course = db.session.scalar(select(Course).where(Course.code == code))
    if course is None or not course.ce_hours:
        return
    db.session.add(LedgerEntry(user_id=user.id, kind="course", source=f"course:{course.id}",
                               earned_on=on, hours=Decimal(course.ce_hours),
                               category=course.ce_category or "practice",
                               activity_type="course", title=course.title,
                               provider="Just Communities", course_code=course.code,
                               created_at=_at(on)))


def _roster(rows: list[tuple[str, str, str, float, str, date, str]], registrar,
            today: date) -> None:
    lines = ["email,activity,provider,hours,category,completed_on,type"]
    lines += [f"{e},{a},{p},{h},{c},{d.isoformat()},{t}" for e, a, p, h, c, d, t in rows]
    result = ce.import_roster("\n".join(lines) + "\n", registrar, today, _at(today))
    if result.errors:  # pragma: no cover - the demo's own data
        raise RuntimeError("; ".join(result.errors))


def seed_ce(now: datetime, password: str, registrar,
            issue_credential: Callable[..., object]) -> list[str]:
    """Seed the CE holders (idempotent); returns their e-mail addresses.

    `issue_credential(user, issued_on, reason, registrar, now)` is the credentials feature's
    issue service, handed down by lms.demo (credits sits below credentials)."""
    today = now.date()
    emails = [e for e, _, _ in HOLDERS]
    if accounts.get_user_by_email(emails[0]) is not None:
        return emails
    users = {}
    for email, name, org in HOLDERS:
        user = accounts.create_user(email, name, "learner", password, now - timedelta(days=1200))
        accounts.update_profile(user, {"organisation": org})
        users[email.split(".")[0]] = user
    add = rules.add_months
    # earned dates put each holder in the state the docstring names
    earned = {
        "amara": today - timedelta(days=400),
        "ben": add(today, -24) + timedelta(days=30),
        "chioma": add(today, -24) - timedelta(days=35),
        "diego": add(today, -30) - timedelta(days=120),
        "elena": add(today, -42) - timedelta(days=90),
        "farah": add(today, -34),
    }
    for key, user in users.items():
        issue_credential(user, earned[key], "Passed the AP exam", registrar, now)
    rows = []

    def row(key, activity, provider, hours, category, on, kind="convening"):
        rows.append((users[key].email, activity, provider, hours, category, on, kind))

    # Amara: on track
    a = earned["amara"]
    _course_entry(users["amara"], "JC-201", a + timedelta(days=40))
    row("amara", "Equity in Land Use academy", "PSE", 6, "racial-equity", a + timedelta(days=90))
    row("amara", "Resilience hubs webinar", "PSE", 1.5, "climate-resilience",
        a + timedelta(days=150))
    row("amara", "Community garden build days", "Southside Land Trust", 10, "practice",
        a + timedelta(days=200), "volunteering")
    # Ben: due in 30 days, short (no Racial Equity yet)
    b = earned["ben"]
    _course_entry(users["ben"], "JC-201", b + timedelta(days=60))
    row("ben", "Flood-safe streets circle", "PSE", 3, "climate-resilience", b + timedelta(days=300))
    row("ben", "Collective impact governance course", "Tamarack Institute", 5,
        "collective-impact", b + timedelta(days=500), "allied-course")
    # Chioma: in grace, short
    c = earned["chioma"]
    _course_entry(users["chioma"], "JC-101", c + timedelta(days=30))
    row("chioma", "Annual convening 2025", "PSE", 8, "practice", c + timedelta(days=380))
    row("chioma", "Mentoring two new APs", "Riverbend CDC", 4, "practice",
        c + timedelta(days=600), "mentoring")
    # Diego: met the hours late, asks to be reinstated
    d = earned["diego"]
    _course_entry(users["diego"], "JC-101", d + timedelta(days=20))
    _course_entry(users["diego"], "JC-201", d + timedelta(days=200))
    row("diego", "ASLA credits: equitable parks design", "ASLA", 6, "practice",
        add(d, 24) + timedelta(days=250), "professional-credit")
    row("diego", "Climate adaptation studio", "Georgia Tech", 6, "climate-resilience",
        add(d, 24) + timedelta(days=260), "allied-course")
    row("diego", "Racial Equity in Planning academy", "PSE", 6, "racial-equity",
        add(d, 24) + timedelta(days=270))
    # Elena: expired, little recorded
    e = earned["elena"]
    row("elena", "Just Communities intro webinar", "PSE", 2, "racial-equity",
        e + timedelta(days=100))
    # Farah: met her first cycle in the reinstatement window, reinstated 60 days ago
    f = earned["farah"]
    _course_entry(users["farah"], "JC-101", f + timedelta(days=30))
    _course_entry(users["farah"], "JC-201", f + timedelta(days=300))
    row("farah", "Greenway equity toolkit (co-author)", "Greenway Community Trust", 8,
        "racial-equity", f + timedelta(days=500), "authorship")
    row("farah", "Regional resilience summit", "PSE", 6, "climate-resilience",
        today - timedelta(days=100))
    row("farah", "Circle on participatory budgeting", "PSE", 4, "collective-impact",
        today - timedelta(days=80))
    db.session.commit()
    _roster(rows, registrar, today)

    # activities: one in the queue, one waiting for the holder's answer
    ce.report_activity(users["amara"], ce.ActivityInput(
        "Anti-displacement strategies workshop", "Urban Land Institute",
        today - timedelta(days=12), "3", "racial-equity", "allied-course",
        "A day-long workshop on community land trusts and right-to-return policies."),
        _pdf(), "ULI-certificate.pdf", today, now - timedelta(days=10))
    question = ce.report_activity(users["ben"], ce.ActivityInput(
        "Neighbourhood walk audits", "Marlow Bay Residents", today - timedelta(days=20), "4",
        "practice", "volunteering", "", "https://example.org/walk-audits"),
        None, "", today, now - timedelta(days=15))
    ce.request_information(question, registrar, "Who organised the walk audits, and was it "
                                                "part of a registered project?",
                           now - timedelta(days=5))
    # Ben's earlier reminders were sent by the daily sweep
    ben_end = add(earned["ben"], 24)
    for days in (90, 60):
        db.session.add(CeReminder(user_id=users["ben"].id, cycle=0, days=days,
                                  on=ben_end - timedelta(days=days), sent=True))
    db.session.commit()
    # Diego asks to be reinstated; Farah was reinstated 60 days ago and drawn for audit
    ce.renew(users["diego"], True, today - timedelta(days=3), now - timedelta(days=3))
    asked = today - timedelta(days=60)
    renewal = ce.renew(users["farah"], True, asked, _at(asked))
    ce.decide_reinstatement(renewal, registrar, True, "Hours verified.", asked, _at(asked))
    if db.session.scalar(select(CeAudit).where(CeAudit.renewal_id == renewal.id)) is None:
        db.session.add(CeAudit(renewal_id=renewal.id, user_id=renewal.user_id,
                               status=AUDIT_SUBMITTED, drawn_at=_at(asked),
                               holder_note="Toolkit PDF and the publisher's letter attached."))
        db.session.commit()
    audit = db.session.scalar(select(CeAudit).where(CeAudit.renewal_id == renewal.id))
    assert audit is not None
    ce.submit_audit_evidence(audit, users["farah"], _pdf(), "greenway-toolkit-letter.pdf",
                             "Toolkit and the publisher's letter attached.", now)
    ce.sweep(today, now)
    chioma = db.session.get(CeHolder, users["chioma"].id)
    assert chioma is not None and chioma.state == "grace"
    return emails


def _pdf():
    import io

    return io.BytesIO(EVIDENCE_PDF)
