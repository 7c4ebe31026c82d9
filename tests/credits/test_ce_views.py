"""CE pages through the test client: the holder's page, downloads, reporting, the registrar's
programme view, decisions and the roster upload; the CLI commands."""
from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from lms.credits import services as ce
from lms.credits.models import CeActivity, LedgerEntry
from lms.extensions import db
from tests.builders import count
from tests.credits.conftest import PDF, TODAY, activity, at, evidence


def _entry(user, on, hours, category="practice", source="x"):
    db.session.add(LedgerEntry(user_id=user.id, kind="roster", source=source, earned_on=on,
                               hours=Decimal(hours), category=category,
                               activity_type="convening", title=f"Session {source}",
                               created_at=at(TODAY)))
    db.session.commit()


def test_ce_page_shows_cycle_progress_chart_and_missing(client, sign_in, holder,
                                                        count_queries):
    user = holder(date(2025, 3, 15))
    for n in range(12):
        _entry(user, date(2025, 4, 1 + n), 2, source=f"s{n}")
    sign_in(client, user)
    with count_queries() as counter:
        page = client.get("/ce")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "15 March 2025" in html and "14 March 2027" in html
    assert "6 more hours, 2 of them Racial Equity, by 14 March 2027" in html
    assert "<svg" in html and 'id="ce-total-bar"' in html and "Session s11" in html
    # pinned, whatever the ledger's length: the server-side session with its user (one
    # query), the holder and five lists, and the notification bell (lms/community)
    assert counter.count == 8, counter.statements
    for n in range(12, 30):
        _entry(user, date(2025, 5, 1 + n - 12), 1, source=f"s{n}")
    with count_queries() as again:
        client.get("/ce")
    assert again.count == counter.count


