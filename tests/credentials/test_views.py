"""Credential pages through the test client: holder page and download, registrar pages,
lifecycle with reasons, cohort ZIP, query pins."""
from __future__ import annotations

import io
import zipfile
from datetime import date

from sqlalchemy import func, select

from lms.cohorts import services as cohorts
from lms.credentials import services
from lms.credentials.models import Credential, CredentialEvent
from lms.credentials.signing import check_pdf
from lms.extensions import db
from tests.credentials.conftest import TODAY, at


def _follow_download(client, response) -> bytes:
    assert response.status_code == 302, response.status_code
    download = client.get(response.headers["Location"])
    assert download.status_code == 200
    return download.data


def test_holder_page_shows_status_dates_ce_and_downloads_a_valid_certificate(
        client, sign_in, holder, count_queries):
    user, credential = holder(earned_on=date(2026, 1, 10), legal_name="Nia Holder")
    sign_in(client, user)
    with count_queries() as counter:
        page = client.get("/credential")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert credential.credential_id in html and "Active" in html
    assert "9 January 2028" in html  # valid until: the cycle's last day
    assert "/verify/" + credential.credential_id in html
    assert "Continuing education" in html
    cert = services.current_certificate(credential)
    pdf = _follow_download(client, client.get(f"/credential/certificates/{cert.id}.pdf"))
    result = check_pdf(pdf)
    assert result.signature_valid and result.credential_id == credential.credential_id
    # Constant in data size: a second certificate adds no query.
    services.reissue(credential, at(TODAY))
    with count_queries() as again:
        assert "Superseded" in client.get("/credential").get_data(as_text=True)
    assert again.count == counter.count


def test_a_learner_without_credential_sees_the_requirements(client, sign_in, programme_dir,
                                                            make_user):
    sign_in(client, make_user())
    html = client.get("/credential").get_data(as_text=True)
    assert "granted automatically" in html and "JC-101" in html


def test_another_holders_certificate_is_not_found(client, sign_in, holder):
    _, credential = holder()
    other, _ = holder()
    cert = services.current_certificate(credential)
    sign_in(client, other)
    assert client.get(f"/credential/certificates/{cert.id}.pdf").status_code == 404


def test_dashboard_card(client, sign_in, holder):
    user, credential = holder()
    sign_in(client, user)
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'id="credential-card"' in html and credential.credential_id in html


def test_registrar_issues_suspends_reinstates_revokes_with_reasons(client, sign_in, make_user,
                                                                   programme_dir,
                                                                   count_queries):
    registrar = make_user("registrar", name="Rita Registrar")
    learner = make_user()
    sign_in(client, registrar)
    r = client.post("/registrar/credentials/issue",
                    data={"email": learner.email, "reason": "Board decision",
                          "issued_on": "2026-05-01"})
    credential = db.session.scalar(select(Credential))
    assert r.status_code == 302 and r.headers["Location"].endswith(
        f"/registrar/credentials/{credential.id}")
    assert credential.issued_on == date(2026, 5, 1) and credential.issued_by_id == registrar.id
    # A second issue for the active holder: refused, nothing changed.
    client.post("/registrar/credentials/issue",
                data={"email": learner.email, "reason": "Again"})
    assert db.session.scalar(select(func.count(Credential.id))) == 1
    # Unknown e-mail: refused.
    r = client.post("/registrar/credentials/issue",
                    data={"email": "nobody@example.org", "reason": "x"}, follow_redirects=True)
    assert "No account for nobody@example.org" in r.get_data(as_text=True)
    url = f"/registrar/credentials/{credential.id}"
    # Empty reason: refused, nothing changed.
    client.post(f"{url}/state", data={"action": "revoke", "reason": "  "})
    db.session.expire_all()
    assert credential.state == "active"
    for action, reason, state in (("suspend", "Complaint under review", "suspended"),
                                  ("reinstate", "Complaint dismissed", "active"),
                                  ("revoke", "Exam misconduct", "revoked")):
        client.post(f"{url}/state", data={"action": action, "reason": reason})
        db.session.expire_all()
        assert credential.state == state
    assert credential.state_reason == "Exam misconduct"
    with count_queries() as counter:
        html = client.get(url).get_data(as_text=True)
    for text in ("Complaint under review", "Complaint dismissed", "Exam misconduct",
                 "suspended → active", "active → revoked", "Rita Registrar"):
        assert text in html
    # Reinstating a revoked credential is refused.
    r = client.post(f"{url}/state", data={"action": "reinstate", "reason": "oops"},
                    follow_redirects=True)
    assert "cannot be reinstated" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count(CredentialEvent.id))) == 4
    client.post(f"{url}/state", data={"action": "suspend", "reason": "more"})
    with count_queries() as again:
        client.get(url)
    assert again.count == counter.count


def test_registrar_pages_are_for_registrars(client, sign_in, holder, make_user):
    _, credential = holder()
    sign_in(client, make_user())
    assert client.get("/registrar/credentials").status_code == 403
    assert client.get(f"/registrar/credentials/{credential.id}").status_code == 403
    r = client.post(f"/registrar/credentials/{credential.id}/state",
                    data={"action": "revoke", "reason": "x"})
    assert r.status_code == 403
    db.session.expire_all()
    assert credential.state == "active"


def test_register_page_query_count_is_constant(client, sign_in, holder, make_user,
                                               count_queries):
    holder()
    sign_in(client, make_user("registrar"))
    with count_queries() as one:
        assert client.get("/registrar/credentials").status_code == 200
    for _ in range(4):
        holder()
    with count_queries() as five:
        client.get("/registrar/credentials")
    assert five.count == one.count