def test_downloads(client, sign_in, holder):
    user = holder()
    _entry(user, date(2025, 6, 1), 3, source="=cmd")
    sign_in(client, user)
    pdf = client.get("/ce/transcript.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = client.get("/ce/transcript.csv").get_data(as_text=True)
    assert text.splitlines()[0].startswith("date,title,provider")
    ics = client.get("/ce/deadline.ics").get_data(as_text=True)
    assert "BEGIN:VEVENT" in ics and "DTSTART;VALUE=DATE:20270314" in ics


def test_non_holder_sees_an_explanation(client, sign_in, programme_dir, make_user):
    sign_in(client, make_user())
    assert "do not hold" in client.get("/ce").get_data(as_text=True)
    assert client.get("/ce/transcript.pdf").status_code == 404


def test_report_then_registrar_asks_then_approves(client, sign_in, holder, make_user, app):
    user, registrar = holder(), make_user("registrar")
    sign_in(client, user)
    response = client.post("/ce/report", data={
        "title": "Equity circle", "provider": "PSE", "completed_on": "2026-10-01",
        "hours": "3", "category": "racial-equity", "activity_type": "convening",
        "evidence": (io.BytesIO(PDF), "cert.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    item = db.session.scalar(select(CeActivity))
    bad = client.post("/ce/report", data={
        "title": "X", "provider": "PSE", "completed_on": "2026-10-01", "hours": "3",
        "category": "racial-equity", "activity_type": "convening",
        "evidence": (io.BytesIO(b"GIF89a"), "x.pdf")}, content_type="multipart/form-data")
    assert "PDF, PNG or JPEG" in bad.get_data(as_text=True) and count(CeActivity) == 1
    other = app.test_client()
    sign_in(other, registrar)
    assert "Equity circle" in other.get("/admin/ce").get_data(as_text=True)
    assert other.post(f"/admin/ce/activities/{item.id}",
                      data={"decision": "info", "note": "Which circle?"}).status_code == 302
    page = client.get("/ce").get_data(as_text=True)
    assert "Which circle?" in page
    client.post(f"/ce/activities/{item.id}/answer", data={"answer": "October"})
    other.post(f"/admin/ce/activities/{item.id}", data={"decision": "approve", "note": ""})
    assert db.session.get(CeActivity, item.id).status == "approved"
    assert "3 of 30" in client.get("/ce").get_data(as_text=True)
    # a holder cannot decide, nor answer someone else's activity
    assert client.post(f"/admin/ce/activities/{item.id}",
                       data={"decision": "approve"}).status_code == 403


def test_programme_view_filters_and_csv(client, sign_in, holder, make_user):
    holder(date(2025, 3, 15), email="due@example.org")
    holder(date(2026, 1, 10), email="new@example.org")
    sign_in(client, make_user("registrar"))
    ce.sweep(date(2026, 12, 20), at(TODAY))
    html = client.get("/admin/ce?q=due").get_data(as_text=True)
    assert "due@example.org" in html and "new@example.org" not in html
    due = client.get("/admin/ce?export=due").get_data(as_text=True)
    assert due.splitlines()[0] == "email,name,deadline,counted,missing"
    holders = client.get("/admin/ce?export=holders&state=active").get_data(as_text=True)
    assert len(holders.splitlines()) == 3
    assert client.get("/admin/ce?state=bogus").status_code == 200


def test_roster_upload_reports_bad_lines(client, sign_in, holder, make_user):
    user = holder()
    sign_in(client, make_user("registrar"))
    bad = (f"email,activity,provider,hours,category,completed_on\n"
           f"{user.email},Academy,PSE,6,racial-equity,2026-09-10\n"
           f"{user.email},Academy,PSE,lots,racial-equity,2026-09-10\n")
    html = client.post("/admin/ce/import", data={"roster": (io.BytesIO(bad.encode()), "r.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "line 3" in html and count(LedgerEntry) == 0
    good = bad.rsplit("\n", 2)[0] + "\n"
    response = client.post("/admin/ce/import",
                           data={"roster": (io.BytesIO(good.encode()), "r.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and count(LedgerEntry) == 1


def test_cli_issue_status_import_sweep(runner, programme_dir, make_user, tmp_path):
    user = make_user(email="cli@example.org")
    out = runner.invoke(args=["credentials", "issue", user.email, "--issued-on", "2025-03-15",
                              "--reason", "passed the AP exam"])
    assert out.exit_code == 0 and out.output.startswith("JCAP-2025-")
    roster = tmp_path / "r.csv"
    roster.write_text("email,activity,provider,hours,category,completed_on\n"
                      f"{user.email},Academy,PSE,6,racial-equity,2026-09-10\n"
                      f"{user.email},Academy,PSE,x,nope,2026-09-10\n")
    out = runner.invoke(args=["ce", "import", str(roster)])
    assert out.exit_code == 1 and ":line 3:" in out.output
    roster.write_text(roster.read_text().rsplit("\n", 2)[0] + "\n")
    out = runner.invoke(args=["ce", "import", str(roster)])
    assert "1 entries added, 0 already recorded" in out.output
    out = runner.invoke(args=["ce", "status", user.email, "--today", "2026-11-24"])
    data = json.loads(out.output)
    assert data["state"] == "active" and data["cycle_end"] == "2027-03-14"
    assert data["hours"] == {"racial-equity": 6.0} and data["required"]["total"] == 30.0
    assert data["missing"] == "24 more hours by 14 March 2027"
    out = runner.invoke(args=["credentials", "sweep", "--today", "2027-03-15"])
    assert "1 changed state" in out.output
    out = runner.invoke(args=["credentials", "sweep", "--today", "2027-03-15"])
    assert "0 changed state, 0 reminders sent" in out.output
    assert runner.invoke(args=["ce", "status", "nobody@example.org"]).exit_code == 1
    assert runner.invoke(args=["ce", "status", user.email, "--today", "soon"]).exit_code == 2


def test_sweep_is_a_daily_periodic_task(app):
    from lms.tasks import SCHEDULE

    assert SCHEDULE["ce: daily sweep"][0] == "lms.credits.sweep"


def test_activity_evidence_only_for_owner_and_registrar(client, sign_in, holder, make_user,
                                                       app):
    owner = holder()
    item = ce.report_activity(owner, activity(), evidence(), "c.pdf", TODAY, at(TODAY))
    sign_in(client, make_user())
    assert client.get(f"/ce/activities/{item.id}/evidence").status_code == 404
    mine = app.test_client()
    sign_in(mine, owner)
    assert mine.get(f"/ce/activities/{item.id}/evidence").status_code == 302


def test_holder_only_pages(client, sign_in, holder, make_user, app):
    from tests.auth.test_access import HOLDER_ONLY

    sign_in(client, make_user())
    assert all(client.get(url).status_code == 404 for url in HOLDER_ONLY)
    mine = app.test_client()
    sign_in(mine, holder())
    assert all(mine.get(url).status_code == 200 for url in HOLDER_ONLY)
    anonymous = app.test_client()
    assert all(anonymous.get(url).status_code == 302 for url in HOLDER_ONLY)


def test_registrar_corrects_an_entry_through_the_page(client, sign_in, holder, make_user):
    user = holder()
    _entry(user, date(2025, 6, 1), 3, source="roster-a")
    entry = db.session.scalar(select(LedgerEntry))
    sign_in(client, make_user("registrar", name="Rosa Registrar"))
    page = client.get(f"/admin/ce/holders/{user.id}").get_data(as_text=True)
    assert "Session roster-a" in page and "Record correction" in page
    p = f"e{entry.id}-"
    client.post(f"/admin/ce/entries/{entry.id}/correct",
                data={p + "action": "correct", p + "hours": "2", p + "category": "",
                      p + "reason": "Left at the break"})
    kinds = [e.kind for e in db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))]
    assert kinds == ["roster", "reversal", "correction"]
    page = client.get(f"/admin/ce/holders/{user.id}").get_data(as_text=True)
    assert "Left at the break" in page and "by Rosa Registrar" in page
    assert ce.load_record(user, TODAY).status.progress.total == 2
    assert client.post(f"/admin/ce/entries/{entry.id}/correct",
                       data={p + "action": "reverse", p + "reason": "again"}).status_code == 302
    assert count(LedgerEntry) == 3


def test_registrar_decides_reinstatement_and_audit_on_the_programme_page(client, sign_in,
                                                                        holder, make_user, app):
    registrar = make_user("registrar")
    late = holder(date(2023, 6, 10))
    for n, (hours, category) in enumerate(((28, "practice"), (2, "racial-equity"))):
        _entry(late, date(2024, 1, 1 + n), hours, category, source=f"l{n}")
    request = ce.renew(late, True, TODAY, at(TODAY))
    app.config["CE_AUDIT_RATE"] = 0.0  # the reinstatement is not drawn; the renewal below is
    sign_in(client, registrar)
    assert "asked on" in client.get("/admin/ce").get_data(as_text=True)
    p = f"r{request.id}-"
    client.post(f"/admin/ce/reinstatements/{request.id}",
                data={p + "decision": "approve", p + "note": ""})
    assert ce.load_record(late, TODAY).status.state.value == "active"
    app.config["CE_AUDIT_RATE"] = 1.0
    other = holder(date(2025, 3, 15))
    for n, (hours, category) in enumerate(((28, "practice"), (2, "racial-equity"))):
        _entry(other, date(2025, 6, 1 + n), hours, category, source=f"o{n}")
    renewal = ce.renew(other, True, TODAY, at(TODAY))
    audit = next(a for a in ce.audit_queue() if a.renewal_id == renewal.id)
    p = f"a{audit.id}-"
    client.post(f"/admin/ce/audits/{audit.id}", data={p + "decision": "pass", p + "note": ""})
    assert ce.get_audit(audit.id).status == "passed"