def test_cohort_zip_is_made_in_the_background_and_downloaded(client, sign_in, holder,
                                                             make_user):
    registrar = make_user("registrar")
    people = [holder() for _ in range(3)]
    cohort = cohorts.create_cohort("Autumn academy", "", actor=registrar, now=at(TODAY))
    cohorts.add_members(cohort, "\n".join(u.email for u, _ in people[:2]), now=at(TODAY))
    sign_in(client, registrar)
    r = client.post("/registrar/credentials/bundles", data={"cohort": cohort.slug})
    assert r.status_code == 302
    [bundle] = services.bundles_of(registrar)
    assert bundle.status == "ready" and bundle.count == 2  # eager task in tests
    data = _follow_download(client, client.get(f"/registrar/credentials/bundles/{bundle.id}.zip"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(f"{c.credential_id}.pdf" for _, c in people[:2])
        for name in names:
            assert check_pdf(archive.read(name)).signature_valid


def test_resend_and_reissue(client, sign_in, holder, make_user):
    from lms.mail import OutboxMessage

    user, credential = holder()
    sign_in(client, make_user("registrar"))
    client.post(f"/registrar/credentials/{credential.id}/resend")
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.recipient == user.email,
        OutboxMessage.subject.like("%certificate%"))) == 1
    client.post(f"/registrar/credentials/{credential.id}/reissue")
    certs = services.certificates(credential)
    assert len(certs) == 2 and certs[1].superseded_at is not None


def test_legal_name_change_makes_a_new_certificate(holder):
    from lms.auth.services import update_profile

    user, credential = holder(legal_name="Sam Old")
    update_profile(user, {"legal_name": "Sam New"})
    certs = services.certificates(credential)
    assert [c.holder_name for c in certs] == ["Sam New", "Sam Old"]
    assert certs[0].reason == "legal name changed" and certs[1].superseded_at is not None
    update_profile(user, {"city": "Oakland"})  # not the name: no new certificate
    assert len(services.certificates(credential)) == 2


def test_renewal_and_reinstatement_make_a_new_certificate(holder, make_user):
    """A renewed cycle (and an approved reinstatement) makes a certificate with the new
    valid-until date; the previous one is listed as superseded."""
    from lms.credits import services as ce
    from tests.credits.test_ce_services import _meet

    user, credential = holder(earned_on=date(2025, 3, 15))
    first = services.current_certificate(credential)
    _meet(user, date(2025, 3, 15))
    ce.renew(user, True, TODAY, at(TODAY))
    certs = services.certificates(credential)
    assert [c.reason for c in certs] == ["renewal", "issued"]
    assert certs[1].id == first.id and certs[1].superseded_at is not None
    assert certs[0].valid_until > first.valid_until
    assert check_pdf(services.certificate_bytes(certs[0])).signature_valid

    lapsed, lapsed_credential = holder(earned_on=date(2023, 6, 10))  # expired, grace over
    _meet(lapsed, date(2023, 6, 10))
    renewal = ce.renew(lapsed, True, TODAY, at(TODAY))
    assert len(services.certificates(lapsed_credential)) == 1  # waiting for a registrar
    ce.decide_reinstatement(renewal, make_user("registrar"), True, "", TODAY, at(TODAY))
    assert [c.reason for c in services.certificates(lapsed_credential)] == ["renewal",
                                                                           "issued"]


def test_ce_moves_are_kept_in_the_credential_history(client, sign_in, holder, make_user):
    """Grace, expiry (the daily sweep), renewal (the holder) and reinstatement (a registrar):
    each is in the history with who, when, why and from → to, shown to registrars."""
    from lms.credits import services as ce
    from tests.credits.test_ce_services import _meet

    registrar = make_user("registrar", name="Rita Registrar")
    _, lapsing = holder(earned_on=date(2024, 6, 1))  # cycle ended 31 May 2026: grace
    renewing_user, renewing = holder(earned_on=date(2024, 6, 2), name="Rene Renewer")
    for day in (TODAY, date(2026, 12, 15), date(2027, 12, 15)):
        ce.sweep(day, at(day))
        ce.sweep(day, at(day))  # a second run the same day records nothing more
        if day == TODAY:
            _meet(renewing_user, date(2024, 6, 2))
            ce.renew(renewing_user, True, TODAY, at(TODAY))
    moves = [(e.from_state, e.to_state, e.by_id) for e in services.events(lapsing)]
    assert moves == [(None, "active", None), ("CE active", "CE grace", None),
                     ("CE grace", "CE reinstatable", None),
                     ("CE reinstatable", "CE expired", None)]
    renewed = [(e.from_state, e.to_state, e.by_id) for e in services.events(renewing)]
    assert renewed == [(None, "active", None), ("CE active", "CE grace", None),
                       ("CE grace", "CE active", renewing_user.id)]
    sign_in(client, registrar)
    html = client.get(f"/registrar/credentials/{lapsing.id}").get_data(as_text=True)
    for text in ("CE active → CE grace", "CE grace → CE reinstatable", "The platform",
                 "grace period", "must be earned again"):
        assert text in html, text
    html = client.get(f"/registrar/credentials/{renewing.id}").get_data(as_text=True)
    assert "CE grace → CE active" in html and "Rene Renewer" in html and "Renewed" in html
